"""Spider for SBP's Trade in Services (EBOPS 2010) workbook, ``dt.xls``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from itx_scraper.core.sources import SOURCES
from itx_scraper.items import ParsedDocument
from itx_scraper.parsers.ebops import parse_ebops
from itx_scraper.spiders.base import DocumentSpider

if TYPE_CHECKING:
    from scrapy.http import Response

    from itx_scraper.items import Document


def parse_workbook(body: bytes) -> ParsedDocument:
    """Parse dt.xls bytes into observations with their exact cell of origin."""
    workbook = parse_ebops(body)
    return ParsedDocument(workbook.format, list(workbook.observations), str(workbook.latest_month))


class SbpEbopsSpider(DocumentSpider):
    """Fetch dt.xls (the first configured URL, then fallbacks) and parse it."""

    name = "sbp_ebops"
    default_urls = SOURCES["sbp_ebops"].urls

    async def start(self) -> AsyncIterator[Any]:
        yield self.document_request(self.urls[0], self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Document:
        return self.document(response, parse_workbook)
