"""Write SBP-style statistics workbooks in both orientations for the generic table reader's tests.

Every figure comes from :func:`monthly` (and sums of it), so a test can compute what the
reader must find without reading the workbook back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sbp_workbook import Grid, write

from itx_scraper.core.periods import MONTH_ABBR, MONTH_NAMES, Month, fiscal_year_start

# ---------------------------------------------------------------- figures


def monthly(label: str, month: Month) -> float:
    """The US$ million figure of a series for one month (deterministic, some negative)."""
    seed = sum(ord(ch) for ch in label)
    value = 50 + (seed * 7 + month.index * 37) % 2900 + (month.index % 7) / 8
    return -value if "balance" in label.casefold() and month.index % 3 else value


def total(label: str, start: Month, end: Month) -> float:
    """A range's figure: the sum of its months."""
    return sum(monthly(label, Month.from_index(i)) for i in range(start.index, end.index + 1))


def months(start: Month, end: Month) -> list[Month]:
    return [Month.from_index(i) for i in range(start.index, end.index + 1)]


def _abbr(month: Month) -> str:
    return MONTH_ABBR[month.month - 1].capitalize()


def _fy(fiscal_year: int, status: str | None = None) -> str:
    return f"FY{fiscal_year % 100:02d}{status or ''}"


# ---------------------------------------------------------------- periods across: BPM6 summary


@dataclass(frozen=True)
class Column:
    """A period column of a two-row header: top ('Mar', 'Jul-Mar') over bottom ('FY26P')."""

    top: str
    bottom: str
    start: Month
    end: Month
    status: str | None

    @property
    def period(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}/{self.end}"


def _column(start: Month, end: Month, status: str | None) -> Column:
    top = _abbr(start) if start == end else f"{_abbr(start)}-{_abbr(end)}"
    return Column(top, _fy(end.fiscal_year, status), start, end, status)


def summary_columns(release: Month) -> list[Column]:
    """The column set of Balancepayment_BPM6 for a release month, in sheet order.

    Full fiscal year two years back, the year-ago month, the last full fiscal year, the
    quarters of the current fiscal year that have ended, previous and release months, and the
    prior and current fiscal years to date (the top 'Jul-Mar' merged over both).
    """
    fiscal_year = release.fiscal_year
    year_ago, previous = release.shift(-12), release.shift(-1)
    columns = [
        _column(fiscal_year_start(fiscal_year - 2), Month(fiscal_year - 2, 6), None),
        _column(year_ago, year_ago, "R"),
        _column(fiscal_year_start(fiscal_year - 1), Month(fiscal_year - 1, 6), "R"),
    ]
    quarter = fiscal_year_start(fiscal_year)
    while quarter.shift(2) <= release:
        columns.append(
            _column(quarter, quarter.shift(2), "R" if quarter.shift(2) < release else "P")
        )
        quarter = quarter.shift(3)
    columns.append(_column(previous, previous, "R"))
    columns.append(_column(release, release, "P"))
    columns.append(_column(fiscal_year_start(fiscal_year - 1), year_ago, "R"))
    columns.append(_column(fiscal_year_start(fiscal_year), release, "P"))
    return columns


SUMMARY_LABELS = (
    "Current Account Balance",
    "Exports of Goods FOB",
    "Exports of\u00a0Services ",
    "Secondary Income Credit",
    "General Government",
    "Workers' Remittances",
    "Financial Corporations, NFCs*, Households and NPISHs",
    "Financial Account ",
    "Direct Investment in Pakistan",
    "Equity and Investment Fund Shares**",
    "Net Incurrence of Liabilities",
    "General Government",
    "Memorandum Items: ",
    "Current Account % of GDP",
)
MEMO = "Memorandum Items: "
PERCENT_ROW = "Current Account % of GDP"


