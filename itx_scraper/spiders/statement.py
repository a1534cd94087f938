"""What the statement spiders share: list pages, detail pages, relevance and stated figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin

import msgspec
from scrapy.http import TextResponse

from itx_scraper.core.config import validated
from itx_scraper.core.errors import ParseError
from itx_scraper.core.sources import SOURCES
from itx_scraper.extract import extract
from itx_scraper.parsers.statement import (
    LanguageError,
    PageSelectors,
    StatementPage,
    check_html,
    check_text_size,
    is_relevant,
    is_relevant_urdu,
    is_urdu_only,
    parse_page,
    soup,
    statement_body,
    statement_observations,
)
from itx_scraper.spiders.base import DocumentSpider

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date

    import scrapy
    from bs4 import BeautifulSoup, Tag
    from scrapy.http import Response

    from itx_scraper.items import Document


def response_text(response: Response) -> str:
    """The decoded page; a response Scrapy did not see as text is read as UTF-8."""
    if isinstance(response, TextResponse):
        return response.text
    return response.body.decode("utf-8", "replace")


def spider_options(source: str, given: dict[str, Any]) -> dict[str, Any]:
    """Validated options; ``scrapy crawl NAME -a depth=3 -a feeds=a,b`` passes strings."""
    kind = SOURCES[source].options
    fields = dict(zip(kind.__struct_fields__, msgspec.structs.fields(kind), strict=True))
    values = {
        key: [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, str) and "list" in str(fields[key].type)
        else value
        for key, value in given.items()
    }
    return msgspec.structs.asdict(validated(kind, values, f"[sources.{source}]", strict=False))


# Detail pages fetched from one list page or feed: a hostile page with 10,000 links costs 50.
MAX_DETAILS_PER_LIST = 50


class StatementSpider(DocumentSpider):
    """Base for ministry, PID, PSEB and press spiders: list -> detail -> one Document each.

    Every fetched page ends in exactly one Document, so that the fetch log has a row per
    attempt: a statement with figures becomes a release; a list page, an off-topic page or
    a statement without a US$ figure is logged as ``not_modified`` (nothing to store); a
    broken page is an error with its bytes kept.
    """

    page_selectors: ClassVar[PageSelectors]
    is_feed: ClassVar[bool] = False  # list pages are feeds (XML), not HTML pages

    def __init__(self, url: str | None = None, urls: Any = (), **kwargs: Any) -> None:
        fields = SOURCES[self.name].options.__struct_fields__
        given = {key: kwargs.pop(key) for key in fields if key in kwargs}
        self.options: dict[str, Any] = spider_options(self.name, given)
        super().__init__(url=url, urls=urls, **kwargs)
        self._seen: set[str] = set()

    def first_time(self, key: str) -> bool:
        """True the first time a document key comes up in this crawl (lists repeat links)."""
        if not key or key in self._seen:
            return False
        self._seen.add(key)
        return True

    def new_links(self, links: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        """The (key, url) pairs of a list page worth fetching: allowed by the URL rule, not seen
        in this crawl, and at most MAX_DETAILS_PER_LIST of them (lists put the newest first)."""
        taken = 0
        for key, url in links:
            if taken >= MAX_DETAILS_PER_LIST:
                self.logger.debug("list page has more links; followed the first %d", taken)
                return
            if self.may_follow(url) and self.first_time(key):
                taken += 1
                yield key, url

    def option_int(self, key: str) -> int:
        return int(self.options[key])

    def next_list_page(self, response: Response, link: Tag | None) -> Iterator[scrapy.Request]:
        """Follow a list page's "next" link, up to ``depth`` list pages."""
        number = int(response.meta.get("itx_list_page", 1))
        if link is None or not link.get("href") or number >= self.option_int("depth"):
            return
        url = urljoin(response.url, str(link["href"]))
        if self.may_follow(url):
            yield self.document_request(url, self.parse, itx_list_page=number + 1)

    # -- outcomes ----------------------------------------------------------------------------

    def skipped(self, doc: Document, reason: str) -> Document:
        """Nothing to store from this page (list page, off-topic, no figure): logged only."""
        self.logger.info("%s: %s", doc.url, reason)
        doc.not_modified = True
        return doc

    def error(self, doc: Document, exc: ParseError) -> Document:
        doc.error_class = exc.error_class
        doc.error = str(exc)
        return doc

    def list_page(self, response: Response) -> tuple[Document, bool]:
        """The Document of a list page or feed and whether its links may be read."""
        doc = self.document(response, None)
        if doc.not_modified or doc.failed:
            return doc, False
        if not self.is_feed:
            try:
                check_html(response.body, doc.content_type)
            except ParseError as exc:
                return self.error(doc, exc), False
        return doc, True

    def html_list_page(self, response: Response) -> tuple[Document, BeautifulSoup | None]:
        """The Document of an HTML list page and its tree; no tree when it cannot be read
        (the Document then says why: an error page, not HTML, nested too deep)."""
        doc, readable = self.list_page(response)
        if not readable:
            return doc, None
        try:
            return doc, soup(response_text(response))
        except ParseError as exc:
            return self.error(doc, exc), None

    def detail(
        self,
        response: Response,
        doc_key: str,
        *,
        listed_date: date | None = None,
        listed_title: str | None = None,
        selectors: PageSelectors | None = None,
    ) -> Document:
        """Turn a detail page into a statement release, a skip, or a recorded error."""
        doc = self.document(response, None)
        if doc.not_modified or doc.failed:
            return doc
        try:
            page = parse_page(
                response.body,
                response_text(response),
                selectors or self.page_selectors,
                content_type=doc.content_type,
                listed_date=listed_date,
                listed_title=listed_title,
            )
            return self.statement(doc, page, doc_key)
        except ParseError as exc:
            return self.error(doc, exc)
        except Exception as exc:  # a bug must not lose the page: record it, keep its bytes
            self.logger.exception("unexpected failure parsing %s", response.url)
            doc.error_class, doc.error = "parse", f"unexpected {type(exc).__name__}: {exc}"
            return doc

    def statement(self, doc: Document, page: StatementPage, doc_key: str) -> Document:
        """Filter by topic and language, extract the figures, and fill in the release."""
        full_text = page.full_text
        check_text_size(full_text)  # a feed item's own text is bounded like a page's
        if is_urdu_only(full_text):
            if is_relevant_urdu(full_text):
                raise LanguageError(
                    "Urdu-only statement about IT exports: English text is required"
                )
            return self.skipped(doc, "Urdu-only page, not about IT exports")
        if not is_relevant(full_text):
            return self.skipped(doc, "not an IT export statement with a Pakistan context")
        rows = statement_observations(extract(full_text, page.published))
        if not rows:
            return self.skipped(doc, "IT export statement without a US$ figure for a period")
        own = [row for row in rows if not (row.note or "").startswith("comparison")]
        doc.body = statement_body(page.title, page.published, page.text)
        doc.format = "statement"
        doc.observations = rows
        doc.latest_period = str(max(row.end for row in own or rows))
        doc.doc_key = doc_key
        doc.title = page.title
        doc.published_at = page.published.isoformat()
        doc.text = page.text
        return doc
