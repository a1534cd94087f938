"""Spider for business news RSS/Atom feeds: feed items about IT exports -> article pages.

Outlets differ in markup and change it freely, so articles are read by trafilatura (main text,
title, date) rather than by per-outlet selectors; feeds are read by feedparser.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itx_scraper.core.errors import LayoutError, ParseError
from itx_scraper.core.urls import Origin, origins
from itx_scraper.parsers.feed import FeedItem, read_feed
from itx_scraper.parsers.statement import StatementPage, read_article, url_date
from itx_scraper.spiders.statement import StatementSpider, response_text

if TYPE_CHECKING:
    from datetime import date

    from scrapy.http import Response

    from itx_scraper.items import Document


@dataclass(frozen=True)
class Selectors:
    """The cheap pre-filter on feed items (sources.md §6: dates from the article's markup
    first, then its URL, then the feed's)."""

    it_term: re.Pattern[str]
    export_term: re.Pattern[str]


SELECTORS = Selectors(
    it_term=re.compile(
        r"\b(?:IT|ICT|ITeS)\b|information technology|software|tech|آئی\s*ٹی", re.IGNORECASE
    ),
    export_term=re.compile(r"export|remittance|برآمد", re.IGNORECASE),
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
    list_links = "items"
    date_monitor = False  # an article's date may rightly come from its URL or the feed

    @property
    def allowed_origins(self) -> frozenset[Origin]:
        """An outlet's feed and articles may sit on www. and the bare domain: allow both."""
        return origins(self.configured_urls, strip_www=True)

    async def start(self) -> AsyncIterator[Any]:
        if not self.configured_urls:
            self.logger.error("press: no feeds configured ([sources.press] feeds = [...])")
            return
        for url in self.configured_urls:  # a configured ``url`` is read as one more feed
            yield self.document_request(url, self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        doc, readable = self.list_page(response)
        if not readable:
            yield doc
            return
        try:
            items = read_feed(response.body, doc.content_type)
        except ParseError as exc:
            yield self.error(doc, exc)
            return
        if not items:
            yield self.empty_list(doc)
            return
        wanted = [item for item in items[: self.option_int("depth")] if might_matter(item)]
        self.logger.debug("%s: %d items about IT exports", doc.url, len(wanted))
        yield self.listed(doc, len(items))
        items_by_key = {item.guid or item.link: item for item in wanted}
        if self.options["follow"]:
            links = ((key, item.link) for key, item in items_by_key.items())
            for key, url in self.new_links(links):
                yield self.document_request(url, self.parse_article, itx_item=items_by_key[key])
            return
        for key, item in items_by_key.items():
            if self.first_time(key):
                yield self.from_feed(response, item)

    def read_page(
        self, response: Response, doc: Document, listed_date: date | None, listed_title: str | None
    ) -> StatementPage:
        """Any outlet's article, read by trafilatura."""
        return read_article(
            response.body,
            response_text(response),
            url=doc.url,
            content_type=doc.content_type,
            listed_date=listed_date,
            listed_title=listed_title,
        )

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