def summary_grid(
    release: Month,
    *,
    columns: list[Column] | None = None,
    merge_fytd: bool = True,
    unit: str = "(Million US$)",
) -> Grid:
    """A 'BPM6_Summary' sheet: title B2, unit on row 4, two header rows 5-6, labels in B."""
    columns = columns if columns is not None else summary_columns(release)
    width = 2 + len(columns)
    cells: list[list[object]] = [[""] * width for _ in range(8 + len(SUMMARY_LABELS) + 6)]
    cells[1][1] = f"Summary Balance of Payments as per BPM6 - {release.label}"
    cells[3][width - 1] = unit
    cells[4][1] = "Items"
    merges = [(4, 1, 5, 1)]
    for c, column in enumerate(columns, start=2):
        cells[4][c] = column.top
        cells[5][c] = column.bottom
    # SBP merges the fiscal-year-to-date top over the prior- and current-year columns.
    last, before = columns[-1], columns[-2]
    if last.top == before.top and last.start != last.end:
        if merge_fytd:
            merges.append((4, width - 2, 4, width - 1))
        cells[4][width - 1] = ""
    for r, label in enumerate(SUMMARY_LABELS, start=7):
        cells[r][1] = label
        if label == MEMO:
            continue
        for c, column in enumerate(columns, start=2):
            if label == PERCENT_ROW:
                cells[r][c] = "-" if column.start == column.end else 0.5 + c / 10
            else:
                cells[r][c] = total(label, column.start, column.end)
    foot = 8 + len(SUMMARY_LABELS)
    cells[foot][1] = "R: Revised; P: Provisional"
    cells[foot + 1][1] = "* Non Financial Corporations."
    cells[foot + 3][1] = "Notes: 1. Data Sources: authorized dealers, missions abroad and others."
    merges.append((foot + 3, 1, foot + 3, width - 1))
    return Grid("BPM6_Summary", cells, merges)


# ---------------------------------------------------------------- periods across with parts


PARTS = ("Inflow", "Outflow", "Net")
FDI_LABELS = ("Total", "China", "United States", "U.A.E", "Power", "Financial Business")


def part_value(label: str, part: str, start: Month, end: Month) -> float:
    """Inflow, outflow and net (= inflow - outflow) of a range, in US$ million."""
    inflow = total(label, start, end)
    outflow = round(inflow * 0.3, 3)
    return {"Inflow": inflow, "Outflow": outflow, "Net": inflow - outflow}[part]


def fdi_headers(release: Month, status: str = "P") -> list[tuple[str, Month, Month, str | None]]:
    """Single-row headers in SBP's FDI styles: (text, start, end, status)."""
    previous, year_ago = release.shift(-1), release.shift(-12)
    fiscal_year = release.fiscal_year
    name = MONTH_NAMES[release.month - 1].capitalize()
    current = (
        f"July FY{fiscal_year % 100:02d} ({status})"
        if release.month == 7
        else f"July-{name} FY{fiscal_year % 100:02d} ({status})"
    )
    prior_name = f"July-{name}" if release.month != 7 else "July"
    return [
        (
            f"{MONTH_NAMES[year_ago.month - 1].capitalize()} {year_ago.year}",
            year_ago,
            year_ago,
            None,
        ),
        (
            f"{MONTH_NAMES[previous.month - 1].capitalize()}-{previous.year}(R)",
            previous,
            previous,
            "R",
        ),
        (f"{name} {release.year}({status})", release, release, status),
        (
            f"{prior_name} FY{(fiscal_year - 1) % 100:02d}",
            fiscal_year_start(fiscal_year - 1),
            year_ago,
            None,
        ),
        (current, fiscal_year_start(fiscal_year), release, status),
    ]


def fdi_grid(
    release: Month,
    *,
    unit: str = "thousand",
    headers: list[tuple[str, Month, Month, str | None]] | None = None,
    merge_headers: bool = True,
) -> Grid:
    """An FDI-style sheet: each period header over an Inflow/Outflow/Net triplet."""
    headers = headers if headers is not None else fdi_headers(release)
    scale = {"thousand": 1000.0, "million": 1.0}[unit]
    unit_text = {"thousand": "(Thousand US Dollar)", "million": "Million US $"}[unit]
    width = 1 + 3 * len(headers)
    cells: list[list[object]] = [[""] * width for _ in range(7 + len(FDI_LABELS) + 3)]
    cells[0][0] = "Net Inflow of Foreign Direct Investment"
    cells[2][width - 3] = unit_text
    cells[4][0] = "Country / Sector"
    merges = [(0, 0, 0, width - 1), (4, 0, 5, 0), (2, width - 3, 2, width - 1)]
    for k, (text, _, _, _) in enumerate(headers):
        col = 1 + 3 * k
        cells[4][col] = text
        if merge_headers:
            merges.append((4, col, 4, col + 2))
        cells[5][col : col + 3] = list(PARTS)
    for r, label in enumerate(FDI_LABELS, start=6):
        cells[r][0] = label
        for k, (_, start, end, _) in enumerate(headers):
            for j, part in enumerate(PARTS):
                cells[r][1 + 3 * k + j] = part_value(label, part, start, end) * scale
    cells[7 + len(FDI_LABELS)][0] = "P: Provisional, R: Revised"
    return Grid("FDI", cells, merges)


