"""Spider for business news RSS/Atom feeds: feed items about IT exports -> article pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itx_scraper.core.errors import LayoutError, ParseError
from itx_scraper.core.urls import Origin, origins
from itx_scraper.parsers.statement import (
    FeedItem,
    PageSelectors,
    StatementPage,
    parse_feed,
    url_date,
)
from itx_scraper.spiders.statement import StatementSpider

if TYPE_CHECKING:
    from scrapy.http import Response


@dataclass(frozen=True)
class Selectors:
    """Every selector of this spider: generic article markup shared by most outlets
    (sources.md §6: Open Graph / JSON-LD dates first, then the URL date, then the feed's)."""

    it_term: re.Pattern[str]
    export_term: re.Pattern[str]
    page: PageSelectors


SELECTORS = Selectors(
    it_term=re.compile(r"\b(?:IT|ICT|ITeS)\b|information technology|software|tech", re.IGNORECASE),
    export_term=re.compile(r"export|remittance", re.IGNORECASE),
    page=PageSelectors(
        title=('meta[property="og:title"]', "article h1", "h1"),
        date=(
            'meta[property="article:published_time"]',
            "json-ld",
            "article time[datetime]",
            'meta[name="publish-date"]',
            "time[datetime]",
        ),
        body=(
            '[itemprop="articleBody"]',
            ".story__content",
            ".entry-content",
            "article .content",
            "article",
        ),
        drop=(".related", ".share", ".advert", ".ad", "figure", "aside"),
    ),
)


def might_matter(item: FeedItem) -> bool:
    """Cheap pre-filter on the feed item, so that only likely articles are fetched."""
    text = f"{item.title} {item.summary} {item.content}"
    return bool(SELECTORS.it_term.search(text) and SELECTORS.export_term.search(text))


class PressSpider(StatementSpider):
    """Read each configured feed; fetch the articles of items that may be about IT exports.

    Options: ``feeds`` (required), ``depth`` (items read per feed), ``follow`` (false: use the
    feed's own text instead of fetching the article).
    """

    name = "press"
    is_feed = True
    page_selectors = SELECTORS.page

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        feeds = [str(feed) for feed in self.options["feeds"]]
        self.urls = tuple(dict.fromkeys([*feeds, *self.urls]))

    @property
    def allowed_origins(self) -> frozenset[Origin]:
        """An outlet's feed and articles may sit on www. and the bare domain: allow both."""
        return origins(self.urls, strip_www=True)

    async def start(self) -> AsyncIterator[Any]:
        if not self.urls:
            self.logger.error("press: no feeds configured ([sources.press] feeds = [...])")
            return
        for url in self.urls:
            yield self.document_request(url, self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        doc, readable = self.list_page(response)
        if not readable:
            yield doc
            return
        try:
            items = parse_feed(response.body, doc.content_type)
        except ParseError as exc:
            yield self.error(doc, exc)
            return
        if not items:
            yield self.error(doc, LayoutError("the feed has no items"))
            return
        wanted = [item for item in items[: self.option_int("depth")] if might_matter(item)]
        yield self.skipped(doc, f"feed with {len(items)} items, {len(wanted)} about IT exports")
        items_by_key = {item.guid or item.link: item for item in wanted}
        if self.options["follow"]:
            links = ((key, item.link) for key, item in items_by_key.items())
            for key, url in self.new_links(links):
                yield self.document_request(url, self.parse_article, itx_item=items_by_key[key])
            return
        for key, item in items_by_key.items():
            if self.first_time(key):
                yield self.from_feed(response, item)

    def parse_article(self, response: Response) -> Iterator[Any]:
        item: FeedItem = response.meta["itx_item"]
        listed = url_date(item.link) or item.published
        yield self.detail(
            response, f"press:{item.guid or item.link}", listed_date=listed, listed_title=item.title
        )

    def from_feed(self, response: Response, item: FeedItem) -> Any:
        """A statement from the feed's own text (``follow = false``)."""
        doc = self.document(response, None)
        doc.url = item.link or response.url
        text = item.content or item.summary
        published = item.published or url_date(item.link)
        try:
            if published is None:
                raise LayoutError(f"feed item {item.title[:60]!r} has no publication date")
            if not text:
                raise LayoutError(f"feed item {item.title[:60]!r} has no text")
            page = StatementPage(item.title, published, text)
            return self.statement(doc, page, f"press:{item.guid or item.link}")
        except ParseError as exc:
            doc.body = b""
            return self.error(doc, exc)
