"""What the statement spiders share: list pages, detail pages, relevance and stated figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.http import TextResponse

from itx_scraper.core.errors import LayoutError, ParseError
from itx_scraper.extract import extract
from itx_scraper.parsers.statement import (
    MissingDateError,
    PageSelectors,
    StatementPage,
    check_html,
    check_text_size,
    is_statement,
    parse_page,
    soup,
    statement_body,
    statement_observations,
)
from itx_scraper.spiders.base import DocumentSpider

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
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


# Detail pages fetched from one list page or feed: a hostile page with 10,000 links costs 50.
MAX_DETAILS_PER_LIST = 50
# Consecutive detail pages whose own markup gives no date before that is a layout error.
UNDATED_PAGES = 3


class StatementSpider(DocumentSpider):
    """Base for ministry, PID, PSEB and press spiders: list -> detail -> one Document each.

    Every fetched page ends in exactly one Document, so that the fetch log has a row per
    attempt: a statement with figures becomes a release; a list page, an off-topic page or
    a statement without a US$ figure is logged as ``not_modified`` (nothing to store); a
    broken page is an error with its bytes kept.

    Layout-drift monitors turn a changed site into a ``layout`` error instead of silence: a
    list page with no candidate links (:meth:`empty_list`; ``last_links`` maps each list URL
    to the links its last good crawl gave, passed in by the runner, which reads the fetch
    log), a detail page with an empty body (``parse_page``), and UNDATED_PAGES detail pages
    in a row whose own markup has no date (:meth:`date_streak`).
    """

    page_selectors: ClassVar[PageSelectors]
    is_feed: ClassVar[bool] = False  # list pages are feeds (XML), not HTML pages
    list_links: ClassVar[str] = "links"  # what a list page lists, for the empty-list message
    date_monitor: ClassVar[bool] = True  # the site's own date selectors may drift

    def __init__(
        self,
        url: str | None = None,
        urls: Any = (),
        last_links: Mapping[str, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(url=url, urls=urls, **kwargs)
        self._seen: set[str] = set()
        self.last_links = last_links  # None: not known (``scrapy crawl``, offline tests)
        self._undated: list[str] = []

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
        url = self.absolute(response.url, str(link["href"]))
        if url is not None and self.may_follow(url):
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

    def empty_list(self, doc: Document) -> Document:
        """A list page that parsed but lists nothing: its markup changed (or it was emptied)."""
        doc.links = 0
        kind = "feed" if self.is_feed else "list page"
        message = f"{kind} {doc.url} gave 0 {self.list_links}"
        if self.last_links is not None:
            last = self.last_links.get(doc.url)
            message += f" (last good crawl: {last})" if last else " (no earlier crawl gave any)"
        return self.error(doc, LayoutError(message))

    def listed(self, doc: Document, count: int) -> Document:
        """A list page that gave ``count`` candidate links: nothing to store, the count kept."""
        doc.links = count
        return self.skipped(
            doc, f"{'feed' if self.is_feed else 'list page'} with {count} {self.list_links}"
        )

    def date_streak(self, url: str, dated: bool) -> LayoutError | None:
        """The error when this is the UNDATED_PAGES-th detail page in a row without its own
        date (the list's date may stand in for one page, not hide a changed date element)."""
        if dated or not self.date_monitor:
            self._undated.clear()
            return None
        self._undated.append(url)
        if len(self._undated) < UNDATED_PAGES:
            return None
        pages, self._undated = self._undated, []
        return LayoutError(
            f"no publication date on {len(pages)} consecutive pages ({', '.join(pages)}):"
            f" the date selectors ({', '.join(self.page_selectors.date)}) match nothing"
        )

    def read_page(
        self, response: Response, doc: Document, listed_date: date | None, listed_title: str | None
    ) -> StatementPage:
        """The site's own selectors, falling back to trafilatura for the body."""
        return parse_page(
            response.body,
            response_text(response),
            self.page_selectors,
            content_type=doc.content_type,
            listed_date=listed_date,
            listed_title=listed_title,
        )

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
    ) -> Document:
        """Turn a detail page into a statement release, a skip, or a recorded error."""
        doc = self.document(response, None)
        if doc.not_modified or doc.failed:
            return doc
        try:
            try:
                page = self.read_page(response, doc, listed_date, listed_title)
            except MissingDateError as exc:
                raise self.date_streak(doc.url, dated=False) or exc from None
            drift = self.date_streak(doc.url, dated=page.dated_by == "page")
            if drift is not None:
                raise drift
            if page.read_by == "trafilatura" and self.date_monitor:
                self.logger.info("%s: body selectors found no text; read by trafilatura", doc.url)
            return self.statement(doc, page, doc_key)
        except ParseError as exc:
            return self.error(doc, exc)
        except Exception as exc:  # a bug must not lose the page: record it, keep its bytes
            self.logger.exception("unexpected failure parsing %s", response.url)
            doc.error_class, doc.error = "parse", f"unexpected {type(exc).__name__}: {exc}"
            return doc

    def statement(self, doc: Document, page: StatementPage, doc_key: str) -> Document:
        """Filter by topic (English or Urdu), extract the figures, and fill in the release."""
        full_text = page.full_text
        check_text_size(full_text)  # a feed item's own text is bounded like a page's
        if not is_statement(full_text):
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
