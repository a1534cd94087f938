"""Write workbooks in SBP's real dt.xls layout (sheet 'EBOPS ', used range B2:Q103) for tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import xlwt
from openpyxl.utils import get_column_letter

from itx_scraper.core.periods import MONTH_ABBR, Month, fiscal_year_start

if TYPE_CHECKING:
    from collections.abc import Mapping

CSV_PATH = Path(__file__).parents[1] / "itx_scraper" / "data" / "ict_monthly.csv"
SHEET = "EBOPS "
FIRST_DATA_ROW = 8  # 0-based: Excel row 9 holds 'Services'
BLOCK_COLS = (2, 5, 8, 11, 14)  # 0-based: C, F, I, L, O
SERVICES_LABEL = "Services"
# Rows 10-96 of the real file, labels exactly as SBP writes them (NBSPs, odd spaces).
LABELS = (
    "1. Manufacturing services on physical inputs owned by others",
    "1.1 Goods for processing in reporting economy ",
    "1.2 Goods for processing abroad ",
    "2. Maintenance and repair services n.i.e.",
    "3. Transport",
    "3.1 Sea transport",
    "3.1.1 Passenger",
    "3.1.2 Freight",
    "3.1.3 Other",
    "3.2 Air transport",
    "3.2.1 Passenger",
    "3.2.2 Freight",
    "3.2.3 Other",
    "3.3\u00a0Road transport",
    "3.3.1 Passenger",
    "3.3.2 Freight",
    "3.3.3 Other",
    "3.4 Rail transport",
    "3.4.1 Passenger",
    "3.4.2 Freight",
    "3.4.3 Other",
    "3.5 Postal and courier services",
    "3.6 Electricity transmission",
    "3.7 Other supporting and auxiliary transport service",
    "4. Travel",
    "4.1 Business",
    "4.1.1 Acquisition of goods and services by border, seasonal, and other short-term workers",
    "4.1.2 Other",
    "4.2 Personal",
    "4.2.1 Health-related expenditure",
    "4.2.2 Education-related expenditure",
    "4.2.3 Other",
    "4.2.3.1 Religious travel  ",
    "4.2.3.2 Other",
    "5. Construction ",
    "5.1 Construction abroad",
    "5.2 Construction in the compiling economy",
    "6. Insurance and Pension services",
    "6.1 Direct Insurance",
    "6.1.1\u00a0Life insurance",
    "6.1.2\u00a0Freight insurance",
    "6.1.3\u00a0Other direct insurance",
    "6.2 Reinsurance",
    "6.3 Auxiliary insurance services",
    "6.4 Pension and standardized guarantee services",
    "7. Financial services",
    "7.1   Explicitly charged and other financial services",
    "7.2   Financial intermediation service charges indirectly measured (FISIM)",
    "8. Charges for the use of intellectual property n.i.e.",
    "9.\u00a0Telecommunications, Computer and information services",
    "9.1   Telecommunications services",
    "9.1.1 Call centres",
    "9.1.2 Telecommunication services ",
    "9.2\u00a0Computer services",
    "9.2.1 Hardware consultancy services  ",
    "9.2.2 Software consultancy services  ",
    "9.2.3 Maintenance & repairs of computer",
    "9.2.4 Export / Import  of Computer Software ",
    "9.2.5 Freelance of Computer and Information Services",
    "9.2.6 Other Computer services",
    "9.3\u00a0Information services",
    "9.3.1 News agency services",
    "9.3.2 Other information services",
    "10. Other business services",
    "10.1 Research and development services",
    "10.2 Professional and management consulting services",
    "10.2.1   Legal, accounting, management consulting, and public relations",
    "10.2.1.1   Legal services",
    "10.2.1.2   Accounting, auditing, bookkeeping, and tax consulting services",
    "10.2.1.3   Business and management consulting and public relations services",
    "10.2.2   Advertising, market research, and public opinion polling",
    "10.3 Technical, trade-related and other business services",
    "10.3.1   Architectural, engineering, scientific and other technical services",
    "10.3.2   Waste treatment and de-pollution, agricultural and mining services",
    "10.3.3   Operating leasing services",
    "10.3.4   Trade-related services",
    "10.3.5   Other Freelance Services",
    "10.3.6   Other business services n.i.e.",
    "11. Personal, cultural, and recreational services",
    "11.1   Audiovisual and related services",
    "11.1.1 Audiovisual services",
    "11.1.2 Artistic related services",
    "11.2   Other personal, cultural, and recreational services",
    "12. Government goods and services n.i.e.",
    "12.1\u00a0Embassies and consulates",
    "12.2 Military units and agencies",
    "12.3\u00a0\u00a0Other",
)
ICT_LABEL = "9.\u00a0Telecommunications, Computer and information services"
SERVICES_SHARE_OF_ICT = 0.45  # ICT ~ 45% of services, as in 2026
DEBIT_SHARE = 0.13
NA_DEBIT = frozenset({"9.2.5", "10.3.5"})
# Credit shares of the ICT total; 9.1, 9.2, 9.3, 9.2.6 are derived so identities hold.
ICT_SHARES = {
    "9.1.1": 0.09,
    "9.1.2": 0.04,
    "9.2.1": 0.003,
    "9.2.2": 0.29,
    "9.2.3": 0.0002,
    "9.2.4": 0.14,
    "9.2.5": 0.27,
    "9.3.1": 0.0007,
    "9.3.2": 0.0003,
}
# Shares of (services - ICT) over the other top-level items.
OTHER_SHARES = {
    "1": 0.0,
    "2": 0.01,
    "3": 0.16,
    "4": 0.19,
    "5": 0.01,
    "6": 0.01,
    "7": 0.01,
    "8": 0.01,
    "10": 0.40,
    "11": 0.01,
    "12": 0.18,
}
FOOTER = (
    (96, 1, "R' for revised, 'P' for provisional, 'N/A' for Not Available"),
    (97, 1, "Notes:"),
    (97, 4, "Contact Person:"),
    (97, 6, "Test Person"),
    (
        98,
        1,
        (
            "1. Credit means export of services, debit means import of services and net means"
            " services balance. "
        ),
    ),
    (98, 6, "Test Title"),
    (99, 1, "2. Due to rounding off, figures may differ from BOP data available on websites."),
    (99, 4, "Phone No:"),
    (99, 6, "000-0000000"),
    (
        100,
        1,
        (
            "3. The data are  presented as per BPM6(EBOPS-2010) classification aligned with"
            " MSITS-2010 classification; see press release at link:"
        ),
    ),
    (100, 4, "Email:"),
    (100, 6, "feedback@example.org"),
    (101, 1, " http://www.sbp.org.pk/press/2013/BPM6-16-Aug-2013.pdf "),
    (
        102,
        1,
        (
            "4. Sub classification 10.3.5 shows receipts of freelancers other than"
            ' "9.2.5 Freelance of Computer and Information Services"'
        ),
    ),
)
_CODE_RE = re.compile(r"^(\d+(?:\.\d+)*)")


@dataclass
class Grid:
    """A sheet as a 0-based grid (row 0 = Excel row 1) plus merged ranges (inclusive)."""

    name: str
    cells: list[list[object]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False  # keep values in the covered cells of merged ranges (not just top-left)

    def insert_row(self, at: int) -> None:
        """Insert a blank row before index ``at``, moving merges like Excel does."""
        self.cells.insert(at, [""] * len(self.cells[0]))
        self.merges = [(r1 + (r1 >= at), c1, r2 + (r2 >= at), c2) for r1, c1, r2, c2 in self.merges]

    def insert_col(self, at: int) -> None:
        """Insert a blank column before index ``at``."""
        for line in self.cells:
            line.insert(at, "")
        self.merges = [(r1, c1 + (c1 >= at), r2, c2 + (c2 >= at)) for r1, c1, r2, c2 in self.merges]


@dataclass(frozen=True)
class Block:
    """One period block of the sheet: header cell value, months covered, status."""

    header: object
    start: Month
    end: Month
    status: str | None


def _code(label: str) -> str:
    match = _CODE_RE.match(label)
    assert match, label
    return match.group(1)


def _month_header(month: Month, status: str | None) -> str:
    text = f"{MONTH_ABBR[month.month - 1].capitalize()}-{month.year % 100:02d}"
    return f"{text} ({status})" if status else text


def _fytd_header(end: Month, status: str | None) -> str:
    last = MONTH_ABBR[end.month - 1].capitalize()
    span = "Jul" if end.month == 7 else f"Jul-{last}"
    text = f"{span}, FY{end.fiscal_year % 100:02d}"
    return f"{text} ({status})" if status else text


def _last_day(month: Month) -> dt.date:
    following = month.shift(1)
    return dt.date(following.year, following.month, 1) - dt.timedelta(days=1)


def blocks(
    release: Month,
    *,
    status: Mapping[Month, str | None] | None = None,
    fytd_status: Mapping[int, str | None] | None = None,
    year_ago_as_date: bool = False,
) -> list[Block]:
    """The five blocks of a release in sheet order, with SBP's header texts."""
    year_ago, previous = release.shift(-12), release.shift(-1)
    marks: dict[Month, str | None] = {year_ago: "R", previous: "R", release: "P"}
    marks.update(status or {})
    fy_marks: dict[int, str | None] = {release.fiscal_year: "P", release.fiscal_year - 1: None}
    fy_marks.update(fytd_status or {})
    result = []
    for month in (year_ago, previous, release):
        if month == year_ago and year_ago_as_date:
            result.append(Block(_last_day(month), month, month, None))
        else:
            mark = marks[month] or None
            result.append(Block(_month_header(month, mark), month, month, mark))
    for end in (year_ago, release):
        mark = fy_marks[end.fiscal_year] or None
        start = fiscal_year_start(end.fiscal_year)
        result.append(Block(_fytd_header(end, mark), start, end, mark))
    return result


