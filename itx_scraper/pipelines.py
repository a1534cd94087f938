"""Item pipeline: store each fetched document (and the alerts it raises) in one transaction."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from itx_scraper.alerts.notify import DestinationError
from itx_scraper.core import config as config_module
from itx_scraper.core.faults import checkpoint
from itx_scraper.ingest import ingest_document, record_storage_error
from itx_scraper.store import Store, StoreError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from itx_scraper.alerts.rules import AlertStep
    from itx_scraper.items import Document

logger = logging.getLogger(__name__)
# Stats that `scrapy crawl` reads to exit non-zero, as `itx-scraper run` does.
FETCHES_STAT = "itx/fetches"
FAILED_STAT = "itx/failed_fetches"


class StorePipeline:
    """Append releases, observations and the fetch log; raise alerts in the same commit."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.alerts: AlertStep | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        from itx_scraper.alerts.rules import alert_step

        settings = self.crawler.settings
        config = config_module.load(settings.get("ITX_CONFIG"), settings.get("ITX_DB"))
        self.store = Store.open(config.db, create_parent=True)
        self.store.migrate()  # a no-op under `itx-scraper run`, which migrated already
        self.store.sync_watches(watch.as_row() for watch in config.watches.values())
        given = settings.get("ITX_SILENT")
        silent = (
            settings.getbool("ITX_SILENT")
            if given is not None
            else not self.store.has_observations()
        )
        self.alerts = alert_step(config, silent=silent)
        checkpoint("pipeline.open")

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def process_item(self, item: Document) -> Document:
        assert self.store is not None
        run_id = self.crawler.settings.getint("ITX_RUN_ID") or None
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(FETCHES_STAT)
        checkpoint("pipeline.before_ingest")
        try:
            result = ingest_document(self.store, item, run_id=run_id, alerts=self.alerts)
        except (StoreError, DestinationError) as exc:  # full, read-only; a bad notify URL
            stats.inc_value(FAILED_STAT)
            record_storage_error(self.store, item, exc, run_id=run_id)
            if isinstance(exc, DestinationError):  # `itx-scraper run` checks before crawling
                logger.error("%s: %s", item.source, exc)
            return item
        checkpoint("pipeline.after_ingest")
        if result.status == "error":  # the CLI prints the one error line; keep the log quiet
            stats.inc_value(FAILED_STAT)
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
