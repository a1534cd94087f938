"""Parse SBP's Trade in Services workbook (dt.xls, sheet 'EBOPS ') into observations."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import python_calamine

from itx_scraper.core.errors import LayoutError, NotADocumentError, TooLargeError
from itx_scraper.core.periods import (
    Month,
    fiscal_year_from_two_digits,
    fiscal_year_start,
    format_range,
    month_number,
)
from itx_scraper.core.sources import ICT
from itx_scraper.items import Observation
from itx_scraper.parsers.common import (
    ICT_MONTHLY_BOUNDS,
    SPACES_RE,
    differ,
    disagreement,
    is_blank,
    normalise_label,
    number_text,
)
from itx_scraper.parsers.isolated import in_child
from itx_scraper.parsers.sniff import check_zip_bomb, require_format

if TYPE_CHECKING:
    from collections.abc import Sequence

FLOWS = ("credit", "debit", "net")
SERVICES = "services"
ICT_LABEL = "9. Telecommunications, computer and information services"
EXPECTED_ROWS = (
    "9.1",
    "9.1.1",
    "9.1.2",
    "9.2",
    "9.2.1",
    "9.2.2",
    "9.2.3",
    "9.2.4",
    "9.2.5",
    "9.2.6",
    "9.3",
    "10.3.5",
)
# Credit identities that hold exactly in SBP's files (sources.md section 2).
IDENTITIES = (
    (ICT, ("9.1", "9.2", "9.3")),
    ("9.2", ("9.2.1", "9.2.2", "9.2.3", "9.2.4", "9.2.5", "9.2.6")),
)
MAX_CELLS = 1_000_000  # the real sheet has 103 x 17; a huge grid is hostile or broken

_CODE_RE = re.compile(r"^(\d+(?:\.\d+)*)\.?(?![\d.])", re.ASCII)
_MONTH_RE = re.compile(r"^([A-Za-z]{3})-(\d{2})\s*(?:\(([PR])\))?$", re.IGNORECASE | re.ASCII)
_FYTD_RE = re.compile(
    r"^Jul(?:-([A-Za-z]{3}))?,?\s*FY\s?(\d{2})\s*(?:\(([PR])\))?$", re.IGNORECASE | re.ASCII
)
_UNIT_HINT_RE = re.compile(r"\bamount\s+in\b")
_UNIT_RE = re.compile(r"^\(?\s*amount in (thousand|million)s? (?:us ?\$|usd)\s*\)?$")
_UNIT_DIVISOR = {"thousand": 1000.0, "million": 1.0}


@dataclass(frozen=True)
class EbopsWorkbook:
    """Everything read from one dt.xls vintage."""

    format: str
    sheet: str
    unit: str
    latest_month: Month
    observations: tuple[Observation, ...]
    warnings: tuple[str, ...]

    def find(self, series: str, flow: str, period: str) -> Observation | None:
        """Return the observation for a series, flow and period ('2026-03' or a range)."""
        for obs in self.observations:
            if (obs.series, obs.flow, obs.period) == (series, flow, period):
                return obs
        return None


@dataclass(frozen=True)
class PeriodHeader:
    """A classified period header: a single month or a fiscal-year-to-date range."""

    start: Month
    end: Month
    status: str | None
    fytd: bool


@dataclass(frozen=True)
class _Block:
    col: int
    header: PeriodHeader
    text: str
    ref: str


@dataclass(frozen=True)
class _Row:
    index: int
    code: str
    label: str


# ---------------------------------------------------------------- small pure helpers


def row_code(label: str) -> str | None:
    """Return the EBOPS code of a row label ('9. Telecom...' -> '9'), 'services' or None."""
    norm = normalise_label(label)
    if norm == SERVICES:
        return SERVICES
    match = _CODE_RE.match(norm)
    return match.group(1) if match else None


def _clean_header(text: str) -> str:
    text = SPACES_RE.sub(" ", text).strip()
    text = re.sub(r"\s*-\s*", "-", text)
    return re.sub(r"\(\s*([A-Za-z])\s*\)", r"(\1)", text)


def parse_period_header(value: object) -> PeriodHeader | None:
    """Classify a period header cell (text or Excel date); None when unrecognised."""
    if isinstance(value, dt.date):  # datetime is a subclass: calamine gives either
        month = Month(value.year, value.month)
        return PeriodHeader(month, month, None, fytd=False)
    if not isinstance(value, str):
        return None
    text = _clean_header(value)
    if match := _MONTH_RE.match(text):
        number = month_number(match.group(1))
        if number is None:
            return None
        month = Month(2000 + int(match.group(2)), number)
        return PeriodHeader(month, month, _status(match.group(3)), fytd=False)
    if match := _FYTD_RE.match(text):
        fiscal_year = fiscal_year_from_two_digits(int(match.group(2)))
        start = fiscal_year_start(fiscal_year)
        number = month_number(match.group(1)) if match.group(1) else 7
        if number is None:
            return None
        end = Month(fiscal_year - 1 if number >= 7 else fiscal_year, number)
        return PeriodHeader(start, end, _status(match.group(3)), fytd=True)
    return None


def _status(marker: str | None) -> str | None:
    return marker.upper() if marker else None


def cell_ref(row: int, col: int) -> str:
    """0-based grid indexes to an Excel reference (0, 0) -> 'A1'."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _cell(grid: Sequence[Sequence[object]], row: int, col: int) -> object:
    line = grid[row] if 0 <= row < len(grid) else []
    return line[col] if 0 <= col < len(line) else ""


