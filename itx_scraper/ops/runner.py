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

from itx_scraper import ingest
from itx_scraper.alerts.outbox import Outbox
from itx_scraper.core import clock, exitcodes, interrupt
from itx_scraper.core.config import DEFAULT_DB, Config, SourceConfig
from itx_scraper.core.errors import LockedError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.urls import origins
from itx_scraper.ingest import load_baseline
from itx_scraper.ops import checks
from itx_scraper.ops.health import failing_fetch
from itx_scraper.query.chart import RecordCharts
from itx_scraper.store import Store, StoreError

logger = logging.getLogger(__name__)


@contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """An exclusive, non-blocking flock next to the database; released even on SIGKILL."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        handle = lock_path.open("a+")
    except OSError as exc:
        raise StoreError(f"cannot open the lock file {lock_path}: {exc.strerror or exc}") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockedError(f"another itx-scraper run holds {lock_path}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(config: Config) -> Store:
    """Open the configured database to write; only the default ``state/`` folder is created
    for you. Migrate it (:meth:`Store.migrate`) once the run lock is held."""
    return Store.open(config.db, create_parent=config.db == DEFAULT_DB)


def open_reader(config: Config) -> Store:
    """Open the configured database read-only; never creates or migrates it."""
    return Store.open(config.db, readonly=True)


@dataclass(frozen=True)
class Prepared:
    """What preparing the database did: whether it was empty, and what it loaded."""

    was_empty: bool
    note: str | None = None  # said once, on the first run


def prepare(store: Store, config: Config) -> Prepared:
    """Load the baseline into an empty database."""
    if store.observation_count():
        return Prepared(was_empty=False)
    where = f"new database {config.db.absolute()}"
    if not config.baseline:
        return Prepared(True, f"{where}; the bundled history is switched off ([history])")
    added, rows = load_baseline(store)
    months = sorted({str(row.end) for row in rows if row.months == 1})
    if not added or not months:
        return Prepared(True, where)
    return Prepared(
        True,
        f"{where}; loaded {len(months)} months of bundled history, {months[0]} … {months[-1]}",
    )


@dataclass
class RunSummary:
    """What a run did, for the exit code, the ``runs`` table and ``--json``."""

    run_id: int
    sources: list[str]
    fetches: list[dict[str, Any]] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)
    alerts: int = 0
    notes: list[str] = field(default_factory=list)  # said once (the first run's history load)

    @property
    def source_errors(self) -> dict[str, str]:
        """Failing sources, by the one rule that health and ``status`` use too."""
        by_source: dict[str, list[dict[str, Any]]] = {}
        for fetch in self.fetches:
            by_source.setdefault(fetch["source"], []).append(fetch)
        errors: dict[str, str] = {}
        for source, fetches in by_source.items():
            failing = failing_fetch(source, fetches)
            if failing is not None:
                errors[source] = f"{failing['error_class']}: {failing['error']}"
        return errors

    @property
    def exit_code(self) -> int:
        if self.source_errors or self.deliveries.get("failed"):
            return exitcodes.FAILED
        return exitcodes.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "sources": self.sources,
            "fetches": _counts(self.fetches),
            "bytes": sum(fetch["bytes"] or 0 for fetch in self.fetches),
            "errors": self.source_errors,
            "alerts": self.alerts,
            "deliveries": self.deliveries,
        }


def _counts(fetches: list[dict[str, Any]]) -> dict[str, int]:
    """Fetches per status (ok, not_modified, error)."""
    counts: dict[str, int] = {}
    for fetch in fetches:
        counts[fetch["status"]] = counts.get(fetch["status"], 0) + 1
    return counts


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
    chains = [
        _chain(process, config, group, delay=float(http["delay"]))
        for group in host_groups(config, sources)
    ]
    # Scrapy's join() would stop the reactor during the pause between chained spiders,
    # so the reactor stops when every chain has finished.
    from twisted.internet import reactor  # installed by the first crawl above
    from twisted.internet.defer import DeferredList

    def stop(_: Any) -> None:
        # Later, so that a chain that ended before reactor.run() cannot stop it too early.
        reactor.callLater(0, lambda: reactor.running and reactor.stop())  # type: ignore

    DeferredList(chains, consumeErrors=True).addBoth(stop)
    # Our signal handler, not Scrapy's: Scrapy's graceful stop waits for every download in
    # flight (up to the timeout), its second signal stops a reactor that may not run.
    with interrupt.on_stop(lambda: reactor.callFromThread(halt, reactor)):
        process.start(stop_after_crawl=False, install_signal_handlers=False)
    interrupt.check()


def halt(reactor: Any) -> None:
    """Stop the crawl now (after a signal): in-flight downloads are dropped, not awaited.

    ``crash`` skips the shutdown triggers, Scrapy's graceful close among them; the reactor's
    thread pool (DNS lookups) is stopped here instead, so that the process can exit. Every
    database write already happened in full: the pipeline runs between reactor events.
    """
    if reactor.running:
        reactor.crash()
        reactor.getThreadPool().stop()


def source_urls(source: SourceConfig) -> list[str]:
    """Every URL a source is configured with: start URLs and URL options (fallbacks, feeds)."""
    urls = list(source.urls)
    for value in source.options.values():
        values = value if isinstance(value, list) else [value]
        urls += [v for v in values if isinstance(v, str) and "://" in v]
    return urls


def host_groups(config: Config, sources: list[str]) -> list[list[str]]:
    """Sources grouped so that no two groups share a host; a group's spiders run in turn.

    Each spider has its own downloader, so CONCURRENT_REQUESTS_PER_DOMAIN holds per spider:
    two spiders on one host must not run at the same time.
    """
    groups: list[tuple[set[str], list[str]]] = []
    for name in sources:
        source = config.sources[name]
        hosts = {origin.host for origin in origins(source_urls(source))}
        merged = (hosts, [name])
        rest = []
        for group in groups:
            if group[0] & merged[0]:
                merged = (group[0] | merged[0], group[1] + merged[1])
            else:
                rest.append(group)
        groups = [*rest, merged]
    return sorted((names for _, names in groups), key=lambda names: sources.index(names[0]))


def _chain(process: Any, config: Config, names: list[str], *, delay: float) -> Any:
    """Crawl ``names`` one after another, ``delay`` apart; a failing spider never stops the next."""

    def start(index: int) -> Any:
        source = config.sources[names[index]]
        spider = process.spider_loader.load(names[index])
        finished = process.crawl(spider, urls=source.urls, **source.options)
        if index + 1 < len(names):
            finished.addBoth(lambda _: later(index + 1))
        return finished

    def later(index: int) -> Any:
        # Imported here: the first crawl installs Scrapy's reactor; importing it earlier
        # would install Twisted's default one instead.
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        return deferLater(reactor, delay, start, index)

    return start(0)


def record_silent_spiders(store: Store, config: Config, run_id: int, sources: list[str]) -> None:
    """A spider that crashed or yielded nothing must not look like 'no new data'."""
    seen = {fetch["source"] for fetch in store.run_fetches(run_id)}
    for name in sources:
        if name not in seen:
            store.add_fetch(
                run_id=run_id,
                source=name,
                url=config.sources[name].url,
                started_at=clock.iso(),
                status="error",
                error_class="crawl",
                error="the spider finished without recording any fetch (see the log)",
            )


def import_history(config: Config, path: Path) -> int:
    """``import-history``: under the run lock, into a migrated database; returns rows added."""
    store = open_store(config)
    try:
        with run_lock(config.db):
            store.migrate()
            prepare(store, config)
            return ingest.import_history(store, path)
    finally:
        store.close()


def run(
    config: Config,
    *,
    dry_run: bool = False,
    verbose: bool = False,
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """One complete cycle; the caller turns the summary into output and an exit code.

    SIGTERM or SIGINT raise :class:`~itx_scraper.core.interrupt.Interrupted` within seconds
    (see core/interrupt.py); the ``runs`` row is then closed as ``interrupted``.
    """
    with interrupt.handling():
        return _locked_run(config, dry_run=dry_run, verbose=verbose, echo=echo)


def _locked_run(
    config: Config, *, dry_run: bool, verbose: bool, echo: Callable[[str], None]
) -> RunSummary:
    checkpoint("run.start")
    store = open_store(config)
    try:
        with run_lock(config.db):
            checkpoint("run.locked")
            store.migrate()
            prepared = prepare(store, config)
            checkpoint("run.prepared")
            sources = list(config.run_sources)
            run_id = store.start_run(sources, os.getpid())
            checkpoint("run.started")
            try:
                interrupt.check()
                summary = _cycle(store, config, sources, run_id, prepared, dry_run, verbose, echo)
            except interrupt.Interrupted as exc:
                store.finish_run(
                    run_id,
                    status="interrupted",
                    exit_code=exc.exit_code,
                    counts={"fetches": _counts(store.run_fetches(run_id))},
                    errors={"run": str(exc)},
                )
                raise
            except BaseException as exc:  # the runs row must not stay 'running' (status)
                store.finish_run(
                    run_id,
                    status="crashed",
                    exit_code=exitcodes.FAILED,
                    counts={},
                    errors={"run": f"{type(exc).__name__}: {exc}"},
                )
                raise
            status = "ok" if summary.exit_code == exitcodes.OK else "failed"
            store.finish_run(
                run_id,
                status=status,
                exit_code=summary.exit_code,
                counts=summary.as_dict(),
                errors=summary.source_errors,
            )
            checkpoint("run.finished")
            return summary
    finally:
        store.close()


def _cycle(
    store: Store,
    config: Config,
    sources: list[str],
    run_id: int,
    prepared: Prepared,
    dry_run: bool,
    verbose: bool,
    echo: Callable[[str], None],
) -> RunSummary:
    """Crawl, check health, deliver: the part of a run that its ``runs`` row frames."""
    if sources:
        checkpoint("crawl.before")
        crawl(config, sources, run_id=run_id, silent=prepared.was_empty, verbose=verbose)
        checkpoint("crawl.after")
    interrupt.check()
    record_silent_spiders(store, config, run_id, sources)
    outbox = Outbox(config)
    ops_alerts = checks.check(store, config, sources, outbox)  # source_error, overdue, ...
    checkpoint("health.checked")
    summary = RunSummary(run_id, sources, store.run_fetches(run_id))
    summary.notes = [prepared.note] if prepared.note else []
    summary.alerts = store.alerts_created_by_run(run_id) + ops_alerts
    with RecordCharts(store) as charts:
        summary.deliveries = outbox.deliver(store, echo=echo, dry_run=dry_run, attachments=charts)
    checkpoint("run.delivered")
    return summary