def _months(block: Block) -> list[Month]:
    return [Month.from_index(i) for i in range(block.start.index, block.end.index + 1)]


def _ict_value(
    block: Block, ict: Mapping[Month, float], fytd: Mapping[tuple[int, int], float]
) -> float:
    months = _months(block)
    key = (block.end.fiscal_year, len(months))
    if block.start != block.end and key in fytd:
        return fytd[key]
    missing = [str(month) for month in months if month not in ict]
    if missing:
        raise ValueError(f"no ICT value for {', '.join(missing)}")
    return sum(ict[month] for month in months)


def expected_ict(
    release: Month,
    ict: Mapping[Month, float],
    fytd: Mapping[tuple[int, int], float] | None = None,
) -> list[tuple[str, float]]:
    """(period, ICT credit in US$ m) per block in sheet order, as :func:`build_dt` writes them.

    July releases repeat a period ('Jul-26' and 'Jul, FY27'), hence a list, not a dict.
    """
    return [(_period(block), _ict_value(block, ict, fytd or {})) for block in blocks(release)]


def _period(block: Block) -> str:
    return str(block.start) if block.start == block.end else f"{block.start}/{block.end}"


def _services_value(
    block: Block,
    ict_value: float,
    ict: Mapping[Month, float],
    services: Mapping[Month, float],
    fytd: Mapping[tuple[int, int], float],
) -> float:
    months = _months(block)
    if block.start != block.end and (block.end.fiscal_year, len(months)) in fytd:
        return ict_value / SERVICES_SHARE_OF_ICT
    return sum(services[m] if m in services else ict[m] / SERVICES_SHARE_OF_ICT for m in months)