class _BadCell(Exception):
    """A value cell holds something other than a finite number or 'N/A'."""


def _number(cell: object) -> float | None:
    """Return a value cell as a float, None for 'N/A'; raise _BadCell naming what is there."""
    if isinstance(cell, bool):
        raise _BadCell(f"boolean {cell}")
    if isinstance(cell, int | float):
        number = float(cell)
        if not math.isfinite(number):
            raise _BadCell(f"non-finite number {cell}")
        return number
    if isinstance(cell, str):
        text = SPACES_RE.sub("", cell)
        if text.casefold() == "n/a":
            return None
        if not text:
            raise _BadCell("empty cell")
        number = number_text(text)
        if number is None:
            raise _BadCell(f"text {cell.strip()!r}")
        return number
    raise _BadCell(f"{type(cell).__name__} value {cell!r}")


# ---------------------------------------------------------------- loading


def is_panic(exc: BaseException) -> bool:
    # pyo3 turns a Rust panic into PanicException, a BaseException that is not importable.
    return type(exc).__name__ == "PanicException"


class CalamineStage:
    """What :func:`calamine_errors` was doing, for its message ('open', 'read sheet of')."""

    def __init__(self) -> None:
        self.doing = "open"


@contextmanager
def calamine_errors(fmt: str, body: bytes) -> Iterator[CalamineStage]:
    """Turn whatever calamine raises on hostile bytes into NotADocumentError naming the stage;
    the parser's own LayoutError and TooLargeError pass through."""
    stage = CalamineStage()
    try:
        yield stage
    except (LayoutError, TooLargeError):
        raise
    except Exception as exc:  # calamine raises many types on hostile bytes
        raise unreadable_workbook(fmt, body, stage.doing, exc) from exc
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise unreadable_workbook(fmt, body, stage.doing, exc) from exc


def _load_grid(body: bytes, fmt: str) -> tuple[str, Sequence[Sequence[object]]]:
    """Open the workbook with calamine and return the EBOPS sheet's name and full grid."""
    return in_child(lambda: _read_grid(body, fmt), describe=describe_workbook(fmt, body))


def describe_workbook(fmt: str, body: bytes) -> str:
    return f"the {fmt} workbook ({len(body):,} bytes)"


