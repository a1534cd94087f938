"""Parse SBP's ExportsImports-Goods.pdf into headline ICT and services export figures (US$ m)."""

from __future__ import annotations

import io
import itertools
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pdfplumber

from itx_scraper.core.errors import LayoutError, NotADocumentError
from itx_scraper.core.periods import (
    Month,
    fiscal_year_from_two_digits,
    fiscal_year_start,
    fytd_range,
    month_number,
)
from itx_scraper.core.sources import ICT
from itx_scraper.items import Observation
from itx_scraper.parsers.common import ICT_MONTHLY_BOUNDS, normalise_label

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

logger = logging.getLogger(__name__)

SERVICES_SERIES = "services"

_ICT_LABEL = "9. Telecommunications, Computer, and Information Services"
_SERVICES_LABEL = "2. Exports of Services"
_ICT_RE = re.compile(r"^(?:9\.?\s*)?telecommunications?\s+computer\b")
_SERVICES_RE = re.compile(r"^(?:2\.?\s*)?exports?\s+of\s+services\b")
_CODE_RE = re.compile(r"^\d+(?:\.\d+)*\.?(?:\s|$)")  # '9.', '9.1', '2 ' start a new row

_FY_RE = re.compile(r"^FY\s*'?(\d{2}|\d{4})\s*(?:\(?([PR])\)?)?$", re.IGNORECASE)
_MARKER_RE = re.compile(r"^\(?([PR])\)?$")
_TRAILING_MARKER_RE = re.compile(r"^(.*?\S)\s*\(([PR])\)$|^(.*?\S)\s+([PR])$")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})
_NUMBER_RE = re.compile(
    r"^(?P<sign>-)?(?P<open>\()?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?P<close>\))?"
    r"(?:\s*\(?(?P<mark>[PR])\)?)?$"
)

_LINE_TOLERANCE = 3.0  # pt: words whose tops differ by at most this belong to one line
_JOIN_GAP = 0.6  # x font height: max gap for joining 'Jul' '-' 'Jun', 'FY' '26', '416' '(P)'
_PDF_MAGIC = b"%PDF-"
_EOF_WINDOW = 2048  # bytes at the end of the file that must hold the final %%EOF


@dataclass(frozen=True)
class HeadlineRelease:
    """All ICT and services figures of one ExportsImports-Goods.pdf."""

    latest_month: Month
    observations: tuple[Observation, ...]


@dataclass(frozen=True)
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