# ---------------------------------------------------------------- periods down: exp_import_BOP

EXPORTS, IMPORTS = "Exports (BOP)", "Imports (BOP)"
FIRST_ROW = 7  # 0-based: Excel row 8 holds July 2014


def _date_cell(month: Month, style: int) -> dt.date:
    """SBP's date cells: day 14 in old rows, month end in 2024-25, day 1 afterwards."""
    if style == 0:
        return dt.date(month.year, month.month, 14)
    if style == 1:
        following = month.shift(1)
        return dt.date(following.year, following.month, 1) - dt.timedelta(days=1)
    return dt.date(month.year, month.month, 1)


@dataclass(frozen=True)
class DownRow:
    row: int  # 0-based
    month: Month
    status: str | None


def down_grid(
    first: Month,
    last: Month,
    *,
    status: dict[Month, str] | None = None,
    unit: str = "(Million US $)",
    blank: set[Month] | None = None,
) -> tuple[Grid, list[DownRow]]:
    """An 'Exp.Imp.(BOP)' sheet: months down column A (blank row between fiscal years), a P/R
    marker column B, series over two header rows with letter tags a, b, c, d on a third.
    ``blank`` months are left unpublished (empty cells) in the Exports value column."""
    status = status or {}
    blank = blank or set()
    cells: list[list[object]] = [[""] * 12 for _ in range(FIRST_ROW)]
    cells[0][0] = "Exports, Imports and Balance of Trade "
    cells[1][0] = "As per BOP, SBP"
    cells[2][10] = unit
    cells[3][0] = "Period"
    cells[3][2], cells[3][4], cells[3][6] = EXPORTS, "Growth Rate", IMPORTS
    cells[3][8], cells[3][10] = "Growth Rate", "Balance of Trade"
    cells[4][2:4], cells[4][6:8] = ["Value", "Cumulative"], ["Value", "Cumulative"]
    tags = ("a", "b", "Monthly", "Period to Period", "c", "d")
    cells[5][2:12] = [*tags, "Monthly", "Period to Period", "a-c", "b-d"]
    merges = [
        (0, 0, 0, 11),
        (1, 0, 1, 11),
        (2, 10, 2, 11),
        (3, 0, 5, 0),
        (3, 2, 3, 3),
        (3, 4, 4, 5),
        (3, 6, 3, 7),
        (3, 8, 4, 9),
        (3, 10, 4, 11),
    ]
    rows: list[DownRow] = []
    for month in months(first, last):
        if month.month == 7 and month != first:
            cells.append([""] * 12)  # SBP leaves a blank row between fiscal years
        style = 0 if month < Month(2024, 7) else 1 if month < Month(2025, 7) else 2
        start = fiscal_year_start(month.fiscal_year)
        exports, imports = monthly(EXPORTS, month), monthly(IMPORTS, month)
        cum_exports, cum_imports = total(EXPORTS, start, month), total(IMPORTS, start, month)
        line: list[object] = [
            _date_cell(month, style),
            status.get(month, ""),
            "" if month in blank else exports,
            cum_exports,
            1.5,
            -2.25,
            imports,
            cum_imports,
            0.75,
            3.5,
            exports - imports,
            cum_exports - cum_imports,
        ]
        rows.append(DownRow(len(cells), month, status.get(month)))
        cells.append(line)
    cells.append(["R: Revised, P: Provisional", *[""] * 11])
    cells.append(["BoP: Balance of Payment", *[""] * 11])
    return Grid("Exp.Imp.(BOP)", cells, merges), rows


def build(grid: Grid, fmt: str = "xls") -> bytes:
    """Workbook bytes ('xls' via xlwt like SBP's files, or 'xlsx' via openpyxl)."""
    return write(grid, fmt)