def _read_grid(body: bytes, fmt: str) -> tuple[str, Sequence[Sequence[object]]]:
    with calamine_errors(fmt, body) as stage:
        workbook = python_calamine.load_workbook(io.BytesIO(body))
        name = _find_sheet(list(workbook.sheet_names))
        stage.doing = "read sheet of"
        sheet = workbook.get_sheet_by_name(name)
        end = sheet.end
        if end is None:
            raise LayoutError(f"layout: sheet {name!r} is empty")
        if (end[0] + 1) * (end[1] + 1) > MAX_CELLS:
            raise TooLargeError(
                f"sheet {name!r} spans {cell_ref(0, 0)}:{cell_ref(*end)}, over {MAX_CELLS:,} cells"
            )
        # skip_empty_area=False keeps index == Excel coordinate - 1 (cell references stay true).
        grid: Sequence[Sequence[object]] = sheet.to_python(skip_empty_area=False)
    return name, grid


def unreadable_workbook(fmt: str, body: bytes, stage: str, exc: BaseException) -> NotADocumentError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return NotADocumentError(
        f"cannot {stage} the {fmt} workbook ({len(body):,} bytes; corrupt or truncated): {reason}"
    )


def _find_sheet(names: list[str]) -> str:
    matches = [name for name in names if name.strip().casefold() == "ebops"]
    if len(matches) == 1:
        return matches[0]
    found = ", ".join(repr(name) for name in names) or "none"
    if not matches:
        raise LayoutError(f"layout: no sheet named 'EBOPS' (sheets found: {found})")
    raise LayoutError(f"layout: several sheets named 'EBOPS' (sheets found: {found})")


# ---------------------------------------------------------------- layout discovery


def _find_unit(grid: Sequence[Sequence[object]], sheet: str) -> str:
    units: dict[str, str] = {}
    for r, line in enumerate(grid):
        for c, cell in enumerate(line):
            if not isinstance(cell, str):
                continue
            norm = SPACES_RE.sub(" ", cell).strip().casefold()
            if not _UNIT_HINT_RE.search(norm):
                continue
            match = _UNIT_RE.match(norm)
            if not match:
                raise LayoutError(
                    f"layout: unknown unit {cell.strip()!r} at {cell_ref(r, c)} in sheet {sheet!r}"
                )
            units[match.group(1)] = cell_ref(r, c)
    if not units:
        raise LayoutError(f"layout: no '(Amount in Thousand US$)' unit cell in sheet {sheet!r}")
    if len(units) > 1:
        cells = ", ".join(f"{unit} at {ref}" for unit, ref in units.items())
        raise LayoutError(f"layout: conflicting unit cells in sheet {sheet!r} ({cells})")
    return next(iter(units))


def _triplets(line: Sequence[object]) -> list[int]:
    """Columns where a Credit, Debit, Net run of headers starts."""
    words = [cell.strip().casefold() if isinstance(cell, str) else "" for cell in line]
    starts, c = [], 0
    while c + 2 < len(words):
        if words[c : c + 3] == list(FLOWS):
            starts.append(c)
            c += 3
        else:
            c += 1
    return starts


def _find_flow_header(grid: Sequence[Sequence[object]], sheet: str) -> tuple[int, list[int]]:
    best_row, best = -1, list[int]()
    for r, line in enumerate(grid):
        starts = _triplets(line)
        if len(starts) > len(best):
            best_row, best = r, starts
    if not best:
        raise LayoutError(f"layout: no Credit/Debit/Net column headers in sheet {sheet!r}")
    covered = {c + k for c in best for k in range(3)}
    for c, cell in enumerate(grid[best_row]):
        word = cell.strip().casefold() if isinstance(cell, str) else ""
        stray = word in FLOWS if c < best[0] else not is_blank(cell)
        if stray and c not in covered:
            raise LayoutError(
                f"layout: column header {cell!r} at {cell_ref(best_row, c)} is not part of a"
                f" Credit/Debit/Net group in sheet {sheet!r}"
            )
    return best_row, best


def _find_period_row(grid: Sequence[Sequence[object]], flow_row: int, starts: list[int]) -> int:
    columns = [c + k for c in starts for k in range(3)]
    for r in range(flow_row - 1, -1, -1):
        if any(not is_blank(_cell(grid, r, c)) for c in columns):
            return r
    return -1


