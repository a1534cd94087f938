"""One run: lock, prepare the database, crawl the chosen sources, deliver alerts, summarise."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itx_scraper import clock, exitcodes
from itx_scraper.config import DEFAULT_DB, Config
from itx_scraper.errors import ItxError
from itx_scraper.ingest import load_baseline
from itx_scraper.store import Store

logger = logging.getLogger(__name__)


class LockedError(ItxError):
    """Another run holds the lock on this database."""


@contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """An exclusive, non-blocking flock next to the database; released even on SIGKILL."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockedError(f"another itx-scraper run holds {lock_path}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(config: Config) -> Store:
    """Open the configured database; only the default ``state/`` folder is created for you."""
    return Store.open(config.db, create_parent=config.db == DEFAULT_DB)


def prepare(store: Store, config: Config) -> bool:
    """Load the baseline into an empty database; return whether it held no observations."""
    was_empty = store.observation_count() == 0
    if was_empty and config.baseline:
        added = load_baseline(store)
        logger.info("loaded %d baseline observations", added)
    return was_empty


@dataclass
class RunSummary:
    """What a run did, for the exit code, the ``runs`` table and ``--json``."""

    run_id: int
    sources: list[str]
    fetches: list[dict[str, Any]] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)
    alerts: int = 0

    @property
    def source_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        for fetch in self.fetches:
            if fetch["status"] == "error":
                errors[fetch["source"]] = f"{fetch['error_class']}: {fetch['error']}"
        return errors

    @property
    def exit_code(self) -> int:
        if self.source_errors or self.deliveries.get("failed"):
            return exitcodes.FAILED
        return exitcodes.OK

    def as_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for fetch in self.fetches:
            counts[fetch["status"]] = counts.get(fetch["status"], 0) + 1
        return {
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "sources": self.sources,
            "fetches": counts,
            "errors": self.source_errors,
            "alerts": self.alerts,
            "deliveries": self.deliveries,
        }


def crawl(config: Config, sources: list[str], *, run_id: int, silent: bool, verbose: bool) -> None:
    """Run the spiders of ``sources`` in this process (one reactor per process)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("itx_scraper.settings", priority="project")
    http = config.section("http")
    settings.setdict(
        {
            "ITX_DB": str(config.db),
            "ITX_CONFIG": str(config.path) if config.path else None,
            "ITX_RUN_ID": run_id,
            "ITX_SILENT": silent,
            "USER_AGENT": http["user_agent"],
            "DOWNLOAD_DELAY": float(http["delay"]),
            "DOWNLOAD_TIMEOUT": float(http["timeout"]),
            "DOWNLOAD_MAXSIZE": int(http["max_bytes"]),
            "RETRY_TIMES": int(http["retries"]),
            "LOG_LEVEL": "DEBUG" if verbose else "WARNING",
            "LOG_INSTALL_ROOT_HANDLER": False,  # our CLI configured logging already
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    # Scrapy's logging setup sets its loggers to DEBUG; keep them at our level.
    logging.getLogger("scrapy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in sources:
        source = config.sources[name]
        spider = process.spider_loader.load(name)
        process.crawl(spider, urls=source.urls, **source.options)
    process.start()


def record_silent_spiders(store: Store, config: Config, run_id: int, sources: list[str]) -> None:
    """A spider that crashed or yielded nothing must not look like 'no new data'."""
    seen = {fetch["source"] for fetch in store.run_fetches(run_id)}
    for name in sources:
        if name not in seen:
            store.add_fetch(
                run_id=run_id, source=name, url=config.sources[name].url,
                started_at=clock.iso(), status="error", error_class="crawl",
                error="the spider finished without recording any fetch (see the log)",
            )  # fmt: skip


def run(
    config: Config,
    *,
    dry_run: bool = False,
    verbose: bool = False,
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """One complete cycle; the caller turns the summary into output and an exit code."""
    from itx_scraper import outbox

    store = open_store(config)
    try:
        with run_lock(config.db):
            silent = prepare(store, config)
            sources = list(config.run_sources)
            run_id = store.start_run(sources, os.getpid())
            if sources:
                crawl(config, sources, run_id=run_id, silent=silent, verbose=verbose)
            record_silent_spiders(store, config, run_id, sources)
            summary = RunSummary(run_id, sources, store.run_fetches(run_id))
            summary.alerts = outbox.count_created_in_run(store, run_id)
            summary.deliveries = outbox.deliver(store, config, echo=echo, dry_run=dry_run)
            status = "ok" if summary.exit_code == exitcodes.OK else "failed"
            store.finish_run(
                run_id, status=status, exit_code=summary.exit_code, counts=summary.as_dict(),
                errors=summary.source_errors,
            )  # fmt: skip
            return summary
    finally:
        store.close()
