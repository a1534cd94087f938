"""Spider for Ministry of IT & Telecom news: list pages -> ``/NewsDetail/<base64 GUID>`` pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itx_scraper.parsers.statement import PageSelectors, decode_news_token
from itx_scraper.spiders.statement import StatementSpider

if TYPE_CHECKING:
    from scrapy.http import Response


@dataclass(frozen=True)
class Selectors:
    """Every selector of this spider. The real news pages were never seen (sources.md §6):
    these follow the NITB CMS of the ministry's sister sites; fix them here against a live page."""

    detail_href: re.Pattern[str]
    next_page: str
    page: PageSelectors


SELECTORS = Selectors(
    detail_href=re.compile(r"/NewsDetail/([A-Za-z0-9+/=_-]+)"),
    next_page='a[rel="next"], ul.pagination li.next a, a.next',
    page=PageSelectors(
        title=(".news-detail .news-title", ".news-detail h2", ".news-detail h1", "h1.page-title"),
        date=(
            ".news-detail .news-date",
            ".news-detail time[datetime]",
            'meta[property="article:published_time"]',
        ),
        body=(".news-detail .news-content", ".news-detail .detail-content"),
        drop=(".share", ".social"),
    ),
)


class MoittSpider(StatementSpider):
    """Scan the configured list pages (and ``depth`` pages of pagination) for news links."""

    name = "moitt"
    page_selectors = SELECTORS.page
    list_links = "/NewsDetail/ links"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.configured_urls:  # ``url``, then ``pages``
            yield self.document_request(url, self.parse, itx_list_page=1)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        doc, page = self.html_list_page(response)
        if page is None:
            yield doc
            return
        links: dict[str, str] = {}
        for anchor in page.select("a[href]"):
            href = str(anchor.get("href"))
            match = SELECTORS.detail_href.search(href)
            url = self.absolute(response.url, href) if match else None
            if match is None or url is None:
                continue
            key = decode_news_token(match.group(1)) or match.group(1)
            links.setdefault(key, url)
        if not links:
            yield self.empty_list(doc)
            return
        yield self.listed(doc, len(links))
        for key, url in self.new_links(links.items()):
            yield self.document_request(url, self.parse_detail, itx_doc_key=f"moitt:{key}")
        yield from self.next_list_page(response, page.select_one(SELECTORS.next_page))

    def parse_detail(self, response: Response) -> Iterator[Any]:
        yield self.detail(response, response.meta["itx_doc_key"])