def _read_blocks(
    grid: Sequence[Sequence[object]], flow_row: int, starts: list[int], sheet: str
) -> list[_Block]:
    period_row = _find_period_row(grid, flow_row, starts)
    if period_row < 0:
        raise LayoutError(
            f"layout: no period headers above the Credit/Debit/Net row {flow_row + 1}"
            f" in sheet {sheet!r}"
        )
    covered = {c + k for c in starts for k in range(3)}
    for c, cell in enumerate(grid[period_row]):
        # Left of the first block only the row title may stand ('Trade in Services').
        stray = parse_period_header(cell) is not None if c < starts[0] else not is_blank(cell)
        if stray and c not in covered:
            raise LayoutError(
                f"layout: period header {cell!r} at {cell_ref(period_row, c)} has no"
                f" Credit/Debit/Net columns below it in sheet {sheet!r}"
            )
    return [_read_block(grid, period_row, c, sheet) for c in starts]


def _read_block(grid: Sequence[Sequence[object]], period_row: int, col: int, sheet: str) -> _Block:
    # Headers are merged over three columns, so the text sits in the first; tolerate any.
    found = [
        (c, _cell(grid, period_row, c))
        for c in range(col, col + 3)
        if not is_blank(_cell(grid, period_row, c))
    ]
    span = f"{cell_ref(period_row, col)}:{cell_ref(period_row, col + 2)}"
    if not found:
        raise LayoutError(f"layout: no period header in {span} of sheet {sheet!r}")
    if len({repr(value) for _, value in found}) > 1:
        texts = ", ".join(repr(value) for _, value in found)
        raise LayoutError(f"layout: several period headers in {span} of sheet {sheet!r}: {texts}")
    c, value = found[0]
    ref = cell_ref(period_row, c)
    header = parse_period_header(value)
    if header is None:
        raise LayoutError(f"layout: unreadable period header {value!r} at {ref} in sheet {sheet!r}")
    text = value.isoformat()[:10] if isinstance(value, dt.date) else str(value)
    return _Block(col, header, text, ref)


def _latest_month(blocks: list[_Block], sheet: str) -> Month:
    seen: dict[tuple[Month, Month, bool], str] = {}
    for block in blocks:
        key = (block.header.start, block.header.end, block.header.fytd)
        if key in seen:
            raise LayoutError(
                f"layout: period {format_range(*key[:2])} appears twice"
                f" ({seen[key]} and {block.ref}) in sheet {sheet!r}"
            )
        seen[key] = block.ref
    months = [block.header.end for block in blocks if not block.header.fytd]
    if not months:
        raise LayoutError(f"layout: no single-month period header in sheet {sheet!r}")
    latest = max(months)
    fytd = [block for block in blocks if block.header.fytd]
    if fytd:
        current = max(fytd, key=lambda block: block.header.end)
        if current.header.end != latest:
            raise LayoutError(
                f"layout: current fiscal-year-to-date header {current.text!r} at {current.ref}"
                f" ends in {current.header.end} but the latest month is {latest}"
            )
    return latest


def _split_july_fytd(blocks: list[_Block]) -> tuple[list[_Block], list[_Block]]:
    """Separate one-month FYTD blocks ('Jul, FY27') that repeat a month block ('Jul-26').

    Both cover the same period; keeping one keeps (series, flow, period) unique.
    """
    months = {block.header.start for block in blocks if not block.header.fytd}
    kept: list[_Block] = []
    repeats: list[_Block] = []
    for block in blocks:
        single = block.header.start == block.header.end
        repeat = block.header.fytd and single and block.header.start in months
        (repeats if repeat else kept).append(block)
    return kept, repeats


