"""Items that spiders yield: a fetched document, parsed or not. No behaviour here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    """One fetch attempt and, when it got bytes, what the parser made of them."""

    source: str
    url: str
    requested_url: str
    http_status: int | None = None
    duration_ms: int | None = None
    body: bytes = field(default=b"", repr=False)
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    format: str | None = None
    not_modified: bool = False
    error_class: str | None = None  # network, timeout, 4xx, 403, 429, 5xx, size, parse, layout
    error: str | None = None
    observations: list[dict[str, Any]] = field(default_factory=list, repr=False)
    latest_period: str | None = None
    doc_key: str | None = None
    title: str | None = None
    published_at: str | None = None
    text: str | None = field(default=None, repr=False)

    @property
    def failed(self) -> bool:
        return self.error_class is not None


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser made of a document's bytes, in storage-ready rows."""

    format: str
    observations: list[dict[str, Any]]
    latest_period: str | None
