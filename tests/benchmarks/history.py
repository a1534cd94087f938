"""Database work of a changed run with 30 years of history against one with only the last release.

    .venv/bin/python tests/benchmarks/history.py [--pairs N] [--fixture] [--years Y]

Two databases, built once per invocation:
- "previous only": the real dt-2026-02.xls as the one stored release;
- "30 years": 359 earlier monthly releases in dt.xls's shape (each month's 262 series x
  flow in five blocks: the month (P), the month before (R), the year-ago month and two
  fiscal-year-to-date ranges, as SBP's file gives them), each with a realistic 1.5 MB body
  (the real file's bytes, made unique), one delivered alert a month, a fetch and a run every
  three hours, then the same dt-2026-02.xls.
The new release is the real dt-2026-03.xls; both runs raise its alerts (no destination:
printed). Measured on a fresh copy of each database per run, A (30 years) and B (previous
only) alternating:
- in-process, the database work of `itx-scraper run`: `ops.runner.run` with the fetch
  replaced by handing the already-parsed document to the real StorePipeline. Timed: the
  pipeline's ingest and rules (one transaction) and the health and calendar checks.
  Target: <= 1.5x (median of per-pair wall-time ratios; CPU alongside). Printed alongside:
  everything the run does but fetch (open, runs row, the outbox drain, which prints and
  records each alert, the summary, closing);
- the whole process, `itx-scraper run --quiet` against a loopback server (printed alongside).
Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pairing import (
    FileServer,
    Pairs,
    Usage,
    Verdict,
    alternate,
    finish,
    itx,
    itx_config,
    progress,
    run_child,
    workbooks,
)

PREVIOUS_SEEN = "2026-03-20T09:00:00+00:00"  # when the previous release was fetched
NOW = "2026-04-21T09:00:00+00:00"  # the clock of the measured runs: the March release is out
FETCHES_PER_DAY = 8  # cron every three hours


def build(path: Path, years: int, previous: bytes, new: bytes, url: str) -> dict[str, Any]:
    """A database with ``years`` of monthly history before the previous release, then it.

    A period that either real file gives has that value in the synthetic releases too (SBP
    does not revise thirty-year-old months), so the new release raises the alerts it would
    raise on a real history; older periods shrink by 0.6 % a year back (the ICT trend is up).
    """
    from conftest import migrated_store

    from itx_scraper.core.periods import Month
    from itx_scraper.ingest import ingest_document
    from itx_scraper.items import Document
    from itx_scraper.spiders.sbp_ebops import parse_workbook
    from itx_scraper.store import NewRelease

    parsed = parse_workbook(previous)
    truth = {
        (o.series, o.flow, _shifted_period(o, 0)): o.value
        for document in (previous, new)
        for o in parse_workbook(document).observations
    }
    last = Month.parse(str(parsed.latest_period))
    store = migrated_store(path)
    months = years * 12 - 1
    with store.transaction():
        for index in range(months):
            shift = index - months
            month = last.shift(shift)
            seen = datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(days=50)
            release_id = store.add_release(
                NewRelease(
                    source="sbp_ebops",
                    url=url,
                    body=previous + f"\0{month}".encode(),
                    retrieved_at=seen.isoformat(),
                    parse_status="ok",
                    etag=f'"{month}"',
                    last_modified=seen.strftime("%a, %d %b %Y 06:30:00 GMT"),
                    content_type="application/vnd.ms-excel",
                    format="xls",
                    latest_period=str(month),
                )
            )
            rows = [
                {
                    **obs.as_row(),
                    "period": _shifted_period(obs, shift),
                    "period_start": str(obs.start.shift(shift)),
                    "period_end": str(obs.end.shift(shift)),
                    "usd_million": truth.get(
                        (obs.series, obs.flow, _shifted_period(obs, shift)),
                        obs.value * (1 + shift / 2000),
                    ),
                }
                for obs in parsed.observations
            ]
            store.add_observations(release_id, rows)
            store.add_alert(
                {
                    "dedup_key": f"new_month|9|{month}|{release_id}|",
                    "kind": "new_month",
                    "route": "data",
                    "series": "9",
                    "period": str(month),
                    "release_id": release_id,
                    "title": f"IT exports {month}",
                    "body": "-",
                    "markdown": "-",
                    "facts": {},
                    "created_at": seen.isoformat(),
                    "delivered_at": seen.isoformat(),
                },
                [],
            )
            for number in range(30 * FETCHES_PER_DAY):
                at = (seen + timedelta(hours=24 * number / FETCHES_PER_DAY)).isoformat()
                run_id = store.start_run(["sbp_ebops"], 1)
                store.add_fetch(
                    run_id=run_id,
                    source="sbp_ebops",
                    url=url,
                    started_at=at,
                    finished_at=at,
                    status="ok" if number == 0 else "not_modified",
                    http_status=200 if number == 0 else 304,
                    bytes=len(previous) if number == 0 else 0,
                    release_id=release_id if number == 0 else None,
                )
                store.finish_run(run_id, status="ok", exit_code=0, counts={}, errors={})
    os.environ["ITX_NOW"] = PREVIOUS_SEEN
    ingest_document(
        store,
        Document(
            source="sbp_ebops",
            url=url,
            http_status=200,
            body=previous,
            etag='"previous"',
            format=parsed.format,
            observations=parsed.observations,
            latest_period=parsed.latest_period,
        ),
    )
    del os.environ["ITX_NOW"]
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    observations = store.conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    store.close()
    return {
        "releases": max(months, 0) + 1,
        "observations": observations,
        "size_mb": path.stat().st_size / 2**20,
    }


def _shifted_period(obs: Any, shift: int) -> str:
    start, end = obs.start.shift(shift), obs.end.shift(shift)
    return str(start) if start == end else f"{start}/{end}"


def fresh_copy(template: Path, folder: Path) -> Path:
    """A copy of ``template`` as ``folder/itx.db``, flushed so that writeback does not land
    inside the measurement."""
    db = folder / "itx.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)
    with db.open("rb+") as handle:
        os.fsync(handle.fileno())
    return db


def database_work(config_path: Path, new: bytes) -> tuple[Usage, Usage]:
    """In-process, one `run` with the fetch replaced by the real pipeline fed a parsed
    document: (ingest, rules and health; everything the run does but fetch)."""
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from itx_scraper.core import config as config_module
    from itx_scraper.items import Document
    from itx_scraper.ops import checks, runner
    from itx_scraper.pipelines import StorePipeline
    from itx_scraper.spiders.sbp_ebops import parse_workbook

    parsed = parse_workbook(new)  # the spider's work, not the database's: before the clock
    core = {"cpu": 0.0, "wall": 0.0}

    @contextmanager
    def timed() -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            core["cpu"] += time.process_time() - cpu
            core["wall"] += time.perf_counter() - wall

    class Crawler:
        def __init__(self, settings: Settings) -> None:
            self.settings = settings
            self.stats = MemoryStatsCollector(self)  # type: ignore[arg-type]

    def fetch(
        store: Any, config: Any, sources: list[str], *, run_id: int, silent: bool, **_: Any
    ) -> None:
        crawler = Crawler(
            Settings(
                {
                    "ITX_DB": str(config.db),
                    "ITX_CONFIG": str(config.path),
                    "ITX_RUN_ID": run_id,
                    "ITX_SILENT": silent,
                }
            )
        )
        pipeline = StorePipeline(crawler)  # type: ignore[arg-type]
        pipeline.open_spider()
        document = Document(
            source="sbp_ebops",
            url=config.sources["sbp_ebops"].url,
            http_status=200,
            body=new,
            etag='"new"',
            format=parsed.format,
            observations=parsed.observations,
            latest_period=parsed.latest_period,
        )
        with timed():  # ingest and rules, in one transaction
            pipeline.process_item(document)
        pipeline.close_spider()

    def health(*args: Any, **kwargs: Any) -> int:
        with timed():
            return original_check(*args, **kwargs)

    original_fetch, original_check = runner.fetch, checks.check
    runner.fetch, checks.check = fetch, health
    os.environ["ITX_NOW"] = NOW
    try:
        config = config_module.load(config_path)
        started_cpu, started = time.process_time(), time.perf_counter()
        summary = runner.run(config, echo=lambda _: None)
        wall = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
    finally:
        runner.fetch, checks.check = original_fetch, original_check
        del os.environ["ITX_NOW"]
    if summary.exit_code or not summary.alerts:
        raise SystemExit(f"the measured run did not store and alert: {summary.as_dict()}")
    return Usage(core["cpu"], core["wall"], 0.0, 0), Usage(cpu, wall, 0.0, summary.alerts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--fixture", action="store_true", help="measure generated workbooks")
    args = parser.parse_args(argv)
    previous, new, what = workbooks(args.fixture)
    server = FileServer(new).start()
    lines = [f"workbooks: {what}"]
    try:
        with tempfile.TemporaryDirectory(prefix="itx-bench-", dir=os.environ.get("TMPDIR")) as t:
            work = Path(t)
            templates = {}
            for label, years in (("previous", 0), ("history", args.years)):
                progress(f"building the {label} database ({years} years)")
                templates[label] = work / f"{label}.db"
                started = time.perf_counter()
                facts = build(templates[label], years, previous, new, server.url)
                lines.append(
                    f"database {label!r}: {facts['releases']} releases,"
                    f" {facts['observations']:,} observations, {facts['size_mb']:.0f} MB"
                    f" (built in {time.perf_counter() - started:.0f} s)"
                )
            folders = {label: work / label for label in templates}
            configs = {}
            for label, folder in folders.items():
                folder.mkdir()
                configs[label] = itx_config(folder, server.url, baseline=False)

            whole_runs: dict[str, list[Usage]] = {"history": [], "previous": []}

            def inner(label: str) -> Usage:
                fresh_copy(templates[label], folders[label])
                core, whole_run = database_work(configs[label], new)
                whole_runs[label].append(whole_run)
                return core

            in_process = alternate(
                lambda: inner("history"), lambda: inner("previous"), args.pairs, label="in-process"
            )
            run_pairs = Pairs(whole_runs["history"][1:], whole_runs["previous"][1:])  # no warm-up

            def whole(label: str) -> Usage:
                fresh_copy(templates[label], folders[label])
                return run_child(
                    itx("run", "--config", str(configs[label]), "--quiet"),
                    cwd=folders[label],
                    env={"ITX_NOW": NOW},
                )

            process = alternate(
                lambda: whole("history"), lambda: whole("previous"), args.pairs, label="process"
            )
    finally:
        server.stop()
    lines += describe("in-process ingest, rules and health", in_process, ms=True)
    lines += describe("in-process, all a run does but fetch", run_pairs, ms=True)
    lines.append(
        f"alerts raised per run: 30 years {run_pairs.a[0].code}, previous only {run_pairs.b[0].code}"
    )
    lines += describe("whole process (itx-scraper run --quiet)", process, ms=False)
    return finish(
        [
            Verdict(
                f"database work, {args.years} years / previous only", in_process.ratios("wall"), 1.5
            )
        ],
        lines,
    )


def describe(name: str, pairs: Pairs, *, ms: bool) -> list[str]:
    import statistics

    scale, unit = (1000, "ms") if ms else (1, "s")
    out = []
    for side, label in (("a", "30 years"), ("b", "previous only")):
        out.append(
            f"{name}, {label}: median wall {pairs.median(side, 'wall') * scale:.{0 if ms else 2}f}"
            f" {unit}, cpu {pairs.median(side, 'cpu') * scale:.{0 if ms else 2}f} {unit}"
            + ("" if ms else f", peak {pairs.median(side, 'rss_mb'):.0f} MB")
        )
    out.append(
        f"{name}: ratio wall median {statistics.median(pairs.ratios('wall')):.2f}x"
        f" (min {min(pairs.ratios('wall')):.2f}x), cpu median"
        f" {statistics.median(pairs.ratios('cpu')):.2f}x (min {min(pairs.ratios('cpu')):.2f}x)"
    )
    return out


if __name__ == "__main__":
    sys.exit(main())
