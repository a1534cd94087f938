"""One run: lock, prepare the database, crawl the chosen sources, deliver alerts, summarise."""

from __future__ import annotations

import fcntl
import inspect
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itx_scraper import ingest, preflight
from itx_scraper.alerts.outbox import Outbox
from itx_scraper.core import clock, exitcodes, interrupt
from itx_scraper.core.config import DEFAULT_DB, WORKBOOK_SPIDER, Config, SourceConfig
from itx_scraper.core.errors import LockedError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.sources import SOURCES
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


@dataclass(frozen=True)
class Prepared:
    """What preparing the database did: whether it was empty, and what it loaded."""

    was_empty: bool
    note: str | None = None  # said once, on the first run


def prepare(store: Store, config: Config) -> Prepared:
    """Load the baseline into an empty database."""
    if store.has_observations():
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


def spider_arguments(store: Store, sources: list[str]) -> dict[str, dict[str, Any]]:
    """What a spider needs from history, read here because spiders never see the database:
    a statement spider gets each list page's last good link count (the empty-list monitor)."""
    return {
        name: {"last_links": store.last_list_links(name)}
        for name in sources
        if name in SOURCES and SOURCES[name].statement
    }


def file_source(name: str) -> bool:
    """A source that fetches one document (a workbook, a PDF), not a site of statements:
    its first request can be asked before Scrapy starts (preflight.py)."""
    info = SOURCES.get(name)
    return info is not None and info.crawled and not info.statement


def fetch(
    store: Store, config: Config, sources: list[str], *, run_id: int, silent: bool, verbose: bool
) -> None:
    """Fetch ``sources``: file sources first by a conditional request outside Scrapy; the
    crawl runs only for what that did not finish (a 200, an error, every statement source)."""
    outcome = preflight.check(store, config, preflight_targets(config, sources), run_id=run_id)
    rest = [name for name in sources if name not in outcome.done]
    if rest:
        crawl(
            config,
            rest,
            run_id=run_id,
            silent=silent,
            verbose=verbose,
            arguments=spider_arguments(store, rest),
            prefetched=outcome.prefetched,
            not_before=outcome.not_before,
        )


def preflight_targets(config: Config, sources: list[str]) -> list[preflight.Target]:
    """What the pre-flight may ask: each file source's first URL, and each watched workbook
    once for all its watches (the workbook spider asks it once too)."""
    targets = [
        preflight.Target(
            name, (name,), config.sources[name].url, origins(config.sources[name].configured_urls)
        )
        for name in sources
        if file_source(name) and config.sources[name].url
    ]
    by_url: dict[str, list[str]] = {}
    for name in sources:
        if name in config.watches:
            by_url.setdefault(config.watches[name].url, []).append(name)
    targets += [
        preflight.Target(WORKBOOK_SPIDER, tuple(names), url, origins([url]))
        for url, names in by_url.items()
    ]
    return targets


def crawl(
    config: Config,
    sources: list[str],
    *,
    run_id: int,
    silent: bool,
    verbose: bool,
    arguments: dict[str, dict[str, Any]] | None = None,
    prefetched: dict[str, dict[str, preflight.Prefetched]] | None = None,
    not_before: dict[str, float] | None = None,
) -> None:
    """Run the spiders of ``sources`` in this process (one reactor per process).

    ``arguments`` adds keyword arguments per spider (:func:`spider_arguments`); ``prefetched``
    answers a spider's first request of a URL (the pre-flight's); ``not_before`` keeps the
    per-host delay after the pre-flight's requests."""
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
            "ITX_NOT_BEFORE": dict(not_before or {}),
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings, **_no_root_handler(CrawlerProcess))
    # Scrapy's logging setup sets its loggers to DEBUG; keep them at our level.
    logging.getLogger("scrapy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    crawled = crawl_sources(config, sources)
    chains = [
        _chain(
            process,
            crawled,
            group,
            delay=float(http["delay"]),
            arguments=arguments or {},
            prefetched=prefetched or {},
        )
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


def crawl_sources(config: Config, sources: list[str]) -> dict[str, SourceConfig]:
    """The spiders a run starts: one per chosen source, and one ``sbp_workbook`` for all the
    chosen watches (a workbook shared by several watches is fetched and read once)."""
    crawled = {name: config.sources[name] for name in sources if name in config.sources}
    watches = [config.watches[name] for name in sources if name in config.watches]
    if watches:
        crawled[WORKBOOK_SPIDER] = SourceConfig(
            name=WORKBOOK_SPIDER,
            urls=tuple(dict.fromkeys(watch.url for watch in watches)),
            enabled=True,
            options={"watches": watches},
        )
    return crawled


def source_url(config: Config, name: str) -> str:
    """The (first) URL of a source or a watch."""
    return config.watches[name].url if name in config.watches else config.sources[name].url


def _no_root_handler(process_class: type) -> dict[str, bool]:
    """Keep Scrapy from adding its own log handler: our CLI set up logging. Scrapy 2.19 reads
    LOG_INSTALL_ROOT_HANDLER (and deprecates the argument); older ones need the argument."""
    parameter = inspect.signature(process_class).parameters.get("install_root_handler")
    if parameter is None or parameter.default is None:
        return {}
    return {"install_root_handler": False}


def host_groups(config: Config, sources: list[str]) -> list[list[str]]:
    """Sources grouped so that no two groups share a host; a group's spiders run in turn.

    Each spider has its own downloader, so CONCURRENT_REQUESTS_PER_DOMAIN holds per spider:
    two spiders on one host must not run at the same time. Watches are one ``sbp_workbook``.
    """
    crawled = crawl_sources(config, sources)
    names = list(crawled)
    groups: list[tuple[set[str], list[str]]] = []
    for name in names:
        source = crawled[name]
        hosts = {origin.host for origin in origins(source.configured_urls)}
        merged = (hosts, [name])
        rest = []
        for group in groups:
            if group[0] & merged[0]:
                merged = (group[0] | merged[0], group[1] + merged[1])
            else:
                rest.append(group)
        groups = [*rest, merged]
    return sorted((group for _, group in groups), key=lambda group: names.index(group[0]))


def _chain(
    process: Any,
    crawled: dict[str, SourceConfig],
    names: list[str],
    *,
    delay: float,
    arguments: dict[str, dict[str, Any]],
    prefetched: dict[str, dict[str, preflight.Prefetched]],
) -> Any:
    """Crawl ``names`` one after another, ``delay`` apart; a failing spider never stops the next."""

    def start(index: int) -> Any:
        source = crawled[names[index]]
        spider = process.spider_loader.load(names[index])
        extra = dict(arguments.get(names[index], {}))
        if names[index] in prefetched:
            extra["itx_prefetched"] = dict(prefetched[names[index]])
        finished = process.crawl(spider, urls=source.urls, **source.options, **extra)
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
                url=source_url(config, name),
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
            store.sync_watches(watch.as_row() for watch in config.watches.values())
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
        fetch(store, config, sources, run_id=run_id, silent=prepared.was_empty, verbose=verbose)
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
