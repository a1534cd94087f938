"""Items: one stored figure (:class:`Observation`) and one fetch attempt (:class:`Document`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from itx_scraper.core.periods import Month, format_range


@dataclass(frozen=True)
class Observation:
    """One figure in US$ million (or ``unit``) for a series, flow and period, with where it was
    printed.

    Every parser returns these and ingest stores them (``as_row``); ``cell`` is the A1
    reference in a workbook, ``location`` says where in any other document (a PDF's page,
    row and column, a statement's sentence).
    """

    series: str
    flow: str  # credit, debit or net; 'value' for a watch's series
    start: Month
    end: Month
    value: float
    status: str | None = None  # P (provisional), R (revised) or None
    sheet: str | None = None
    cell: str | None = None
    location: str | None = None
    label: str | None = None  # the row label as printed
    header: str | None = None  # the period header as printed
    source_url: str | None = None  # per-row provenance (history files)
    note: str | None = None
    unit: str | None = None  # None: US$ million; 'percent' for growth rates (watches)

    @property
    def period(self) -> str:
        """Storage form: 'YYYY-MM' for a month, 'YYYY-MM/YYYY-MM' for a range."""
        return format_range(self.start, self.end)

    @property
    def months(self) -> int:
        return self.end.index - self.start.index + 1

    def as_row(self) -> dict[str, Any]:
        """The ``observations`` table's columns."""
        row, col = cell_position(self.cell) if self.cell else (None, None)
        return {
            "series": self.series,
            "flow": self.flow,
            "period": self.period,
            "period_start": str(self.start),
            "period_end": str(self.end),
            "months": self.months,
            "usd_million": self.value,
            "status": self.status,
            "sheet": self.sheet,
            "row": row,
            "col": col,
            "cell": self.cell,
            "location": self.location,
            "label": self.label,
            "header": self.header,
            "source_url": self.source_url,
            "note": self.note,
            "unit": self.unit,
        }


def cell_position(cell: str) -> tuple[int, int]:
    """1-based (row, column) of an A1 reference: 'I59' -> (59, 9)."""
    letters = cell.rstrip("0123456789")
    column = 0
    for char in letters.upper():
        column = column * 26 + ord(char) - 64
    return int(cell[len(letters) :]), column


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser made of a document's bytes."""

    format: str
    observations: list[Observation]
    latest_period: str | None


@dataclass
class Document:
    """One fetch attempt and, when it got bytes, what the parser made of them."""

    source: str
    url: str  # the configured or linked URL (the final URL after redirects is not kept)
    http_status: int | None = None
    started_at: str | None = None  # when the fetch began (UTC ISO 8601); None: when stored
    duration_ms: int | None = None
    body: bytes = field(default=b"", repr=False)
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    format: str | None = None
    not_modified: bool = False
    error_class: str | None = None  # network, timeout, 4xx, 403, 429, 5xx, size, parse, layout
    error: str | None = None
    observations: list[Observation] = field(default_factory=list, repr=False)
    latest_period: str | None = None
    doc_key: str | None = None
    title: str | None = None
    published_at: str | None = None
    text: str | None = field(default=None, repr=False)
    links: int | None = None  # candidate links a list page or feed gave (None: not a list)

    @property
    def failed(self) -> bool:
        return self.error_class is not None
