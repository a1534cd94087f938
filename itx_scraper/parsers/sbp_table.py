"""Read any SBP statistics workbook (bytes) into series of figures in US$ million, all found by text."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import python_calamine

from itx_scraper.core.errors import LayoutError, ParseError, TooLargeError
from itx_scraper.core.periods import (
    Month,
    fiscal_year_from_two_digits,
    fiscal_year_start,
    format_range,
    month_number,
)
from itx_scraper.parsers.common import (
    SPACES_RE,
    disagreement,
    is_blank,
    normalise_label,
    number_text,
)
from itx_scraper.parsers.ebops import (
    MAX_CELLS,
    PeriodHeader,
    calamine_errors,
    cell_ref,
    describe_workbook,
    parse_period_header,
)
from itx_scraper.parsers.isolated import in_child
from itx_scraper.parsers.sniff import check_zip_bomb, require_format

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    Grid = Sequence[Sequence[object]]

ACROSS = "across"  # periods across the columns, series down the rows (Balancepayment_BPM6)
DOWN = "down"  # periods down the rows, series across the columns (exp_import_BOP)
US_MILLION = "US$ million"
PERCENT = "percent"
QUALIFIER = " > "  # "Secondary Income Credit > General Government": the first such row after
MAX_QUALIFIERS = 5  # a repeated label needing a longer 'A > B > ...' name is ambiguous

_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
_FOOTNOTE_RE = re.compile(r"[*@#\u2020\u2021\u00b9\u00b2\u00b3\u2070-\u2079]")
_STATUS_RE = re.compile(
    r"(?:\s*\(\s*(p|r|provisional|revised)\s*\)|(?<=\d)\s?(p|r))$", re.IGNORECASE
)
_MARKER_RE = re.compile(r"^\(?\s*(p|r|provisional|revised)\s*\)?$", re.IGNORECASE)
_MONTH = r"([a-z]{3,9})\.?"
_SPAN = rf"{_MONTH}(?:\s?-\s?{_MONTH})?"
_FY = r"(?:(?:fy\s?-?\s?)?(\d{4})\s?-\s?(\d{2})|fy\s?-?\s?(\d{4}|\d{2}))"
_SPAN_RE = re.compile(rf"^{_SPAN}$", re.IGNORECASE)
_SPAN_FY_RE = re.compile(rf"^{_SPAN}[\s,]*{_FY}$", re.IGNORECASE)
_SPAN_YEAR_RE = re.compile(rf"^{_SPAN}[\s,'-]*(\d{{4}}|\d{{2}})$", re.IGNORECASE)
_FY_RE = re.compile(rf"^{_FY}$", re.IGNORECASE)
_YEAR_RE = re.compile(r"^(\d{4})$")
_YEARS = (1900, 2200)

_UNIT_HINT_RE = re.compile(
    r"\b(?:million|thousand|billion|mn|bn|mln|crore|lakh|lac)s?\b|\brupees?\b|\bpkr\b|\brs\b"
)
_CURRENCY = r"(?:us\s?\$|usd|us\s?dollars?)"
_UNIT_RE = re.compile(
    r"^(?:(?:amount|values?|figures?)\s+in\s+|in\s+)?"
    rf"(?:(thousand|million|billion)s?\s+(?:of\s+)?{_CURRENCY}|{_CURRENCY}\s+(thousand|million|billion)s?)$"
)
_PAREN_RE = re.compile(r"\(([^()]*)\)")

_NOT_PUBLISHED = frozenset({"-", "--", "n/a", "na", "n.a.", "n.a", "..", "...", "\u2026"})
_PERCENT_RE = re.compile(r"\bgrowth\b|%|\bper ?cent")
_TAG_RE = re.compile(r"^[a-z]$")
_TAG_SUM_RE = re.compile(r"^[a-z](?:[-+][a-z])+$")
_CUMULATIVE_RE = re.compile(r"\bcumulative\b|\bfytd\b|\byear to date\b|\bprogressive\b")


# ---------------------------------------------------------------- public types


@dataclass(frozen=True)
class Figure:
    """One published value of a series, with the cell it came from."""

    start: Month
    end: Month
    value: float  # US$ million (unrounded), or percent when unit == PERCENT
    unit: str
    status: str | None  # 'P', 'R' or None
    sheet: str
    row: int  # 1-based
    col: int  # 1-based
    cell: str  # A1 reference
    label: str  # series label as printed
    part: str | None  # part header(s) as printed, ' / ' between levels
    header: str  # period header as printed

    @property
    def period(self) -> str:
        """Storage form: 'YYYY-MM' for a month, 'YYYY-MM/YYYY-MM' for a range."""
        return format_range(self.start, self.end)

    @property
    def is_month(self) -> bool:
        return self.start == self.end


@dataclass(frozen=True)
class Period:
    """A period header of a sheet: a month or a range (quarter, fiscal year, year to date)."""

    start: Month
    end: Month
    status: str | None
    header: str  # as printed; two header rows are joined with ' / '
    cell: str  # where the (top) header text is

    @property
    def period(self) -> str:
        return format_range(self.start, self.end)

    @property
    def is_month(self) -> bool:
        return self.start == self.end


@dataclass(frozen=True)
class SeriesInfo:
    """A series label of a sheet, with the names to use in a watch."""

    name: str  # value for `series =`; qualified ('A > B') when the label repeats
    label: str  # as printed
    parts: tuple[str, ...]  # values for `part =`; empty when each period has one figure
    unit: str
    cell: str  # where the label is
    ambiguous: bool = False  # the label repeats and no qualified name could be found


@dataclass(frozen=True)
class Series:
    """The figures of one series, in sheet order; blank cells (not published) are left out."""

    name: str
    label: str
    part: str | None
    sheet: str
    unit: str
    figures: tuple[Figure, ...]
    warnings: tuple[str, ...] = ()

    def months(self) -> tuple[Figure, ...]:
        """Single-month figures only (ranges such as fiscal-year-to-date left out)."""
        return tuple(figure for figure in self.figures if figure.is_month)

    def get(self, period: str) -> Figure | None:
        """The figure for 'YYYY-MM' or 'YYYY-MM/YYYY-MM', if published."""
        return next((figure for figure in self.figures if figure.period == period), None)


# ---------------------------------------------------------------- text helpers


def label_key(text: str) -> str:
    """Fold a label for matching: spaces incl. NBSP, case, commas, dashes and footnote marks."""
    return normalise_label(_FOOTNOTE_RE.sub("", text.translate(_DASHES)))


def display_label(text: str) -> str:
    """A label as a user would type it: footnote marks dropped, spaces collapsed."""
    return SPACES_RE.sub(" ", _FOOTNOTE_RE.sub("", text)).strip()


def _clean(text: str) -> str:
    return SPACES_RE.sub(" ", _FOOTNOTE_RE.sub("", text.translate(_DASHES))).strip()


def _printed(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    if isinstance(value, str):
        return SPACES_RE.sub(" ", value).strip()
    return "" if value is None else str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _split_status(text: str) -> tuple[str, str | None]:
    match = _STATUS_RE.search(text)
    if not match:
        return text, None
    word = match.group(1) or match.group(2)
    return text[: match.start()].strip(), word[0].upper()


def _marker(value: object) -> str | None:
    """'P' or 'R' for a status marker cell ('P', '(R)', 'Provisional'), else None."""
    if not isinstance(value, str):
        return None
    match = _MARKER_RE.match(_clean(value))
    return match.group(1)[0].upper() if match else None


# ---------------------------------------------------------------- period headers


def _year(digits: str) -> int | None:
    year = int(digits) if len(digits) == 4 else 2000 + int(digits)
    return year if _YEARS[0] <= year <= _YEARS[1] else None


def _fiscal_year(first: str | None, second: str | None, two_or_four: str | None) -> int | None:
    """'FY26', 'FY2026', '2025-26' or 'FY2025-26' as the year the fiscal year ends."""
    if two_or_four:
        number = int(two_or_four)
        year = number if len(two_or_four) == 4 else fiscal_year_from_two_digits(number)
        return year if _YEARS[0] <= year <= _YEARS[1] else None
    if first and second:  # '2025-26'
        year = int(first) + 1
        return year if year % 100 == int(second) and _YEARS[0] <= year <= _YEARS[1] else None
    return None


def _span(
    first: str, last: str | None, *, fiscal_year: int | None = None, year: int | None = None
) -> tuple[Month, Month] | None:
    a = month_number(first)
    b = month_number(last) if last else a
    if a is None or b is None:
        return None
    if fiscal_year is not None:
        start = Month(fiscal_year - 1 if a >= 7 else fiscal_year, a)
        end = Month(fiscal_year - 1 if b >= 7 else fiscal_year, b)
    elif year is not None:
        start, end = Month(year, a), Month(year, b)
    else:
        return None
    return (start, end) if start <= end else None


def _header(span: tuple[Month, Month] | None, status: str | None) -> PeriodHeader | None:
    if span is None:
        return None
    start, end = span
    return PeriodHeader(start, end, status, fytd=start != end)


def _parse_single(value: object) -> PeriodHeader | None:
    known = parse_period_header(value)  # dt.xls forms and Excel date cells
    if known is not None or not isinstance(value, str):
        return known
    core, status = _split_status(_clean(value))
    if match := _SPAN_FY_RE.match(core):
        fiscal_year = _fiscal_year(*match.group(3, 4, 5))
        if fiscal_year is None:
            return None
        return _header(_span(*match.group(1, 2), fiscal_year=fiscal_year), status)
    if match := _SPAN_YEAR_RE.match(core):
        year = _year(match.group(3))
        return None if year is None else _header(_span(*match.group(1, 2), year=year), status)
    if match := _FY_RE.match(core):
        fiscal_year = _fiscal_year(*match.group(1, 2, 3))
        if fiscal_year is None:
            return None
        return PeriodHeader(fiscal_year_start(fiscal_year), Month(fiscal_year, 6), status, True)
    return None


def _parse_bottom(value: object) -> tuple[int | None, int | None, str | None] | None:
    """A lower header cell: (fiscal year, calendar year, status), or None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        year = int(value) if float(value).is_integer() else 0
        return (None, year, None) if _YEARS[0] <= year <= _YEARS[1] else None
    if not isinstance(value, str):
        return None
    core, status = _split_status(_clean(value))
    if match := _FY_RE.match(core):
        fiscal_year = _fiscal_year(*match.group(1, 2, 3))
        return None if fiscal_year is None else (fiscal_year, None, status)
    if match := _YEAR_RE.match(core):
        year = _year(match.group(1))
        return None if year is None else (None, year, status)
    return None