def _data_row(line: Sequence[object], blocks: list[_Block]) -> bool:
    """Tell figure rows from footer notes, which share the 'N.' label style but hold no numbers."""
    for block in blocks:
        for k in range(3):
            cell = line[block.col + k] if block.col + k < len(line) else ""
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                return True
            if isinstance(cell, str) and SPACES_RE.sub("", cell).casefold() == "n/a":
                return True
    return False


def _find_rows(
    grid: Sequence[Sequence[object]], flow_row: int, blocks: list[_Block], sheet: str
) -> tuple[list[_Row], list[str]]:
    first_col = min(block.col for block in blocks)
    rows: dict[str, _Row] = {}
    warnings: list[str] = []
    for r in range(flow_row + 1, len(grid)):
        line = grid[r]
        label = next((cell for cell in line[:first_col] if not is_blank(cell)), None)
        if not isinstance(label, str) or not _data_row(line, blocks):
            continue
        code = row_code(label)
        if code is None:
            continue
        if code in rows:
            where = f"{rows[code].index + 1} and {r + 1}"
            if code in (SERVICES, ICT):
                raise LayoutError(
                    f"layout: two rows ({where}) with code {code!r} in sheet {sheet!r}"
                )
            warnings.append(f"duplicate row for code {code!r} (rows {where}); kept the first")
            continue
        rows[code] = _Row(r, code, label)
    return list(rows.values()), warnings


def _check_orphan_numbers(
    grid: Sequence[Sequence[object]], rows: list[_Row], blocks: list[_Block], sheet: str
) -> None:
    """Numbers outside every block mean a block lost its headers: refuse rather than drop it."""
    covered = {block.col + k for block in blocks for k in range(3)}
    for row in rows:
        for c, cell in enumerate(grid[row.index]):
            if c not in covered and isinstance(cell, int | float) and not isinstance(cell, bool):
                raise LayoutError(
                    f"layout: number {cell!r} at {cell_ref(row.index, c)} lies under no period"
                    f" header in sheet {sheet!r}"
                )


def _check_rows(rows: list[_Row], sheet: str) -> list[str]:
    by_code = {row.code: row for row in rows}
    if SERVICES not in by_code:
        raise LayoutError(f"layout: no row labelled 'Services' (the total) in sheet {sheet!r}")
    ict = by_code.get(ICT)
    if ict is None:
        raise LayoutError(f"layout: no row labelled {ICT_LABEL!r} in sheet {sheet!r}")
    norm = normalise_label(ict.label)
    if "telecommunications" not in norm or "computer" not in norm:
        raise LayoutError(
            f"layout: row {ict.index + 1} has code 9 but label {ict.label!r} is not"
            f" {ICT_LABEL!r} in sheet {sheet!r}"
        )
    missing = [code for code in EXPECTED_ROWS if code not in by_code]
    return [f"expected row {code!r} not found in sheet {sheet!r}" for code in missing]


# ---------------------------------------------------------------- values and checks


def _observations(
    grid: Sequence[Sequence[object]], rows: list[_Row], blocks: list[_Block], unit: str, sheet: str
) -> tuple[list[Observation], list[str]]:
    divisor = _UNIT_DIVISOR[unit]
    result: list[Observation] = []
    warnings: list[str] = []
    for row in rows:
        required = row.code in (SERVICES, ICT)
        for block in blocks:
            for k, flow in enumerate(FLOWS):
                ref = cell_ref(row.index, block.col + k)
                where = f"{ref} ({row.code} {flow}, {block.text}) of sheet {sheet!r}"
                try:
                    value = _number(_cell(grid, row.index, block.col + k))
                except _BadCell as exc:
                    if required:
                        raise LayoutError(f"layout: {exc} in {where}") from exc
                    warnings.append(f"skipped {exc} in {where}")
                    continue
                if value is None:
                    if row.code == ICT and flow == "credit":
                        raise LayoutError(f"layout: headline is 'N/A' in {where}")
                    continue
                result.append(
                    Observation(
                        series=row.code,
                        flow=flow,
                        start=block.header.start,
                        end=block.header.end,
                        value=value / divisor,
                        status=block.header.status,
                        sheet=sheet,
                        cell=ref,
                        label=row.label,
                        header=block.text,
                    )
                )
    return result, warnings


