"""Spider for watched SBP workbooks: each URL fetched and read once, one document per watch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Self

from itx_scraper.core import config as config_module
from itx_scraper.core.config import WATCH_FLOW, WORKBOOK_SPIDER, WatchConfig
from itx_scraper.core.errors import ParseError
from itx_scraper.items import Document, Observation, ParsedDocument
from itx_scraper.parsers.sbp_table import PERCENT, Table, read_table
from itx_scraper.spiders.base import DocumentSpider

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure


def watch_document(table: Table, watch: WatchConfig) -> ParsedDocument:
    """A watch's figures from a workbook read once; LayoutError/ParseError when they cannot be
    read (a missing series or part, text in a figure cell, no monthly figure) or are not
    monthly (a fiscal-year-to-date column, whose figure under a month runs from July)."""
    series = table.locate(watch.series, watch.sheet).monthly_series(watch.series, watch.part)
    months = series.months()
    label = f"{series.label} / {series.part}" if series.part else series.label
    observations = [
        Observation(
            series=watch.name,
            flow=WATCH_FLOW,
            start=figure.start,
            end=figure.end,
            value=figure.value,
            status=figure.status,
            sheet=figure.sheet,
            cell=figure.cell,
            label=label,
            header=figure.header,
            unit=PERCENT if figure.unit == PERCENT else None,
        )
        for figure in series.figures
    ]
    return ParsedDocument(table.format, observations, str(max(f.end for f in months)))


class SbpWorkbookSpider(DocumentSpider):
    """Fetch each watched workbook once (conditionally), read it once, and yield one document
    per watch of that URL: the same bytes, each with its own figures or its own error."""

    name = WORKBOOK_SPIDER

    def __init__(
        self, watches: Iterable[WatchConfig | Mapping[str, Any]] = (), urls: Any = (), **kwargs: Any
    ) -> None:
        chosen = [w if isinstance(w, WatchConfig) else WatchConfig(**w) for w in watches]
        # Every watch's URL is a configured URL: the offsite rule admits their hosts.
        super().__init__(urls=tuple(dict.fromkeys([*urls, *(w.url for w in chosen)])), **kwargs)
        self.watches = chosen

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """``scrapy crawl sbp_workbook`` without watches reads the config's enabled ones."""
        if "watches" not in kwargs:
            settings = crawler.settings
            config = config_module.load(settings.get("ITX_CONFIG"), settings.get("ITX_DB"))
            kwargs["watches"] = [w for w in config.watches.values() if w.enabled]
        return super().from_crawler(crawler, *args, **kwargs)

    def by_url(self) -> dict[str, list[WatchConfig]]:
        grouped: dict[str, list[WatchConfig]] = {}
        for watch in self.watches:
            grouped.setdefault(watch.url, []).append(watch)
        return grouped

    async def start(self) -> AsyncIterator[Any]:
        for url, watches in self.by_url().items():
            # The conditional-GET middleware sends validators only when every watch of the
            # URL has them, and they agree.
            yield self.document_request(
                url, self.parse, itx_sources=tuple(watch.name for watch in watches)
            )

    def _watches_of(self, meta: Mapping[str, Any]) -> list[WatchConfig]:
        names = set(meta.get("itx_sources") or ())
        return [watch for watch in self.watches if watch.name in names]

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Document]:
        watches = self._watches_of(response.meta)
        fetched = self.document(response, None)
        if fetched.failed or fetched.not_modified:
            yield from (replace(fetched, source=watch.name) for watch in watches)
            return
        try:
            table = read_table(response.body)
        except ParseError as exc:
            for watch in watches:
                yield replace(
                    fetched, source=watch.name, error_class=exc.error_class, error=str(exc)
                )
            return
        for watch in watches:
            yield self._watch(fetched, table, watch)

    def _watch(self, fetched: Document, table: Table, watch: WatchConfig) -> Document:
        doc = replace(fetched, source=watch.name, observations=[])
        try:
            parsed = watch_document(table, watch)
        except ParseError as exc:
            doc.error_class, doc.error = exc.error_class, str(exc)
            return doc
        doc.format = parsed.format
        doc.observations = parsed.observations
        doc.latest_period = parsed.latest_period
        return doc

    def failed(self, failure: Failure) -> Iterator[Document]:  # type: ignore[override]
        """Errback: no response (network, timeout, size cap, robots): each watch failed."""
        fetched = super().failed(failure)
        meta = failure.request.meta  # type: ignore[attr-defined]
        yield from (replace(fetched, source=watch.name) for watch in self._watches_of(meta))
