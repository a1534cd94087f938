"""Spider for Pakistan Software Export Board news: list pages -> news pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from itx_scraper.parsers.statement import PageSelectors, parse_date
from itx_scraper.spiders.statement import StatementSpider

if TYPE_CHECKING:
    from scrapy.http import Response


@dataclass(frozen=True)
class Selectors:
    """Every selector of this spider. No PSEB news page is known (sources.md §6): these fit a
    common WordPress-style news list; fix them here against a live page."""

    item: str
    item_link: str
    item_date: str
    next_page: str
    page: PageSelectors


SELECTORS = Selectors(
    item="article.news-item, .news-list .post",
    item_link="h2 a[href], h3 a[href], a.read-more[href]",
    item_date="time[datetime], .post-date",
    next_page='a[rel="next"], .pagination a.next, .nav-links a.next',
    page=PageSelectors(
        title=("article.news-detail h1", ".entry-title", "h1"),
        date=(
            "article.news-detail time[datetime]",
            ".post-date",
            'meta[property="article:published_time"]',
        ),
        body=("article.news-detail .entry-content", ".entry-content"),
        drop=(".sharedaddy", ".share", ".related-posts"),
    ),
)


class PsebSpider(StatementSpider):
    """Read the news list (``depth`` pages) and each news page it links to."""

    name = "pseb"
    page_selectors = SELECTORS.page
    list_links = f"news items ({SELECTORS.item})"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.urls:
            yield self.document_request(url, self.parse, itx_list_page=1)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        doc, page = self.html_list_page(response)
        if page is None:
            yield doc
            return
        items = []
        for item in page.select(SELECTORS.item):
            link = item.select_one(SELECTORS.item_link)
            if link is None or not link.get("href"):
                continue
            url = self.absolute(response.url, str(link["href"]))
            if url is None:
                continue
            stamp = item.select_one(SELECTORS.item_date)
            listed = None
            if stamp is not None:
                listed = parse_date(str(stamp.get("datetime") or stamp.get_text(" ")))
            items.append((url, link.get_text(" "), listed))
        if not items:
            yield self.empty_list(doc)
            return
        yield self.listed(doc, len(items))
        listed = {url: (title, day) for url, title, day in items}
        links = ((urlparse(url).path.rstrip("/"), url) for url, _, _ in items)
        for key, url in self.new_links(links):
            title, day = listed[url]
            yield self.document_request(
                url,
                self.parse_detail,
                itx_doc_key=f"pseb:{key}",
                itx_listed_date=day,
                itx_listed_title=title,
            )
        yield from self.next_list_page(response, page.select_one(SELECTORS.next_page))

    def parse_detail(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        yield self.detail(
            response,
            meta["itx_doc_key"],
            listed_date=meta.get("itx_listed_date"),
            listed_title=meta.get("itx_listed_title"),
        )