def _credit(observations: list[Observation]) -> dict[tuple[str, str], Observation]:
    return {(o.series, o.period): o for o in observations if o.flow == "credit"}


def _check_ict_bounds(credit: dict[tuple[str, str], Observation]) -> None:
    low, high = ICT_MONTHLY_BOUNDS
    for (series, _), obs in credit.items():
        if series != ICT:
            continue
        months = obs.end.index - obs.start.index + 1
        if not low <= obs.value <= high * months:
            raise LayoutError(
                f"layout: ICT credit {obs.value:,.2f} US$ m for {obs.header!r} at {obs.cell}"
                f" is outside {low:,.0f}-{high * months:,.0f} (possible unit change)"
            )
        services = credit.get((SERVICES, obs.period))
        if services is not None and services.value < obs.value * (1 - 1e-6):
            raise LayoutError(
                f"layout: Services credit {services.value:,.2f} at {services.cell} is below"
                f" ICT credit {obs.value:,.2f} at {obs.cell} (rows mixed up?)"
            )


def _compare_repeats(kept: list[Observation], repeats: list[Observation]) -> list[str]:
    """Warn when a July FYTD block disagrees with the month block it repeats."""
    by_key = {(o.series, o.flow, o.period): o for o in kept}
    warnings = []
    for obs in repeats:
        twin = by_key.get((obs.series, obs.flow, obs.period))
        if twin is not None and (
            warning := disagreement(f"{obs.series} {obs.flow} {obs.period}", twin, obs)
        ):
            warnings.append(warning)
    return warnings


def _check_identities(credit: dict[tuple[str, str], Observation], periods: list[str]) -> None:
    for parent, children in IDENTITIES:
        for period in periods:
            total = credit.get((parent, period))
            parts = [credit.get((child, period)) for child in children]
            if total is None or any(part is None for part in parts):
                continue  # a missing row or cell was already reported as a warning
            found = [part for part in parts if part is not None]
            summed = sum(part.value for part in found)
            if differ(total.value, summed):
                cells = ", ".join(part.cell for part in found)
                raise LayoutError(
                    f"layout: block {total.header!r}: {parent} credit {total.value:,.3f} at"
                    f" {total.cell} != sum of {'+'.join(children)} = {summed:,.3f} ({cells})"
                )


# ---------------------------------------------------------------- entry point


def parse_ebops(body: bytes) -> EbopsWorkbook:
    """Parse a dt.xls/xlsx body; raises only ParseError subclasses.

    NotADocumentError: not a readable workbook. TooLargeError: zip bomb or huge sheet.
    LayoutError: the EBOPS sheet no longer looks as sources.md section 2 describes.
    """
    fmt = require_format(body, None, {"xls", "xlsx"})
    check_zip_bomb(body)
    sheet, grid = _load_grid(body, fmt)
    unit = _find_unit(grid, sheet)
    flow_row, starts = _find_flow_header(grid, sheet)
    blocks = _read_blocks(grid, flow_row, starts, sheet)
    latest = _latest_month(blocks, sheet)
    rows, warnings = _find_rows(grid, flow_row, blocks, sheet)
    warnings += _check_rows(rows, sheet)
    _check_orphan_numbers(grid, rows, blocks, sheet)
    blocks, repeats = _split_july_fytd(blocks)
    observations, skipped = _observations(grid, rows, blocks, unit, sheet)
    repeated, _ = _observations(grid, rows, repeats, unit, sheet)
    warnings += _compare_repeats(observations, repeated)
    credit = _credit(observations)
    _check_ict_bounds(credit)
    periods = [format_range(block.header.start, block.header.end) for block in blocks]
    _check_identities(credit, periods)
    return EbopsWorkbook(
        format=fmt,
        sheet=sheet,
        unit=unit,
        latest_month=latest,
        observations=tuple(observations),
        warnings=tuple(warnings + skipped),
    )