@dataclass(frozen=True)
class _Line:
    page: int
    top: float
    words: tuple[_Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class _Column:
    index: int
    centre: float
    left: float
    right: float
    fiscal_year: int
    fy_text: str
    marker: str | None
    period_text: str | None = None
    span: tuple[Month, Month] | None = None

    @property
    def header(self) -> str:
        return f"{self.period_text or '?'} {self.fy_text}"


@dataclass(frozen=True)
class _Header:
    page: int
    top: float
    columns: tuple[_Column, ...]

    @property
    def left(self) -> float:
        return self.columns[0].left

    def column_at(self, x: float) -> _Column | None:
        for col in self.columns:
            if col.left <= x <= col.right:
                return col
        return None


@dataclass
class _Row:
    page: int
    label: str
    header: _Header
    cells: list[_Word] = field(default_factory=list)


def parse_headline_pdf(body: bytes) -> HeadlineRelease:
    """Parse ExportsImports-Goods.pdf; raise NotADocumentError or LayoutError, nothing else."""
    _check_pdf_bytes(body)
    pages = _extract_words(body)
    lines = [line for number, words in enumerate(pages, 1) for line in _group_lines(number, words)]
    if not lines:
        raise LayoutError("PDF has no extractable text (scanned image or empty pages?)")
    headers, rows = _table(lines)
    latest = _latest_month([col for header in headers for col in header.columns])
    figures: list[Observation] = []
    for series, pattern, printed in (
        (ICT, _ICT_RE, _ICT_LABEL),
        (SERVICES_SERIES, _SERVICES_RE, _SERVICES_LABEL),
    ):
        row = _find_row(rows, pattern, printed)
        figures += _read_row(row, series)
    return HeadlineRelease(latest_month=latest, observations=tuple(figures))


# --- bytes and words -------------------------------------------------------------------------


def _check_pdf_bytes(body: bytes) -> None:
    if not body:
        raise NotADocumentError("empty body, expected a PDF")
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\0")
    if not head.startswith(_PDF_MAGIC):
        if head[:15].lower().startswith((b"<!doctype html", b"<html")):
            raise NotADocumentError("got an HTML page, expected a PDF (moved or missing file?)")
        raise NotADocumentError(f"not a PDF: body starts with {body[:8]!r}, not b'%PDF-'")
    if b"%%EOF" not in body[-_EOF_WINDOW:]:
        raise NotADocumentError(f"truncated PDF: no %%EOF near the end of {len(body):,} bytes")


def _extract_words(body: bytes) -> list[list[_Word]]:
    """Words with coordinates per page; any pdfplumber/pdfminer failure is a NotADocumentError."""
    pages: list[list[_Word]] = []
    try:
        with pdfplumber.open(io.BytesIO(body)) as pdf:
            for page in pdf.pages:
                pages.append(
                    [
                        _Word(
                            str(w["text"]),
                            float(w["x0"]),
                            float(w["x1"]),
                            float(w["top"]),
                            float(w["bottom"]),
                        )
                        for w in page.extract_words()
                    ]
                )
                page.close()
    except Exception as exc:  # pdfminer raises many unrelated types on broken input
        detail = " ".join(str(exc).split())[:200]
        raise NotADocumentError(
            f"PDF could not be read: {type(exc).__name__}: {detail or 'no detail'}"
        ) from exc
    return pages


def _group_lines(page: int, words: Iterable[_Word]) -> list[_Line]:
    groups: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if groups and abs(word.top - groups[-1][0].top) <= _LINE_TOLERANCE:
            groups[-1].append(word)
        else:
            groups.append([word])
    return [_Line(page, group[0].top, tuple(sorted(group, key=lambda w: w.x0))) for group in groups]


def _join(words: Sequence[_Word], *, header: bool) -> list[_Word]:
    """Join split tokens: status markers always; 'Jul' '-' 'Jun' and 'FY' '26' in headers."""
    cells: list[_Word] = []
    for word in words:
        if cells:
            prev = cells[-1]
            close = word.x0 - prev.x1 <= _JOIN_GAP * max(prev.height, word.height)
            marker = _MARKER_RE.match(word.text) is not None
            dash = header and (
                prev.text.translate(_DASHES).endswith("-")
                or word.text.translate(_DASHES).startswith("-")
            )
            fy = header and prev.text.upper() in ("FY", "FY'") and word.text[:1].isdigit()
            if close and (marker or dash or fy):
                sep = " " if marker else ""
                cells[-1] = _Word(
                    prev.text + sep + word.text,
                    prev.x0,
                    word.x1,
                    min(prev.top, word.top),
                    max(prev.bottom, word.bottom),
                )
                continue
        cells.append(word)
    return cells


# --- header ----------------------------------------------------------------------------------


def _table(lines: Sequence[_Line]) -> tuple[list[_Header], list[_Row]]:
    """Headers and the rows below them (a page without a header reuses the previous one)."""
    headers: list[_Header] = []
    rows: list[_Row] = []
    for page in sorted({line.page for line in lines}):
        page_lines = [line for line in lines if line.page == page]
        page_header = _find_header(page_lines)
        if page_header is not None:
            headers.append(page_header)
            page_lines = [line for line in page_lines if line.top > page_header.top]
        if headers:
            rows += _page_rows(page_lines, headers[-1])
    if not headers:
        raise LayoutError(
            "no fiscal-year header line (FY24 FY25 ... FY26) found: the table layout changed"
        )
    return headers, rows


def _find_header(lines: Sequence[_Line]) -> _Header | None:
    for i, line in enumerate(lines):
        cells = _join(line.words, header=True)
        fy_cells = [(c, m) for c in cells if (m := _FY_RE.match(c.text))]
        if len(fy_cells) < 3:
            continue
        first = fy_cells[0][0]
        stray = [c.text for c in cells if c.x0 >= first.x0 and not _FY_RE.match(c.text)]
        if stray:
            raise LayoutError(
                f"unexpected {stray[0]!r} in the fiscal-year header line on page {line.page}"
            )
        columns = _make_columns([(c, m) for c, m in fy_cells])
        if i == 0 or line.top - lines[i - 1].top > 2.5 * first.height:
            raise LayoutError(
                f"no period header line (Jul-Jun, Jun, ...) directly above the fiscal-year"
                f" header on page {line.page}"
            )
        columns = _label_columns(columns, lines[i - 1])
        return _Header(line.page, line.top, tuple(columns))
    return None


def _make_columns(fy_cells: Sequence[tuple[_Word, re.Match[str]]]) -> list[_Column]:
    centres = [cell.centre for cell, _ in fy_cells]
    gaps = [b - a for a, b in itertools.pairwise(centres)]
    if min(gaps) <= 0:
        raise LayoutError("fiscal-year header cells overlap")
    columns = []
    for i, (cell, match) in enumerate(fy_cells):
        left = (centres[i - 1] + centres[i]) / 2 if i else centres[i] - gaps[0] / 2
        right = (centres[i] + centres[i + 1]) / 2 if i < len(gaps) else centres[i] + gaps[-1] / 2
        digits = match.group(1)
        fy = int(digits) if len(digits) == 4 else fiscal_year_from_two_digits(int(digits))
        marker = match.group(2).upper() if match.group(2) else None
        columns.append(_Column(i, cell.centre, left, right, fy, f"FY{digits}", marker))
    return columns


def _label_columns(columns: list[_Column], line: _Line) -> list[_Column]:
    """Give each column its period label; a label over two YTD columns is shared by both."""
    labels: dict[int, _Word] = {}
    for cell in _join(line.words, header=True):
        if cell.centre < columns[0].left or cell.centre > columns[-1].right:
            continue  # stub text such as 'Items', or a unit note beside the table
        col = min(columns, key=lambda c: abs(c.centre - cell.centre))
        if col.index in labels:
            raise LayoutError(
                f"two period labels ({labels[col.index].text!r}, {cell.text!r}) over column"
                f" {col.fy_text} #{col.index + 1} on page {line.page}"
            )
        labels[col.index] = cell
    result = []
    for col in columns:
        above = labels.get(col.index) or _spanning_label(columns, labels, col)
        if above is None:
            raise LayoutError(
                f"no period label above column {col.fy_text} #{col.index + 1} on page {line.page}"
            )
        text, marker = _split_marker(above.text)
        span = _parse_period(text, col.fiscal_year)
        if span is None:
            logger.debug("ignoring column %r %s: not a month or Jul-X range", text, col.fy_text)
        result.append(
            _Column(
                col.index,
                col.centre,
                col.left,
                col.right,
                col.fiscal_year,
                col.fy_text,
                col.marker or marker,
                text,
                span,
            )
        )
    return result


def _spanning_label(
    columns: Sequence[_Column], labels: dict[int, _Word], col: _Column
) -> _Word | None:
    """Label of a neighbour that is printed towards ``col`` (centred over both columns)."""
    quarter = (col.right - col.left) / 4
    left = labels.get(col.index - 1)
    if left is not None and left.centre > columns[col.index - 1].centre + quarter:
        return left
    right = labels.get(col.index + 1)
    if right is not None and right.centre < columns[col.index + 1].centre - quarter:
        return right
    return None


def _split_marker(text: str) -> tuple[str, str | None]:
    match = _TRAILING_MARKER_RE.match(text)
    if match is None:
        return text, None
    return (match.group(1) or match.group(3)), (match.group(2) or match.group(4))


def _parse_period(text: str, fiscal_year: int) -> tuple[Month, Month] | None:
    """'Jun' + FY26 -> 2026-06; 'Jul-Mar' + FY26 -> 2025-07..2026-03; other ranges -> None."""
    first, dash, last = text.translate(_DASHES).replace(" ", "").partition("-")

    def in_fy(month: int) -> Month:
        return Month(fiscal_year - 1 if month >= 7 else fiscal_year, month)

    start = month_number(first)
    if start is None:
        return None
    if not dash:
        return in_fy(start), in_fy(start)
    end = month_number(last)
    if start != 7 or end is None:
        return None
    return fiscal_year_start(fiscal_year), in_fy(end)


def _latest_month(columns: Sequence[_Column]) -> Month:
    months = [col.span[0] for col in columns if col.span and col.span[0] == col.span[1]]
    if not months:
        raise LayoutError("no month column (e.g. 'Jun FY26') recognised in the table header")
    latest = max(months)
    later = [col.header for col in columns if col.span and col.span[1] > latest]
    if later:
        raise LayoutError(f"column {later[0]!r} ends after the latest month {latest}")
    if not any(col.span == fytd_range(latest) for col in columns):
        start, end = fytd_range(latest)
        raise LayoutError(f"no fiscal-year-to-date column {start}..{end} for latest month {latest}")
    return latest


# --- rows ------------------------------------------------------------------------------------


def _page_rows(lines: Sequence[_Line], header: _Header) -> list[_Row]:
    """Split lines into stub label and value cells; join a label wrapped over two lines."""
    rows: list[_Row] = []
    pending: tuple[_Row, float] | None = None  # a label line without values, and its top
    for line in lines:
        label_words = [w for w in line.words if w.centre < header.left]
        cells = _join([w for w in line.words if w.centre >= header.left], header=False)
        label = " ".join(w.text for w in label_words)
        if pending is not None:
            row, top = pending
            pending = None
            close = line.top - top <= 2.5 * line.words[0].height
            if close and cells and not _CODE_RE.match(normalise_label(label)):
                row.label = f"{row.label} {label}".strip()
                row.cells = cells
                continue
        row = _Row(line.page, label, header, cells)
        rows.append(row)
        if label and not cells:
            pending = (row, line.top)
    return rows


def _find_row(rows: Sequence[_Row], pattern: re.Pattern[str], printed: str) -> _Row:
    found = [row for row in rows if pattern.match(normalise_label(row.label))]
    if not found:
        raise LayoutError(f"row {printed!r} not found in the table")
    if len(found) > 1:
        pages = ", ".join(str(row.page) for row in found)
        raise LayoutError(f"row {printed!r} found {len(found)} times (pages {pages})")
    return found[0]


def _parse_value(text: str) -> tuple[float, str | None] | None:
    match = _NUMBER_RE.match(text.translate(_DASHES).strip())
    if match is None or bool(match["open"]) != bool(match["close"]):
        return None
    if match["sign"] and match["open"]:
        return None
    value = float(match["int"].replace(",", "") + (match["frac"] or ""))
    return (-value if match["sign"] or match["open"] else value), match["mark"]


def _read_row(row: _Row, series: str) -> list[Observation]:
    header = row.header
    label = " ".join(row.label.replace("\u00a0", " ").split())
    where = f'page {row.page}, row "{label}"'
    last = label.split(" ")[-1]
    if _parse_value(last) is not None:
        raise LayoutError(f"value {last!r} left of the first column at {where}")
    values: dict[int, tuple[float, str | None]] = {}
    for cell in row.cells:
        col = header.column_at(cell.centre)
        if col is None:
            raise LayoutError(
                f"value {cell.text!r} at {where}, x={cell.centre:.0f} pt is under no column"
            )
        if col.span is None:
            continue  # an ignored column (not a month or Jul-X range)
        parsed = _parse_value(cell.text)
        if parsed is None:
            raise LayoutError(f'non-numeric value {cell.text!r} at {where}, column "{col.header}"')
        if col.index in values:
            raise LayoutError(f'two values at {where}, column "{col.header}"')
        values[col.index] = parsed
    figures: dict[tuple[Month, Month], Observation] = {}
    for col in header.columns:
        if col.span is None:
            continue
        if col.index not in values:
            raise LayoutError(f'no value at {where}, column "{col.header}"')
        value, marker = values[col.index]
        start, end = col.span
        if (
            series == ICT
            and start == end
            and not ICT_MONTHLY_BOUNDS[0] <= value <= ICT_MONTHLY_BOUNDS[1]
        ):
            raise LayoutError(
                f'ICT value {value:,g} for {start} at {where}, column "{col.header}" is outside'
                f" the plausible {ICT_MONTHLY_BOUNDS[0]:,.0f}-{ICT_MONTHLY_BOUNDS[1]:,.0f} US$ m"
            )
        figure = Observation(
            series=series,
            flow="credit",
            start=start,
            end=end,
            value=value,
            status=marker or col.marker,
            location=f'{where}, column "{col.header}"',
            label=label,
            header=col.header,
        )
        seen = figures.get(col.span)
        if seen is None:
            figures[col.span] = figure
        elif seen.value != value:
            raise LayoutError(
                f'{where} prints {seen.value:,g} in column "{seen.header}" but {value:,g} in'
                f' column "{col.header}" for the same period {figure.period}'
            )
    return list(figures.values())