def credit_tree(ict: float, services: float) -> dict[str, float]:
    """Credit of every row for one block; all EBOPS identities hold (up to float rounding)."""
    values = {code: ict * share for code, share in ICT_SHARES.items()}
    values["9.1"] = values["9.1.1"] + values["9.1.2"]
    values["9.3"] = values["9.3.1"] + values["9.3.2"]
    values["9.2"] = ict - values["9.1"] - values["9.3"]
    values["9.2.6"] = values["9.2"] - sum(values[f"9.2.{i}"] for i in range(1, 6))
    values["9"] = ict
    rest = services - ict
    codes = [_code(label) for label in LABELS]
    for code in codes:
        if code.startswith("9"):
            continue
        if "." not in code:
            values[code] = rest * OTHER_SHARES[code]
            continue
        parent = code.rsplit(".", 1)[0]
        siblings = [c for c in codes if c.rsplit(".", 1)[0] == parent and "." in c]
        values[code] = values[parent] / len(siblings)
    values["services"] = services
    return values


def _frame(release_blocks: list[Block], unit: str) -> Grid:
    cells: list[list[object]] = [[""] * 17 for _ in range(103)]
    cells[1][1] = "Trade in Services"
    cells[2][1] = "BPM6 - Extended Balance of Payments Services Classification (EBOPS 2010)"
    cells[5][11] = f"(Amount in {unit.capitalize()} US$)"
    cells[6][1] = "Trade in Services"
    merges = [(5, 2, 5, 10), (5, 11, 5, 16), (6, 1, 7, 1)]
    for block, col in zip(release_blocks, BLOCK_COLS, strict=True):
        cells[6][col] = block.header
        merges.append((6, col, 6, col + 2))
        cells[7][col : col + 3] = ["Credit", "Debit", "Net"]
    cells[FIRST_DATA_ROW][1] = SERVICES_LABEL
    for offset, label in enumerate(LABELS, start=FIRST_DATA_ROW + 1):
        cells[offset][1] = label
    for row, col, text in FOOTER:
        cells[row][col] = text
    return Grid(SHEET, cells, merges)