def _parse_pair(top: object, bottom: object) -> PeriodHeader | None:
    if not isinstance(top, str):
        return None
    core, top_status = _split_status(_clean(top))
    match = _SPAN_RE.match(core)
    below = _parse_bottom(bottom)
    if not match or below is None:
        return None
    fiscal_year, year, status = below
    return _header(
        _span(*match.group(1, 2), fiscal_year=fiscal_year, year=year), status or top_status
    )


def parse_period(top: object, bottom: object = None) -> PeriodHeader | None:
    """Classify a period header: one cell, or a month/range cell over a fiscal-year/year cell.

    One cell: 'Mar-26 (P)', 'March-2026(P)', 'March 2026(P)', 'Jul-Mar FY26',
    'July-March FY26 (P)', 'Jul, FY27 (P)', 'FY25', '2025-26', an Excel date.
    Two cells: 'Mar' over 'FY26P', 'Jul-Sep' over 'FY26', 'Jan-Mar' over '2026'.
    Ranges keep their span (fytd=True); a one-month range is that month. None when unreadable.
    """
    if is_blank(bottom):
        return _parse_single(top)
    return _parse_pair(top, bottom)


def _yearless(value: object) -> bool:
    """A top header cell that needs a year below it ('Mar', 'Jul-Mar')."""
    if not isinstance(value, str):
        return False
    match = _SPAN_RE.match(_split_status(_clean(value))[0])
    return bool(match) and _span(*match.group(1, 2), year=2000) is not None


# ---------------------------------------------------------------- units


