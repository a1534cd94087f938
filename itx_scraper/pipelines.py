"""Item pipeline: store each fetched document (and the alerts it raises) in one transaction."""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Self

from itx_scraper.core.faults import checkpoint
from itx_scraper.ingest import ingest_document, record_storage_error
from itx_scraper.middlewares import open_store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from itx_scraper.ingest import EventsHook
    from itx_scraper.items import Document
    from itx_scraper.store import Store

logger = logging.getLogger(__name__)


class StorePipeline:
    """Append releases, observations and the fetch log; raise alerts in the same commit."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.events: EventsHook | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        from itx_scraper.alerts.outbox import events_hook
        from itx_scraper.core import config as config_module

        settings = self.crawler.settings
        self.store = open_store(self.crawler)
        config = config_module.load(settings.get("ITX_CONFIG"), settings.get("ITX_DB"))
        silent = settings.getbool("ITX_SILENT", self.store.observation_count() == 0)
        self.events = events_hook(config, silent=silent)
        checkpoint("pipeline.open")

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def process_item(self, item: Document) -> Document:
        assert self.store is not None
        run_id = self.crawler.settings.getint("ITX_RUN_ID") or None
        checkpoint("pipeline.before_ingest")
        try:
            result = ingest_document(self.store, item, run_id=run_id, events=self.events)
        except sqlite3.Error as exc:  # a full or read-only database: say so, not 'crawl'
            record_storage_error(self.store, item, exc, run_id=run_id)
            return item
        checkpoint("pipeline.after_ingest")
        if result.status == "error":  # the CLI prints the one error line; keep the log quiet
            logger.info("%s: %s (%s)", item.source, result.error, item.url)
        else:
            logger.info(
                "%s: %s, release %s, %d observations, %d alerts",
                item.source,
                result.status,
                result.release_id,
                result.observations,
                result.alerts,
            )
        return item
