"""Spider for SBP's Trade in Services (EBOPS 2010) workbook, ``dt.xls``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from itx_scraper.core.sources import SOURCES
from itx_scraper.items import ParsedDocument
from itx_scraper.parsers.ebops import parse_ebops
from itx_scraper.spiders.base import DocumentSpider, observation_row

if TYPE_CHECKING:
    from scrapy.http import Response

    from itx_scraper.items import Document


def parse_workbook(body: bytes) -> ParsedDocument:
    """Parse dt.xls bytes into storage rows with their exact cell of origin."""
    workbook = parse_ebops(body)
    rows = [
        observation_row(
            obs.series,
            obs.flow,
            obs.start,
            obs.end,
            obs.value,
            obs.status,
            sheet=obs.sheet,
            cell=obs.cell,
            row=cell_row(obs.cell),
            col=cell_column(obs.cell),
            label=obs.label,
            header=obs.header,
        )
        for obs in workbook.observations
    ]
    return ParsedDocument(workbook.format, rows, str(workbook.latest_month))


def cell_column(cell: str) -> int:
    """1-based column number of an A1 reference ('I59' -> 9)."""
    number = 0
    for char in cell:
        if not char.isalpha():
            break
        number = number * 26 + ord(char.upper()) - 64
    return number


def cell_row(cell: str) -> int:
    """1-based row number of an A1 reference ('I59' -> 59)."""
    return int("".join(char for char in cell if char.isdigit()))


class SbpEbopsSpider(DocumentSpider):
    """Fetch dt.xls (the first configured URL, then fallbacks) and parse it."""

    name = "sbp_ebops"
    default_urls = SOURCES["sbp_ebops"].urls

    async def start(self) -> AsyncIterator[Any]:
        yield self.document_request(self.urls[0], self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Document:
        return self.document(response, parse_workbook)