def parse_unit(text: str) -> str | None:
    """Scale of a US$ unit text: '(Amount in Thousand US$)' -> 'thousand'; None if unknown."""
    norm = SPACES_RE.sub(" ", text.casefold().replace("u.s.", "us")).strip().strip("()").strip()
    match = _UNIT_RE.match(norm)
    return (match.group(1) or match.group(2)) if match else None


def to_million(value: float, scale: str) -> float:
    """Convert a figure in US$ ``scale`` to US$ million (divide, not multiply by 0.001)."""
    if scale == "thousand":
        return value / 1000
    return value * 1000 if scale == "billion" else value


def _unit_candidates(text: str) -> list[str]:
    """Unit-like texts in a cell: its parenthesised units, else the whole of a short text.

    'Workers' Remittances (Million US$)' gives only 'Million US$': a title is not a unit.
    """
    found = [c for c in _PAREN_RE.findall(text) if _UNIT_HINT_RE.search(c.casefold())]
    if not found and len(text) <= 40 and _UNIT_HINT_RE.search(text.casefold()):
        found.append(text)
    return found


def _unit_note(value: object) -> bool:
    """A unit line such as '(Million US$)': never a series, part or status header."""
    return isinstance(value, str) and bool(_unit_candidates(value))


def _under_header(value: object) -> object:
    """A cell between the headers and the figures, read as blank when it is a unit note."""
    return "" if _unit_note(value) else value


# ---------------------------------------------------------------- workbook loading


@dataclass
class _Sheet:
    """One sheet's full grid (index == Excel coordinate - 1) and its merged ranges."""

    name: str
    grid: Grid
    merges: dict[tuple[int, int], tuple[int, int, int, int]]
    width: int

    def cell(self, row: int, col: int) -> object:
        line = self.grid[row] if 0 <= row < len(self.grid) else ()
        return line[col] if 0 <= col < len(line) else ""

    def head(self, row: int, col: int) -> object:
        """Header value of a cell: a merged range shows its top-left value in every cell."""
        merge = self.merges.get((row, col))
        return self.cell(merge[0], merge[1]) if merge else self.cell(row, col)

    def head_ref(self, row: int, col: int) -> str:
        merge = self.merges.get((row, col))
        return cell_ref(merge[0], merge[1]) if merge else cell_ref(row, col)


def _merge_map(
    ranges: Iterable[tuple[tuple[int, int], tuple[int, int]]], rows: int, width: int, name: str
) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    merges: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    work = 0
    for (r1, c1), (r2, c2) in ranges:
        span = (r1, c1, min(r2, rows - 1), min(c2, width - 1))
        work += max(0, span[2] - r1 + 1) * max(0, span[3] - c1 + 1)
        if work > MAX_CELLS:  # overlapping ranges could otherwise cost grid x ranges
            raise TooLargeError(f"sheet {name!r} declares over {MAX_CELLS:,} merged cells")
        for r in range(r1, span[2] + 1):
            for c in range(c1, span[3] + 1):
                merges[(r, c)] = span
    return merges


def _load(body: bytes) -> tuple[str, list[_Sheet]]:
    fmt = require_format(body, None, {"xls", "xlsx"})
    check_zip_bomb(body)
    return fmt, in_child(lambda: _read_sheets(body, fmt), describe=describe_workbook(fmt, body))


def _read_sheets(body: bytes, fmt: str) -> list[_Sheet]:
    sheets: list[_Sheet] = []
    total = 0
    with calamine_errors(fmt, body) as stage:
        workbook = python_calamine.load_workbook(io.BytesIO(body))
        stage.doing = "read a sheet of"
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            end = sheet.end
            if end is None:
                sheets.append(_Sheet(name, [], {}, 0))
                continue
            total += (end[0] + 1) * (end[1] + 1)
            if total > MAX_CELLS:
                raise TooLargeError(
                    f"sheet {name!r} spans A1:{cell_ref(*end)}; the workbook exceeds"
                    f" {MAX_CELLS:,} cells"
                )
            # skip_empty_area=False keeps index == Excel coordinate - 1 (cell references stay true).
            grid = sheet.to_python(skip_empty_area=False)
            width = max((len(line) for line in grid), default=0)
            merges = _merge_map(sheet.merged_cell_ranges or [], len(grid), width, name)
            sheets.append(_Sheet(name, grid, merges, width))
    return sheets


# ---------------------------------------------------------------- sheet analysis


@dataclass(frozen=True)
class _Column:
    """A column of figures: under one period (across) or one series (down)."""

    col: int
    parts: tuple[str, ...]  # header levels below the period (across) or the series (down)
    period: Period | None = None  # across only
    cumulative: bool = False  # figures run from July of the fiscal year ('Cumulative')


@dataclass(frozen=True)
class _Instance:
    """One occurrence of a series label: a row (across) or a group of columns (down)."""

    label: str
    key: str
    index: int  # row (across) or first column (down), 0-based
    cell: str
    columns: tuple[_Column, ...] = ()  # down only


def _column_letter(col: int) -> str:
    return cell_ref(0, col)[:-1]


def _has_numbers(sheet: _Sheet, rows: Iterable[int], col: int) -> bool:
    return any(_is_number(sheet.cell(r, col)) for r in rows)


def _singles(sheet: _Sheet) -> dict[tuple[int, int], PeriodHeader]:
    found: dict[tuple[int, int], PeriodHeader] = {}
    for r, line in enumerate(sheet.grid):
        for c, value in enumerate(line):
            if isinstance(value, str | dt.date) and not is_blank(value):
                merge = sheet.merges.get((r, c))
                if merge is not None and (merge[0], merge[1]) != (r, c):
                    continue  # a value hidden under a merged range is not shown
                header = _parse_single(value)
                if header is not None:
                    found[(r, c)] = header
    return found


def _pair_counts(sheet: _Sheet) -> Counter[int]:
    counts: Counter[int] = Counter()
    for r in range(len(sheet.grid) - 1):
        for c in range(sheet.width):
            value = sheet.head(r, c)
            if _yearless(value) and _parse_pair(value, sheet.head(r + 1, c)) is not None:
                counts[r] += 1
    return counts


