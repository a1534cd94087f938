"""Spider for SBP's headline PDF ``ExportsImports-Goods.pdf`` (first SBP print of a month)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from itx_scraper.core.sources import SOURCES
from itx_scraper.items import ParsedDocument
from itx_scraper.parsers.sbp_pdf import parse_headline_pdf
from itx_scraper.spiders.base import DocumentSpider

if TYPE_CHECKING:
    from scrapy.http import Response
    from twisted.python.failure import Failure


def parse_pdf(body: bytes) -> ParsedDocument:
    """Parse the PDF into observations; ``location`` names page, row and column."""
    release = parse_headline_pdf(body)
    return ParsedDocument("pdf", list(release.observations), str(release.latest_month))


class SbpHeadlineSpider(DocumentSpider):
    """Fetch the PDF from the first URL; when that fails, record it and try the next one."""

    name = "sbp_headline"
    default_urls = SOURCES["sbp_headline"].urls

    async def start(self) -> AsyncIterator[Any]:
        if self.configured_urls:
            yield self.request(0)

    def request(self, attempt: int) -> Any:
        """Attempts follow the configured URLs: ``url`` (or the defaults), then ``fallback_url``."""
        url = self.configured_urls[attempt]
        return self.document_request(url, self.parse, itx_attempt=attempt)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        doc = self.document(response, parse_pdf)
        yield doc
        if doc.failed:
            yield from self.fallback(response.meta)

    def failed(self, failure: Failure) -> Iterator[Any]:  # type: ignore[override]
        yield super().failed(failure)
        yield from self.fallback(failure.request.meta)  # type: ignore[attr-defined]

    def fallback(self, meta: dict[str, Any]) -> Iterator[Any]:
        """The next configured URL after a failed attempt, if there is one."""
        attempt = int(meta.get("itx_attempt", 0)) + 1
        urls = self.configured_urls
        if attempt < len(urls):
            self.logger.info("%s failed; trying %s", urls[attempt - 1], urls[attempt])
            yield self.request(attempt)