def dt_grid(
    release: Month,
    ict: Mapping[Month, float],
    *,
    unit: str = "thousand",
    status: Mapping[Month, str | None] | None = None,
    fytd_status: Mapping[int, str | None] | None = None,
    fytd: Mapping[tuple[int, int], float] | None = None,
    year_ago_as_date: bool = False,
    services: Mapping[Month, float] | None = None,
) -> Grid:
    """The release's sheet as a :class:`Grid` (ICT values in US$ m are scaled to ``unit``)."""
    scale = {"thousand": 1000.0, "million": 1.0}[unit]
    release_blocks = blocks(
        release, status=status, fytd_status=fytd_status, year_ago_as_date=year_ago_as_date
    )
    grid = _frame(release_blocks, unit)
    codes = ["services", *(_code(label) for label in LABELS)]
    for block, col in zip(release_blocks, BLOCK_COLS, strict=True):
        ict_value = _ict_value(block, ict, fytd or {})
        total = _services_value(block, ict_value, ict, services or {}, fytd or {})
        credit = credit_tree(ict_value, total)
        for row, code in enumerate(codes, start=FIRST_DATA_ROW):
            value = credit[code] * scale
            debit: object = "N/A" if code in NA_DEBIT else value * DEBIT_SHARE
            net = value if code in NA_DEBIT else value - value * DEBIT_SHARE
            grid.cells[row][col : col + 3] = [value, debit, net]
    return grid


# ---------------------------------------------------------------- writers

# openpyxl writes NaN/inf as empty values, so they go out as sentinels and are patched in.
_SENTINELS = {math.inf: 9.87654321e17, -math.inf: -9.87654321e17}
_NAN_SENTINEL = 9.87654322e17


def _sentinel(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return _NAN_SENTINEL
    if isinstance(value, float) and math.isinf(value):
        return _SENTINELS[value]
    return value


def _patch_non_finite(body: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                for text, number in (
                    ("NaN", _NAN_SENTINEL),
                    ("inf", _SENTINELS[math.inf]),
                    ("-inf", _SENTINELS[-math.inf]),
                ):
                    data = data.replace(f"<v>{number!r}</v>".encode(), f"<v>{text}</v>".encode())
            target.writestr(info, data)
    return out.getvalue()


def write_xlsx(grid: Grid) -> bytes:
    """Save the grid with openpyxl (dates formatted mmm-yy, merges kept)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = grid.name
    special = False
    for r, line in enumerate(grid.cells):
        for c, value in enumerate(line):
            if value == "" or value is None:
                continue
            written = _sentinel(value)
            special = special or written is not value
            cell = sheet.cell(row=r + 1, column=c + 1, value=written)
            if isinstance(value, dt.date):
                cell.number_format = "mmm-yy"
    for r1, c1, r2, c2 in grid.merges:
        if grid.hidden:  # declare the range without blanking the cells it covers
            first, last = get_column_letter(c1 + 1), get_column_letter(c2 + 1)
            sheet.merged_cells.add(f"{first}{r1 + 1}:{last}{r2 + 1}")
        else:
            sheet.merge_cells(
                start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1
            )
    out = io.BytesIO()
    workbook.save(out)
    return _patch_non_finite(out.getvalue()) if special else out.getvalue()


def write_xls(grid: Grid) -> bytes:
    """Save the grid as BIFF8 with xlwt, like SBP's dt.xls."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet(grid.name, cell_overwrite_ok=True)
    date_style = xlwt.XFStyle()
    date_style.num_format_str = "mmm-yy"
    if grid.hidden:  # merged first, so the covered cells keep the values written next
        for r1, c1, r2, c2 in grid.merges:
            sheet.merge(r1, r2, c1, c2)
    for r, line in enumerate(grid.cells):
        for c, value in enumerate(line):
            if value == "" or value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    for r1, c1, r2, c2 in [] if grid.hidden else grid.merges:
        sheet.merge(r1, r2, c1, c2)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write(grid: Grid, fmt: str) -> bytes:
    """Serialise the grid as 'xlsx' or 'xls'."""
    return {"xlsx": write_xlsx, "xls": write_xls}[fmt](grid)


def build_dt(
    release: Month,
    ict: Mapping[Month, float],
    *,
    fmt: str = "xlsx",
    unit: str = "thousand",
    status: Mapping[Month, str | None] | None = None,
    fytd_status: Mapping[int, str | None] | None = None,
    fytd: Mapping[tuple[int, int], float] | None = None,
    year_ago_as_date: bool = False,
    services: Mapping[Month, float] | None = None,
) -> bytes:
    """Bytes of a dt workbook for ``release`` whose ICT credit comes from ``ict`` (US$ m).

    Blocks: year-ago month, previous month, release month, prior-FY and current-FY
    year-to-date. ``status`` overrides month markers (None/'' = none), ``fytd_status`` the
    FYTD markers by fiscal year, ``fytd`` the FYTD ICT value by (fiscal year, month count).
    """
    grid = dt_grid(
        release,
        ict,
        unit=unit,
        status=status,
        fytd_status=fytd_status,
        fytd=fytd,
        year_ago_as_date=year_ago_as_date,
        services=services,
    )
    return write(grid, fmt)


def published_ict() -> dict[Month, float]:
    """Monthly ICT credit (US$ m) from the package's ict_monthly.csv; unknown months left out."""
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        return {
            Month.parse(row["period"]): float(row["usd_million"])
            for row in csv.DictReader(handle)
            if row["usd_million"].strip()
        }