def _find_unit(sheet: _Sheet, rows: range) -> tuple[str, str, str]:
    """(unit text as printed, cell, scale) from the rows above the figures."""
    found: dict[str, tuple[str, str]] = {}
    for r in rows:
        for c, value in enumerate(sheet.grid[r]):
            if not isinstance(value, str):
                continue
            for candidate in _unit_candidates(value):
                scale = parse_unit(candidate)
                if scale is None:
                    raise LayoutError(
                        f"layout: unknown unit {_printed(value)!r} at {cell_ref(r, c)}"
                        f" in sheet {sheet.name!r} (expected e.g. '(Million US$)')"
                    )
                found.setdefault(scale, (_printed(value), cell_ref(r, c)))
    if not found:
        raise LayoutError(
            f"layout: no unit line such as '(Million US$)' above the figures in sheet {sheet.name!r}"
        )
    if len(found) > 1:
        cells = ", ".join(f"{text!r} at {ref}" for text, ref in found.values())
        raise LayoutError(f"layout: conflicting units in sheet {sheet.name!r}: {cells}")
    scale, (text, ref) = next(iter(found.items()))
    return text, ref, scale


def _levels(values: Iterable[object]) -> tuple[str, ...]:
    """Non-blank header texts top to bottom, a repeat (vertical merge) kept once."""
    levels: list[str] = []
    for value in values:
        text = _printed(value)
        if text and (not levels or label_key(levels[-1]) != label_key(text)):
            levels.append(text)
    return tuple(levels)


def _instances_named(instances: Sequence[_Instance]) -> list[tuple[str, bool]]:
    """A config name per instance: the label, or 'Anchor > Label' when the label repeats.

    'A > B' means the first B after A. The anchor is the closest earlier instance with the
    shortest name after which no other B comes first, so names stay short and exact. A label
    whose name would need more than MAX_QUALIFIERS qualifiers is ambiguous: such a name is of
    no use, and names could otherwise grow with the sheet (cost growing with its square).
    """
    counts = Counter(instance.key for instance in instances)
    names: list[tuple[str, bool]] = []
    last_of_key: dict[str, int] = {}  # key -> index of its latest instance so far
    # qualifier count -> index of the latest unambiguous name with that many qualifiers: the
    # best anchor is the first of these, fewest qualifiers first, after the label's last use.
    anchors: dict[int, int] = {}
    for i, instance in enumerate(instances):
        label = display_label(instance.label)
        previous = last_of_key.get(instance.key, -1)
        last_of_key[instance.key] = i
        if counts[instance.key] == 1:
            name, ambiguous = label, False
        else:
            anchor = next((anchors[q] for q in sorted(anchors) if anchors[q] > previous), None)
            ambiguous = anchor is None
            name = label if anchor is None else f"{names[anchor][0]}{QUALIFIER}{label}"
        names.append((name, ambiguous))
        qualifiers = name.count(QUALIFIER)
        if not ambiguous and qualifiers < MAX_QUALIFIERS:
            anchors[qualifiers] = i
    return names


def _is_percent(texts: Iterable[str]) -> bool:
    return any(_PERCENT_RE.search(label_key(text)) for text in texts)


def _is_cumulative(texts: Iterable[str]) -> bool:
    return any(_CUMULATIVE_RE.search(label_key(text)) for text in texts)


def _with_cumulative(columns: Sequence[_Column], labels: Sequence[str]) -> list[_Column]:
    """Mark fiscal-year-to-date columns: by their text, or as letter sums of such columns.

    exp_import_BOP tags its columns 'a', 'b', 'c', 'd' and heads the balance 'a-c' (monthly)
    and 'b-d' (cumulative, since b and d are).
    """
    marked = [
        replace(column, cumulative=_is_cumulative([label, *column.parts]))
        for column, label in zip(columns, labels, strict=True)
    ]
    tags = {
        label_key(level): column.cumulative
        for column in marked
        for level in column.parts
        if _TAG_RE.match(label_key(level))
    }
    for i, column in enumerate(marked):
        for level in column.parts:
            key = label_key(level).replace(" ", "")
            if _TAG_SUM_RE.match(key):
                refs = [tags.get(tag) for tag in re.split(r"[-+]", key)]
                if refs and all(refs):
                    marked[i] = replace(column, cumulative=True)
    return marked


def _part_names(columns: Sequence[_Column]) -> dict[tuple[str, ...], str]:
    """For each distinct part tuple, its first level found in no other tuple, else all levels."""
    distinct = list(dict.fromkeys(column.parts for column in columns if column.parts))
    keys = {parts: [label_key(level) for level in parts] for parts in distinct}
    holders = Counter(key for parts in distinct for key in set(keys[parts]))
    return {
        parts: next(
            (level for level, key in zip(parts, keys[parts], strict=True) if holders[key] == 1),
            " / ".join(parts),
        )
        for parts in distinct
    }


def _part_matches(part_key: str, parts: tuple[str, ...]) -> bool:
    return part_key == label_key(" / ".join(parts)) or part_key in map(label_key, parts)


