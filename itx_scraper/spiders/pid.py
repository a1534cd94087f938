"""Spider for PID press releases: the home page's newest ids, then a walk over earlier ids."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from bs4 import NavigableString, Tag

from itx_scraper.parsers.statement import PageSelectors, parse_date
from itx_scraper.spiders.statement import MAX_DETAILS_PER_LIST, StatementSpider

if TYPE_CHECKING:
    from scrapy.http import Response


@dataclass(frozen=True)
class Selectors:
    """Every selector of this spider. The list side follows scraper code that reads the live
    home page (sources.md §6); the detail page was never seen: fix it here against a live page."""

    detail_link: str
    detail_id: re.Pattern[str]
    detail_path: str
    listed_date: re.Pattern[str]
    date_ancestors: int
    page: PageSelectors


SELECTORS = Selectors(
    detail_link='a[href*="/site/press_detail/"]',
    # Up to nine digits (ids are five now): a longer number is no press release of ours.
    detail_id=re.compile(r"/site/press_detail/(\d{1,9})(?!\d)"),
    detail_path="/site/press_detail/{id}",
    listed_date=re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    date_ancestors=5,
    page=PageSelectors(
        title=(".press-detail h1", ".press-detail h2", ".press-detail .title"),
        date=(".press-detail .date", ".press-detail time[datetime]"),
        body=(".press-detail .press-content", ".press-detail .content"),
        drop=(".print", ".share"),
    ),
)


# Nodes and characters of one element's text read for a link's date or title: a row of the
# home page is a few hundred; an ancestor that holds more is the page, not the link's row.
NEAR_TEXT = 2_000


def near_text(node: Tag) -> tuple[str, bool]:
    """``node.get_text(" ")`` read up to NEAR_TEXT nodes and characters, and whether that
    was all of it: the cost of a link's date stays the same however large the page."""
    types = node.interesting_string_types or Tag.MAIN_CONTENT_STRING_TYPES
    parts: list[str] = []
    size = 0
    for seen, child in enumerate(node.descendants):
        if seen >= NEAR_TEXT or size >= NEAR_TEXT:
            return " ".join(parts)[:NEAR_TEXT], False
        if isinstance(child, NavigableString) and type(child) in types:
            parts.append(child)
            size += len(child)
    return " ".join(parts)[:NEAR_TEXT], size <= NEAR_TEXT


def listed_date(anchor: Tag) -> date | None:
    """The ISO date printed next to a home-page link, up to five ancestors above it (the
    first that shows one; read no higher than an ancestor too large to be the link's row)."""
    node: Any = anchor
    for _ in range(SELECTORS.date_ancestors + 1):
        if node is None:
            break
        text, whole = near_text(node)
        match = SELECTORS.listed_date.search(text)
        if match:
            return parse_date(match.group(0))
        if not whole:
            break
        node = node.parent
    return None


def listed_links(page: Tag) -> dict[int, Tag]:
    """Press-release id -> its first link on the page, for the first MAX_DETAILS_PER_LIST
    ids in page order (the newest come first)."""
    links: dict[int, Tag] = {}
    for anchor in page.select(SELECTORS.detail_link):
        match = SELECTORS.detail_id.search(str(anchor.get("href")))
        if match:
            links.setdefault(int(match.group(1)), anchor)
            if len(links) >= MAX_DETAILS_PER_LIST:
                break
    return links


def walk_down(listed: Iterable[int], depth: int) -> list[int]:
    """The ``depth`` ids to fetch, newest first: the listed ids and the ids walked down from
    the newest one the page bears out (the listed id whose ``depth`` ids hold the most listed
    ids; the newest such). On a home page that lists its newest releases that is the newest
    id; a stray link to a far higher id is fetched once, not walked down from."""
    ids = sorted(set(listed), reverse=True)

    def support(top: int) -> tuple[int, int]:
        return sum(1 for other in ids if top - depth < other <= top), top

    seed = max(ids, key=support)
    return sorted({*range(seed, seed - depth, -1), *ids}, reverse=True)[:depth]


class PidSpider(StatementSpider):
    """Read ids from the home page and walk ``depth`` ids down from the newest one
    (:func:`walk_down`).

    With ``start_id`` set, walk ``depth`` ids up from it instead (to catch up after a
    pause); missing ids (404) are skipped, not errors. A link's date and title are read
    only for the ids walked, once each.
    """

    name = "pid"
    page_selectors = SELECTORS.page
    list_links = "press-release links"

    async def start(self) -> AsyncIterator[Any]:
        if self.option_int("start_id"):
            for item in self.walk(self.urls[0], {}):
                yield item
            return
        yield self.document_request(self.urls[0], self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        doc, page = self.html_list_page(response)
        if page is None:
            yield doc
            return
        listed = listed_links(page)
        if not listed:
            yield self.empty_list(doc)
            return
        yield self.listed(doc, len(listed))
        yield from self.walk(response.url, listed)

    def walk(self, base: str, listed: Mapping[int, Tag]) -> Iterator[Any]:
        depth = self.option_int("depth")
        start = self.option_int("start_id")
        ids = list(range(start, start + depth)) if start else walk_down(listed, depth)
        for number in ids:
            anchor = listed.get(number)
            day, title = (
                (None, "") if anchor is None else (listed_date(anchor), near_text(anchor)[0])
            )
            url = urljoin(base, SELECTORS.detail_path.format(id=number))
            yield self.document_request(
                url, self.parse_detail, itx_id=number, itx_listed_date=day, itx_listed_title=title
            )

    def parse_detail(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        if response.status == 404:  # ids have gaps, and the walk may run past the newest
            doc = self.document(response, None)
            doc.error_class = doc.error = None
            yield self.skipped(doc, f"no press release {meta['itx_id']}")
            return
        yield self.detail(
            response,
            f"pid:{meta['itx_id']}",
            listed_date=meta.get("itx_listed_date"),
            listed_title=meta.get("itx_listed_title"),
        )
