"""Main text, title and date of an arbitrary news page, read by trafilatura (imported lazily)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

# htmldate keeps the time and its zone, so that a zoned time becomes a PKT date (parse_date).
DATE_PARAMS = {
    "original_date": True,  # the publication date, not the last update
    "extensive_search": False,  # only dates in markup (meta, JSON-LD, <time>, the URL), not prose
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


@dataclass(frozen=True)
class Article:
    """What trafilatura found: paragraphs separated by newlines; any part may be empty."""

    title: str
    date: str  # as htmldate printed it (DATE_PARAMS), "" when the markup has none
    text: str


def read(html: str, url: str | None = None) -> Article:
    """The article in ``html``; ``url`` lets htmldate read a date in the address."""
    import trafilatura

    _quiet()
    found = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        favor_precision=True,  # a statement's figures must come from the article, not a sidebar
        include_comments=False,
        include_tables=True,
        date_extraction_params=DATE_PARAMS,
    )
    if found is None:  # nothing it could call an article (it logs why at DEBUG)
        return Article("", "", "")
    return Article(found.title or "", found.date or "", found.text or "")


def main_text(html: str) -> str:
    """Only the main text (the fallback when a site's own body selectors find nothing)."""
    import trafilatura

    _quiet()
    return (
        trafilatura.extract(
            html,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
        )
        or ""
    )


def _quiet() -> None:
    """trafilatura logs every page it cannot read at WARNING/ERROR; the caller reports it."""
    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