def _figure_value(value: object) -> float | None:
    """A figure cell as a float; None when blank or marked not available; ValueError otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"non-finite number {value}")
        return number
    if is_blank(value):
        return None
    if isinstance(value, str):
        text = SPACES_RE.sub("", value.translate(_DASHES))
        if text.casefold() in _NOT_PUBLISHED:
            return None
        number = number_text(text)
        if number is None:
            raise ValueError(f"text {_printed(value)!r}")
        return number
    raise ValueError(f"{type(value).__name__} value {_printed(value)!r}")


def _july_repeat(period: Period) -> bool:
    """July releases print July twice: as the month and as the one-month fiscal year to date."""
    return period.is_month and period.start.month == 7


@dataclass(frozen=True, eq=False)
class SheetTable:
    """What the reader found in one sheet; ask it for series with :meth:`series`."""

    name: str
    orientation: str  # ACROSS or DOWN
    unit: str  # the unit text as printed
    unit_cell: str
    scale: str  # 'thousand', 'million' or 'billion' (US$)
    periods: tuple[Period, ...]
    series_list: tuple[SeriesInfo, ...]
    header_rows: tuple[int, ...]  # 1-based rows holding period (across) or series (down) headers
    label_col: int  # 1-based column of the series labels (across) or of the periods (down)
    _sheet: _Sheet = field(repr=False)
    marker: str | None = None  # 'column B' or 'row 7' when a marker cell carries the P/R status
    _instances: tuple[_Instance, ...] = field(repr=False, default=())
    _columns: tuple[_Column, ...] = field(repr=False, default=())  # across
    _rows: tuple[tuple[int, Period], ...] = field(repr=False, default=())  # down

    @property
    def latest_month(self) -> Month | None:
        months = [period.end for period in self.periods if period.is_month]
        return max(months) if months else None

    def labels(self) -> tuple[str, ...]:
        return tuple(info.name for info in self.series_list)

    # ------------------------------------------------------------ lookup

    def _find(self, name: str) -> _Instance | None:
        key = label_key(name)
        matches = [instance for instance in self._instances if instance.key == key]
        if len(matches) > 1:
            infos = [info for info in self.series_list if label_key(info.label) == key]
            cells = ", ".join(info.cell for info in infos)
            names = "; ".join(repr(info.name) for info in infos if not info.ambiguous)
            hint = f"; name one as {names}" if names else ""
            raise LayoutError(
                f"layout: series {name!r} appears {len(matches)} times in sheet"
                f" {self.name!r} ({cells}){hint}"
            )
        if matches:
            return matches[0]
        if ">" not in name:
            return None
        keys = [label_key(step) for step in name.split(">")]
        position, found = -1, None
        for step in keys:
            found = next(
                (
                    instance
                    for instance in self._instances
                    if instance.key == step and instance.index > position
                ),
                None,
            )
            if found is None:
                return None
            position = found.index
        return found

    def close_labels(self, name: str, limit: int = 5) -> list[str]:
        """Series names that resemble ``name`` (for error messages)."""
        key = label_key(name.split(">")[-1])
        by_key = {label_key(info.name): info.name for info in self.series_list}
        contained = [shown for k, shown in by_key.items() if key and (key in k or k in key)]
        similar = difflib.get_close_matches(key, list(by_key), n=limit, cutoff=0.6)
        return list(dict.fromkeys([*contained, *(by_key[k] for k in similar)]))[:limit]

    def info(self, name: str) -> SeriesInfo:
        """The listing entry of a series (its config name and parts); LayoutError if absent."""
        instance = self._find(name)
        if instance is None:
            raise self.missing(name)
        return self.series_list[self._instances.index(instance)]

    def missing(self, name: str) -> LayoutError:
        close = self.close_labels(name)
        hint = f"; close labels: {'; '.join(repr(c) for c in close)}" if close else ""
        return LayoutError(f"layout: no series {name!r} in sheet {self.name!r}{hint}")

    def fytd_parts(self, info: SeriesInfo) -> set[str | None]:
        """Parts (None: the series without parts) whose figures run from July (cumulative)."""
        instance = self._instances[self.series_list.index(info)]
        columns = instance.columns if self.orientation == DOWN else self._columns
        names = _part_names(columns)
        whole = _is_cumulative([instance.label])
        return {
            names.get(column.parts) if column.parts else None
            for column in columns
            if column.cumulative or whole
        }

    def has_series(self, name: str) -> bool:
        try:
            return self._find(name) is not None
        except LayoutError:
            return True

    def series(self, name: str, part: str | None = None) -> Series:
        """All published figures of one series (and part); LayoutError/ParseError on damage."""
        instance = self._find(name)
        if instance is None:
            raise self.missing(name)
        columns = instance.columns if self.orientation == DOWN else self._columns
        chosen = self._select(instance, columns, part)
        texts = [instance.label, *(level for column in chosen for level in column.parts)]
        unit = PERCENT if _is_percent(texts) else US_MILLION
        figures, warnings = self._figures(instance, chosen, unit)
        if not figures:
            raise LayoutError(
                f"layout: series {display_label(instance.label)!r} at {instance.cell} has no"
                f" figures in sheet {self.name!r}"
            )
        shown_part = " / ".join(chosen[0].parts) if chosen[0].parts else None
        return Series(
            name=name,
            label=instance.label,
            part=shown_part,
            sheet=self.name,
            unit=unit,
            figures=tuple(figures),
            warnings=tuple(warnings),
        )

    def monthly_series(self, name: str, part: str | None = None) -> Series:
        """``series``, refusing what cannot be watched as a monthly series: a fiscal year to
        date (its figure under a month runs from July) or a series without a single month."""
        series = self.series(name, part)
        month_headers = {period.header for period in self.periods if period.is_month}
        cumulative = [f for f in series.figures if not f.is_month and f.header in month_headers]
        if cumulative:
            shown = f"{name!r}" + (f" part {part!r}" if part else "")
            raise LayoutError(
                f"layout: series {shown} is a fiscal year to date (under {cumulative[-1].header!r}"
                f" at {cumulative[-1].cell} it runs from July), not a monthly series; watch a"
                " monthly part (see `itx-scraper inspect`)"
            )
        if not series.months():
            raise LayoutError(
                f"layout: series {name!r} has no monthly figures in sheet"
                f" {series.sheet!r}, only ranges such as {series.figures[0].header!r}"
            )
        return series

    def _select(
        self, instance: _Instance, columns: Sequence[_Column], part: str | None
    ) -> list[_Column]:
        label = display_label(instance.label)
        names = list(_part_names(columns).values())
        if part is None:
            plain = [column for column in columns if not column.parts]
            parted = next((column for column in columns if column.parts), None)
            if plain and parted is not None:
                raise LayoutError(
                    f"layout: series {label!r} in sheet {self.name!r} has part"
                    f" {' / '.join(parted.parts)!r} in {_where(parted)} but no part in"
                    f" {_where(plain[0])}"
                )
            if plain:
                return plain
            raise LayoutError(
                f"layout: series {label!r} in sheet {self.name!r} has parts"
                f" {', '.join(repr(n) for n in names)}; choose one with `part`"
            )
        key = label_key(part)
        chosen = [column for column in columns if column.parts and _part_matches(key, column.parts)]
        if not chosen:
            listed = ", ".join(repr(n) for n in names) or "none"
            raise LayoutError(
                f"layout: series {label!r} in sheet {self.name!r} has no part {part!r}"
                f" (parts: {listed})"
            )
        distinct = {column.parts for column in chosen}
        per_period = Counter(id(column.period) for column in chosen)
        if (
            len(distinct) > 1
            or (self.orientation == DOWN and len(chosen) > 1)
            or any(count > 1 for count in per_period.values())
        ):
            found = ", ".join(repr(" / ".join(parts)) for parts in distinct)
            raise LayoutError(
                f"layout: part {part!r} of series {label!r} matches several columns ({found})"
                f" in sheet {self.name!r}"
            )
        return chosen

    def _figures(
        self, instance: _Instance, columns: list[_Column], unit: str
    ) -> tuple[list[Figure], list[str]]:
        if self.orientation == ACROSS:
            cells = [(instance.index, column, column.period) for column in columns]
        else:
            cells = [(row, columns[0], period) for row, period in self._rows]
        figures: list[Figure] = []
        warnings: list[str] = []
        seen: dict[str, Figure] = {}
        whole_fytd = _is_cumulative([instance.label])
        for row, column, period in cells:
            assert period is not None
            ref = cell_ref(row, column.col)
            part = " / ".join(column.parts) if column.parts else None
            try:
                value = _figure_value(self._sheet.cell(row, column.col))
            except ValueError as exc:
                raise ParseError(
                    f"parse: {exc} in figure cell {ref} of sheet {self.name!r}"
                    f" ({display_label(instance.label)}, {period.header})"
                ) from exc
            if value is None:
                continue
            start, end = period.start, period.end
            if (column.cumulative or whole_fytd) and period.is_month:
                start = fiscal_year_start(end.fiscal_year)
            figure = Figure(
                start=start,
                end=end,
                value=value if unit == PERCENT else to_million(value, self.scale),
                unit=unit,
                status=period.status,
                sheet=self.name,
                row=row + 1,
                col=column.col + 1,
                cell=ref,
                label=instance.label,
                part=part,
                header=period.header,
            )
            twin = seen.get(figure.period)
            if twin is None:
                seen[figure.period] = figure
                figures.append(figure)
            elif warning := disagreement(figure.period, twin, figure):
                warnings.append(f"{warning}; kept {twin.cell}")
        return figures, warnings


def _where(column: _Column) -> str:
    """'column D' or, across, "column D ('Mar-26 (P)')"."""
    letter = _column_letter(column.col)
    return (
        f"column {letter}"
        if column.period is None
        else f"column {letter} ({column.period.header!r})"
    )


def _check_duplicates(periods: Iterable[tuple[Period, tuple[str, ...]]], sheet: str) -> None:
    seen: dict[tuple[str, tuple[str, ...]], Period] = {}
    for period, parts in periods:
        key = (period.period, tuple(map(label_key, parts)))
        first = seen.setdefault(key, period)
        if first is not period and not _july_repeat(period):
            raise LayoutError(
                f"layout: period {period.period} appears twice ({first.header!r} at {first.cell}"
                f" and {period.header!r} at {period.cell}) in sheet {sheet!r}"
            )


def _infos(
    instances: Sequence[_Instance], parts_of: Sequence[tuple[str, ...]]
) -> tuple[SeriesInfo, ...]:
    return tuple(
        SeriesInfo(
            name=name,
            label=instance.label,
            parts=parts,
            unit=PERCENT if _is_percent([instance.label]) else US_MILLION,
            cell=instance.cell,
            ambiguous=ambiguous,
        )
        for instance, (name, ambiguous), parts in zip(
            instances, _instances_named(instances), parts_of, strict=True
        )
    )


def _across(sheet: _Sheet, period_row: int, pair: bool) -> SheetTable:
    last_header = period_row + 1 if pair else period_row
    header_cols = [
        c
        for c in range(sheet.width)
        if parse_period(sheet.head(period_row, c), sheet.head(last_header, c) if pair else None)
    ]
    if not header_cols:
        raise LayoutError(
            f"layout: no readable period header in row {period_row + 1} in sheet {sheet.name!r}"
        )
    first = header_cols[0]  # the labels are left of the first readable header
    number_rows = [
        r
        for r in range(last_header + 1, len(sheet.grid))
        if any(_is_number(value) for value in sheet.grid[r][first:])
    ]
    text_counts = Counter(
        c
        for r in number_rows
        for c in range(first)
        if isinstance(sheet.cell(r, c), str) and not is_blank(sheet.cell(r, c))
    )
    if not text_counts:
        raise LayoutError(
            f"layout: no series labels left of the period headers (first at"
            f" {cell_ref(period_row, first)}) in sheet {sheet.name!r}"
        )
    label_col = max(sorted(text_counts), key=lambda c: text_counts[c])
    # Every column right of the labels is examined: numbers under an unreadable header left
    # of the first readable one must fail, never be skipped.
    start = label_col + 1
    data_rows = [
        r
        for r in range(last_header + 1, len(sheet.grid))
        if isinstance(sheet.cell(r, label_col), str)
        and not is_blank(sheet.cell(r, label_col))
        and any(_is_number(value) for value in sheet.grid[r][start:])
    ]
    unit, unit_cell, scale = _find_unit(sheet, range(data_rows[0]))
    band = range(last_header + 1, data_rows[0])
    # A unit note under a period header ('(Million US$)') is neither a status nor a part.
    status_rows = [
        r
        for r in band
        if any(not is_blank(_under_header(sheet.cell(r, c))) for c in range(first, sheet.width))
        and all(
            is_blank(_under_header(sheet.cell(r, c))) or _marker(sheet.cell(r, c))
            for c in range(first, sheet.width)
        )
    ]
    part_rows = [r for r in band if r not in status_rows]

    columns: list[_Column] = []
    fill: tuple[object, str] | None = None
    periods: dict[str, Period] = {}
    for c in range(start, sheet.width):
        top, bottom = sheet.head(period_row, c), sheet.head(last_header, c) if pair else None
        ref = sheet.head_ref(period_row, c)
        parts = _levels(_under_header(sheet.head(r, c)) for r in part_rows)
        below = (pair and not is_blank(bottom)) or bool(parts)
        if is_blank(top) and below and fill is not None:
            top, ref = fill  # the header is merged (or meant to be) over this column too
        elif not is_blank(top):
            fill = (top, ref)
        numbers = _has_numbers(sheet, data_rows, c)
        header = parse_period(top, bottom if pair else None)
        if header is None:
            if not numbers:
                continue
            if is_blank(top) and is_blank(bottom):
                where = cell_ref(next(r for r in data_rows if _is_number(sheet.cell(r, c))), c)
                raise LayoutError(
                    f"layout: number at {where} lies under no period header in sheet {sheet.name!r}"
                )
            text = " / ".join(t for t in (_printed(top), _printed(bottom)) if t)
            raise LayoutError(
                f"layout: unreadable period header {text!r} at {ref} in sheet {sheet.name!r}"
            )
        status = next(
            (_marker(sheet.cell(r, c)) for r in status_rows if _marker(sheet.cell(r, c))), None
        )
        printed = " / ".join(t for t in (_printed(top), _printed(bottom)) if t)
        period = periods.setdefault(
            f"{ref}|{printed}",
            Period(header.start, header.end, status or header.status, printed, ref),
        )
        if period.status != (status or header.status):
            raise LayoutError(
                f"layout: conflicting P/R status under period header {printed!r} at {ref}"
                f" in sheet {sheet.name!r}"
            )
        columns.append(_Column(c, parts, period))
    columns = _with_cumulative(columns, [""] * len(columns))
    _check_duplicates(
        ((column.period, column.parts) for column in columns if column.period), sheet.name
    )

    instances = [
        _Instance(
            label=str(sheet.cell(r, label_col)),
            key=label_key(str(sheet.cell(r, label_col))),
            index=r,
            cell=cell_ref(r, label_col),
        )
        for r in data_rows
    ]
    names = tuple(_part_names(columns).values())
    return SheetTable(
        name=sheet.name,
        orientation=ACROSS,
        unit=unit,
        unit_cell=unit_cell,
        scale=scale,
        periods=tuple(periods.values()),
        series_list=_infos(instances, [names] * len(instances)),
        header_rows=tuple(range(period_row + 1, last_header + 2)),
        label_col=label_col + 1,
        marker=f"row {status_rows[0] + 1}" if status_rows else None,
        _sheet=sheet,
        _instances=tuple(instances),
        _columns=tuple(columns),
    )


def _is_title(sheet: _Sheet, row: int, period_col: int, columns: Sequence[int]) -> bool:
    """A row whose text is a merged title running over the period column and the figures."""
    merge = sheet.merges.get((row, period_col))
    return merge is not None and any(merge[1] <= c <= merge[3] for c in columns)


def _series_band(sheet: _Sheet, first_row: int, period_col: int, columns: list[int]) -> list[int]:
    """Rows of series headers above the first period row, bottom-up until a title or unit."""
    band: list[int] = []
    r = first_row - 1
    while r >= 0 and all(is_blank(sheet.head(r, c)) for c in columns):
        r -= 1
    while r >= 0:
        texts = [sheet.head(r, c) for c in columns if not is_blank(sheet.head(r, c))]
        if not texts or _is_title(sheet, r, period_col, columns):
            break
        if any(_unit_note(t) for t in texts):
            break
        band.insert(0, r)
        r -= 1
    return band


def _down(
    sheet: _Sheet, period_col: int, singles: dict[tuple[int, int], PeriodHeader]
) -> SheetTable:
    period_rows = sorted(r for (r, c) in singles if c == period_col)
    first_row = period_rows[0]
    # Below the first month, numbers need a readable period: a new month that cannot be read
    # must fail, never look like 'no new data'.
    for r in range(first_row, len(sheet.grid)):
        value = sheet.cell(r, period_col)
        if (r, period_col) in singles:
            continue
        number = next(
            (c for c, v in enumerate(sheet.grid[r]) if c > period_col and _is_number(v)), None
        )
        if number is None:
            continue
        if is_blank(value):
            raise LayoutError(
                f"layout: number at {cell_ref(r, number)} has no period in"
                f" {cell_ref(r, period_col)} in sheet {sheet.name!r}"
            )
        raise LayoutError(
            f"layout: unreadable period {_printed(value)!r} at {cell_ref(r, period_col)}"
            f" in sheet {sheet.name!r}"
        )
    marker_col = next(
        (
            c
            for c in sorted(range(sheet.width), key=lambda c: abs(c - period_col))
            if c != period_col
            and any(not is_blank(sheet.cell(r, c)) for r in period_rows)
            and all(is_blank(sheet.cell(r, c)) or _marker(sheet.cell(r, c)) for r in period_rows)
        ),
        None,
    )
    candidates = [c for c in range(period_col + 1, sheet.width) if c != marker_col]
    band = _series_band(sheet, first_row, period_col, candidates)
    unit, unit_cell, scale = _find_unit(sheet, range(first_row))

    levels: dict[int, tuple[str, ...]] = {}
    previous: tuple[int, str] | None = None
    for c in candidates:
        column = [_printed(sheet.head(r, c)) for r in band]
        if column and not column[0] and any(column[1:]) and previous and previous[0] == c - 1:
            column[0] = previous[1]  # a series header meant to span this column too
        previous = (c, column[0]) if column and column[0] else None
        found = _levels(column)
        if found:
            levels[c] = found
        elif _has_numbers(sheet, period_rows, c):
            where = cell_ref(next(r for r in period_rows if _is_number(sheet.cell(r, c))), c)
            raise LayoutError(
                f"layout: number at {where} lies under no series header in sheet {sheet.name!r}"
            )

    rows: list[tuple[int, Period]] = []
    for r in period_rows:
        header = singles[(r, period_col)]
        marker = _marker(sheet.cell(r, marker_col)) if marker_col is not None else None
        value = sheet.cell(r, period_col)
        rows.append(
            (
                r,
                Period(
                    header.start,
                    header.end,
                    marker or header.status,
                    _printed(value),
                    cell_ref(r, period_col),
                ),
            )
        )
    _check_duplicates(((period, ()) for _, period in rows if not period.is_month), sheet.name)
    months: dict[Month, Period] = {}
    for _, period in rows:
        if period.is_month:
            first = months.setdefault(period.start, period)
            if first is not period:
                raise LayoutError(
                    f"layout: month {period.period} appears twice ({first.cell} and"
                    f" {period.cell}) in sheet {sheet.name!r}"
                )

    marked = _with_cumulative(
        [_Column(c, found[1:]) for c, found in levels.items()],
        [found[0] for found in levels.values()],
    )
    instances: list[_Instance] = []
    for column, found in zip(marked, levels.values(), strict=True):
        c = column.col
        last = instances[-1] if instances else None
        if last is not None and last.key == label_key(found[0]) and last.columns[-1].col == c - 1:
            instances[-1] = _Instance(
                last.label, last.key, last.index, last.cell, (*last.columns, column)
            )
            continue
        label_row = next((r for r in band if _printed(sheet.head(r, c)) == found[0]), band[0])
        instances.append(
            _Instance(found[0], label_key(found[0]), c, sheet.head_ref(label_row, c), (column,))
        )
    parts_of = [tuple(_part_names(instance.columns).values()) for instance in instances]
    return SheetTable(
        name=sheet.name,
        orientation=DOWN,
        unit=unit,
        unit_cell=unit_cell,
        scale=scale,
        periods=tuple(period for _, period in rows),
        series_list=_infos(instances, parts_of),
        header_rows=tuple(r + 1 for r in band),
        label_col=period_col + 1,
        marker=None if marker_col is None else f"column {_column_letter(marker_col)}",
        _sheet=sheet,
        _instances=tuple(instances),
        _rows=tuple(rows),
    )


def _read_sheet(sheet: _Sheet) -> SheetTable:
    """Find the periods, unit and series of one sheet; LayoutError when it holds no table."""
    if not sheet.grid or sheet.width == 0:
        raise LayoutError(f"layout: sheet {sheet.name!r} is empty")
    singles = _singles(sheet)
    # 'FY24' under 'Jul-Jun' is the lower half of a two-row header, not a header of its own.
    lone = [
        (r, c)
        for r, c in singles
        if not (_parse_bottom(sheet.cell(r, c)) and _yearless(sheet.head(r - 1, c)))
    ]
    across = Counter(r for r, _ in lone)
    pairs = _pair_counts(sheet)
    down = Counter(c for _, c in lone)
    best_row = max(
        [(count, False, -r) for r, count in across.items()]
        + [(count, True, -r) for r, count in pairs.items()],
        default=(0, False, 0),
    )
    best_col = max(((count, -c) for c, count in down.items()), default=(0, 0))
    if best_row[0] == 0 and best_col[0] == 0:
        raise LayoutError(
            f"layout: no period headers (such as 'Mar-26', 'March 2026', 'Mar' over 'FY26',"
            f" or date cells) in sheet {sheet.name!r}"
        )
    if best_row[0] > best_col[0]:
        return _across(sheet, -best_row[2], best_row[1])
    if best_col[0] > best_row[0]:
        return _down(sheet, -best_col[1], {key: singles[key] for key in lone})
    raise LayoutError(
        f"layout: cannot tell whether periods run across or down in sheet {sheet.name!r}"
    )


# ---------------------------------------------------------------- workbook


@dataclass(frozen=True, eq=False)
class Table:
    """A workbook read once; ask it for any number of series."""

    format: str  # 'xls' or 'xlsx'
    sheet_names: tuple[str, ...]  # every sheet, as named in the workbook
    sheets: tuple[SheetTable, ...]  # the sheets holding a readable table
    problems: tuple[tuple[str, str], ...] = ()  # (sheet, why it holds no readable table)
    _errors: dict[str, LayoutError] = field(repr=False, default_factory=dict)

    def sheet(self, name: str) -> SheetTable:
        """The table of a sheet named ``name`` (spaces and case ignored)."""
        key = name.strip().casefold()
        for table in self.sheets:
            if table.name.strip().casefold() == key:
                return table
        for sheet, error in self._errors.items():
            if sheet.strip().casefold() == key:
                raise error
        found = ", ".join(repr(n) for n in self.sheet_names)
        raise LayoutError(f"layout: no sheet named {name!r} (sheets: {found})")

    def find_sheets(self, series: str) -> list[SheetTable]:
        """Sheets in which ``series`` names a series."""
        return [table for table in self.sheets if table.has_series(series)]

    def locate(self, series: str, sheet: str | None = None) -> SheetTable:
        """The sheet to read ``series`` from: ``sheet``, else the one sheet that has it."""
        if sheet is not None:
            return self.sheet(sheet)
        found = self.find_sheets(series)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(repr(table.name) for table in found)
            raise LayoutError(
                f"layout: series {series!r} is in several sheets ({names}); set sheet"
            )
        if len(self.sheets) == 1 and not self.problems:
            raise self.sheets[0].missing(series)
        close = [label for table in self.sheets for label in table.close_labels(series)][:5]
        hint = f"; close labels: {'; '.join(repr(c) for c in close)}" if close else ""
        skipped = "".join(f"; sheet {s!r} unreadable: {why}" for s, why in self.problems)
        raise LayoutError(f"layout: no series {series!r} in any sheet{hint}{skipped}")

    def series(self, name: str, part: str | None = None, sheet: str | None = None) -> Series:
        """One series' figures; ``sheet`` defaults to the one sheet where ``name`` is found."""
        return self.locate(name, sheet).series(name, part)


def read_table(body: bytes) -> Table:
    """Read a workbook's bytes once; raises only ParseError subclasses.

    NotADocumentError: HTML, empty, truncated or random bytes. TooLargeError: zip bomb or a
    huge grid. LayoutError: no sheet holds a table with a unit, period headers and series.
    """
    fmt, sheets = _load(body)
    tables: list[SheetTable] = []
    errors: dict[str, LayoutError] = {}
    for sheet in sheets:
        try:
            tables.append(_read_sheet(sheet))
        except LayoutError as exc:
            errors[sheet.name] = exc
    if not tables:
        if len(errors) == 1:
            raise next(iter(errors.values()))
        reasons = "; ".join(f"{name!r}: {error}" for name, error in errors.items())
        raise LayoutError(f"layout: no sheet holds a readable table ({reasons})")
    return Table(
        format=fmt,
        sheet_names=tuple(sheet.name for sheet in sheets),
        sheets=tuple(tables),
        problems=tuple((name, str(error)) for name, error in errors.items()),
        _errors=errors,
    )
