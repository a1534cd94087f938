"""Benchmarks: a full cycle, an unchanged re-run, 30 years of history, and urlwatch as reference.

Run from the project root; urlwatch (the `bench` extra) is optional:
`.venv/bin/pip install 'urlwatch>=2.28,<3'`.

    .venv/bin/python tests/benchmarks/run.py [--repeat N] [--skip-urlwatch]

(--repeat: runs per measurement, default 3; the history benchmark runs at least 5, round-robin.)

Everything is served from loopback HTTP servers (one per source, on 127.0.0.N so that each
source is its own host, as in production); nothing touches the network. Results go to
tests/benchmarks/results/<UTC time>.json (and latest.json); a table is printed. The exit
code is 1 when a target is missed (re-run bytes < 2 %, history ratio <= 1.2).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))

from conftest import migrated_store
from sbp_workbook import build_dt, published_ict
from spider_fixtures import SITES

from itx_scraper.core.periods import Month, fiscal_year_start, format_range
from itx_scraper.ops.loopback import Loopback, Route

SHARED_SBP = REPO.parent / "shared" / "data" / "sbp"
RESULTS = HERE / "results"
FILE_SOURCES = ("sbp_ebops", "sbp_headline")
LAST_MODIFIED = formatdate(datetime(2026, 4, 20, tzinfo=UTC).timestamp(), usegmt=True)


# -- loopback hosts (itx_scraper.ops.loopback) that count what they send ---------------------


def page(body: bytes, content_type: str) -> Route:
    """A page with validators: a matching If-None-Match or If-Modified-Since gets a 304."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    return Route(
        body, headers={"Content-Type": content_type}, etag=etag, last_modified=LAST_MODIFIED
    )


def workbook_bytes() -> bytes:
    """The real SBP file when ../shared has it (1.5 MB), else a fixture in the same layout."""
    real = SHARED_SBP / "dt-2026-03.xls"
    return (
        real.read_bytes()
        if real.is_file()
        else build_dt(Month(2026, 3), published_ict(), fmt="xls")
    )


def start_sites(sources: tuple[str, ...]) -> dict[str, Loopback]:
    """One loopback host per source, on 127.0.0.N, so that each source is its own host."""
    hosts = {}
    for number, name in enumerate(sources, start=1):
        site = SITES[name]
        host = Loopback(f"127.0.0.{number + 1}").start()
        for path, fixture in site.pages(host.url("")).items():
            host.routes[path] = page(fixture.body, fixture.content_type)
        if name == "sbp_ebops":
            host.routes[site.start] = page(workbook_bytes(), "application/vnd.ms-excel")
        hosts[name] = host
    return hosts


def config_text(hosts: dict[str, Loopback], db: Path, *, baseline: bool) -> str:
    lines = [
        f'db = "{db}"',
        "[run]",
        f"sources = {json.dumps(list(hosts))}",
        "[http]",
        "delay = 0.0",
        "timeout = 30.0",
        "retries = 0",
        "[history]",
        f"baseline = {'true' if baseline else 'false'}",
        "[health]",
        "overdue = false",
    ]
    for name, host in hosts.items():
        site = SITES[name]
        lines += [f"[sources.{name}]", f'url = "{host.url(site.start)}"']
        for key, value in site.options(host.url("")).items():
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


# -- measuring a child process ---------------------------------------------------------------


@dataclass
class Measure:
    code: int
    seconds: float
    maxrss_mb: float


def measure(
    command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Measure:
    """Wall time and peak RSS (ru_maxrss of the child) of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.stderr.write(errors.decode(errors="replace"))
        raise SystemExit(f"{command[:4]} exited {proc.returncode}")
    return Measure(proc.returncode, seconds, usage.ru_maxrss / 1024)


def itx(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "itx_scraper", "run", "--config", str(config), "--quiet", *args]


def total_sent(hosts: dict[str, Loopback], only: tuple[str, ...] | None = None) -> int:
    return sum(h.bytes_sent() for name, h in hosts.items() if only is None or name in only)


def reset(hosts: dict[str, Loopback]) -> None:
    """Forget the request log (and so the byte counts); the pages stay."""
    for host in hosts.values():
        with host.lock:
            host.requests.clear()


# -- (a) a full cycle and (b) an unchanged re-run --------------------------------------------


def bench_cycle(work: Path, repeat: int) -> tuple[dict[str, Any], dict[str, Loopback]]:
    sources = tuple(name for name in SITES)
    hosts = start_sites(sources)
    firsts, reruns = [], []
    bytes_first = bytes_rerun = files_first = files_rerun = 0
    requests_first = requests_rerun = 0
    for attempt in range(repeat):
        folder = work / f"cycle-{attempt}"
        folder.mkdir()
        db = folder / "itx.db"
        config = folder / "itx.toml"
        config.write_text(config_text(hosts, db, baseline=True))
        reset(hosts)
        firsts.append(measure(itx(config), cwd=folder))
        bytes_first, files_first = total_sent(hosts), total_sent(hosts, FILE_SOURCES)
        requests_first = sum(len(h.requests) for h in hosts.values())
        reset(hosts)
        reruns.append(measure(itx(config), cwd=folder))
        bytes_rerun, files_rerun = total_sent(hosts), total_sent(hosts, FILE_SOURCES)
        requests_rerun = sum(len(h.requests) for h in hosts.values())
    return {
        "sources": list(sources),
        "first_run": _summary(firsts),
        "rerun": _summary(reruns),
        "requests": {"first": requests_first, "rerun": requests_rerun},
        "bytes": {
            "first": bytes_first,
            "rerun": bytes_rerun,
            "rerun_pct": 100 * bytes_rerun / bytes_first,
        },
        "file_sources": {
            "sources": list(FILE_SOURCES),
            "first": files_first,
            "rerun": files_rerun,
            "rerun_pct": 100 * files_rerun / files_first,
        },
    }, hosts


def _summary(runs: list[Measure]) -> dict[str, Any]:
    return {
        "seconds_median": statistics.median(m.seconds for m in runs),
        "seconds": [round(m.seconds, 3) for m in runs],
        "maxrss_mb": max(m.maxrss_mb for m in runs),
        "exit_codes": sorted({m.code for m in runs}),
    }


# -- (c) 30 years of history ------------------------------------------------------------------


def history_db(path: Path, months: int, workbook: bytes) -> dict[str, int]:
    """A database with ``months`` synthetic monthly releases ending Feb 2026, in dt.xls shape.

    Every release carries, like SBP's file, each of the workbook's series x flows for the
    month (P), the month before (R) and the year-ago month, plus two FYTD ranges: three
    vintages of every month. The fetch log holds one fetch a day and one alert per month.
    """
    from itx_scraper.spiders.sbp_ebops import parse_workbook
    from itx_scraper.store import NewRelease

    combos = sorted({(o["series"], o["flow"]) for o in parse_workbook(workbook).observations})
    store = migrated_store(path)
    last = Month(2026, 2)
    rows = 0
    with store.transaction():
        for index in range(months):
            month = last.shift(index - months + 1)
            seen = datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(days=50)
            release = NewRelease(
                source="sbp_ebops",
                url="https://archive.sbp.org.pk/ecodata/dt.xls",
                body=f"synthetic release {month}".encode(),
                retrieved_at=seen.isoformat(),
                parse_status="ok",
                format="xls",
                latest_period=str(month),
            )
            release_id = store.add_release(release)
            fiscal = month.fiscal_year
            blocks = [
                (month, month, "P"),
                (month.shift(-1), month.shift(-1), "R"),
                (month.shift(-12), month.shift(-12), None),
                (fiscal_year_start(fiscal), month, "P"),
                (fiscal_year_start(fiscal - 1), month.shift(-12), "R"),
            ]
            observations = [
                {
                    "series": series,
                    "flow": flow,
                    "period": format_range(start, end),
                    "period_start": str(start),
                    "period_end": str(end),
                    "months": end.index - start.index + 1,
                    "status": status,
                    "usd_million": 100 + (hash((series, flow, str(start), str(end))) % 5000) / 10,
                    "sheet": "EBOPS ",
                    "cell": "A1",
                    "row": 1,
                    "col": 1,
                }
                for start, end, status in blocks
                for series, flow in combos
            ]
            rows += store.add_observations(release_id, observations)
            store.add_alert(
                {
                    "dedup_key": f"bench|{month}",
                    "kind": "new_month",
                    "route": "data",
                    "series": "9",
                    "period": str(month),
                    "release_id": release_id,
                    "title": f"bench {month}",
                    "body": "-",
                    "markdown": "-",
                    "facts": {},
                    "created_at": seen.isoformat(),
                    "delivered_at": seen.isoformat(),
                },
                [],
            )
            for day in range(30):
                at = (seen + timedelta(days=day)).isoformat()
                store.add_fetch(
                    source="sbp_ebops",
                    url=release.url,
                    started_at=at,
                    finished_at=at,
                    status="ok" if day == 0 else "not_modified",
                    http_status=200 if day == 0 else 304,
                    bytes=0,
                    release_id=release_id if day == 0 else None,
                )
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {"months": months, "observations": rows, "series_flows": len(combos)}


def bench_history(work: Path, repeat: int) -> dict[str, Any]:
    body = workbook_bytes()
    host = Loopback("127.0.0.20").start()
    host.routes["/ecodata/dt.xls"] = page(body, "application/vnd.ms-excel")
    hosts = {"sbp_ebops": host}
    try:
        databases = {"empty": None}
        built = {}
        for label, months in (("one_release", 1), ("30_years", 360)):
            path = work / f"history-{label}.db"
            started = time.perf_counter()
            built[label] = {
                **history_db(path, months, body),
                "build_seconds": round(time.perf_counter() - started, 1),
                "size_mb": round(path.stat().st_size / 2**20, 1),
            }
            databases[label] = path
        results: dict[str, Any] = {"databases": built}
        cli_runs: dict[str, list[Measure]] = {label: [] for label in databases}
        inner: dict[str, list[float]] = {label: [] for label in databases}
        # Round-robin, so that the load of a shared machine weighs on every database alike.
        for attempt in range(repeat):
            for label, template in databases.items():
                folder = work / f"h-{label}-{attempt}"
                folder.mkdir()
                db = folder / "itx.db"
                config = folder / "itx.toml"
                config.write_text(config_text(hosts, db, baseline=False))
                if template is not None:
                    shutil.copy(template, db)
                    shutil.copy(template, folder / "inner.db")
                inner[label].append(_ingest_ms(folder / "inner.db", config, body))
                cli_runs[label].append(measure(itx(config), cwd=folder))
        for label in databases:
            results[label] = {
                **_summary(cli_runs[label]),
                "seconds_min": min(m.seconds for m in cli_runs[label]),
                "ingest_and_events_ms_median": statistics.median(inner[label]),
            }
        empty = results["empty"]["seconds_median"]
        small = results["one_release"]["seconds_median"]
        big = results["30_years"]["seconds_median"]
        results["ratio_vs_empty"] = big / empty
        results["ratio_vs_one_release"] = big / small
        results["ratio_vs_empty_min"] = (
            results["30_years"]["seconds_min"] / results["empty"]["seconds_min"]
        )
        results["ingest_ratio_vs_one_release"] = (
            results["30_years"]["ingest_and_events_ms_median"]
            / results["one_release"]["ingest_and_events_ms_median"]
        )
        return results
    finally:
        host.close()


def _ingest_ms(db: Path, config_path: Path, body: bytes) -> float:
    """In-process: store the new release and run the event rules and health checks on it.

    The CLI's wall time is mostly interpreter and Scrapy start-up; this is the part that
    could grow with history (milliseconds, on a throwaway copy of the database).
    """
    from itx_scraper.alerts import outbox
    from itx_scraper.core import config as config_module
    from itx_scraper.ingest import ingest_document
    from itx_scraper.items import Document
    from itx_scraper.ops import health
    from itx_scraper.spiders.sbp_ebops import parse_workbook

    parsed = parse_workbook(body)
    cfg = config_module.load(config_path, db)
    doc = Document(
        source="sbp_ebops",
        url=cfg.sources["sbp_ebops"].url,
        requested_url=cfg.sources["sbp_ebops"].url,
        http_status=200,
        body=body,
        format=parsed.format,
        observations=parsed.observations,
        latest_period=parsed.latest_period,
    )
    store = migrated_store(db)
    try:
        started = time.perf_counter()
        ingest_document(store, doc, events=outbox.events_hook(cfg, silent=False))
        health.check(store, cfg, ["sbp_ebops"])
        return (time.perf_counter() - started) * 1000
    finally:
        store.close()


# -- (d) urlwatch on the same URLs ------------------------------------------------------------


def bench_urlwatch(
    work: Path, hosts: dict[str, Loopback], urls: list[str], repeat: int
) -> dict[str, Any] | None:
    executable = Path(sys.executable).with_name("urlwatch")
    if not executable.exists():
        return None
    folder = work / "urlwatch"
    folder.mkdir()
    jobs = folder / "urls.yaml"
    jobs.write_text("\n---\n".join(f"name: job{i}\nurl: {url}" for i, url in enumerate(urls)))
    config = folder / "urlwatch.yaml"
    env = {
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / ".config"),
        "XDG_CACHE_HOME": str(folder / ".cache"),
    }
    firsts, reruns = [], []
    bytes_first = bytes_rerun = 0
    for attempt in range(repeat):
        cache = folder / f"cache-{attempt}.db"
        command = [
            str(executable),
            "--urls",
            str(jobs),
            "--config",
            str(config),
            "--cache",
            str(cache),
        ]
        reset(hosts)
        firsts.append(measure(command, env=env, cwd=folder))
        bytes_first = total_sent(hosts)
        reset(hosts)
        reruns.append(measure(command, env=env, cwd=folder))
        bytes_rerun = total_sent(hosts)
    return {
        "version": subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "jobs": len(urls),
        "first_run": _summary(firsts),
        "rerun": _summary(reruns),
        "bytes": {
            "first": bytes_first,
            "rerun": bytes_rerun,
            "rerun_pct": 100 * bytes_rerun / bytes_first if bytes_first else None,
        },
    }


# -- report ------------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    cycle, history, urlwatch = results["cycle"], results["history"], results.get("urlwatch")
    rows = [
        (
            "(a) full cycle, fresh database, all sources",
            f"{cycle['first_run']['seconds_median']:.2f} s",
            f"{cycle['first_run']['maxrss_mb']:.0f} MB",
            f"{cycle['bytes']['first']:,} B / {cycle['requests']['first']} requests",
        ),
        (
            "(b) unchanged re-run, all sources",
            f"{cycle['rerun']['seconds_median']:.2f} s",
            f"{cycle['rerun']['maxrss_mb']:.0f} MB",
            f"{cycle['bytes']['rerun']:,} B = {cycle['bytes']['rerun_pct']:.2f} % of first",
        ),
        (
            "(b) unchanged re-run, data files only",
            "",
            "",
            f"{cycle['file_sources']['rerun']:,} B = {cycle['file_sources']['rerun_pct']:.3f} %",
        ),
    ]
    for label in ("empty", "one_release", "30_years"):
        entry = history[label]
        rows.append(
            (
                f"(c) new month, database: {label}",
                f"{entry['seconds_median']:.2f} s",
                f"{entry['maxrss_mb']:.0f} MB",
                f"ingest+events+health {entry['ingest_and_events_ms_median']:.0f} ms",
            )
        )
    rows.append(
        (
            "(c) ratio 30 years / empty (target <= 1.2)",
            f"{history['ratio_vs_empty']:.3f}",
            "",
            (
                f"fastest runs {history['ratio_vs_empty_min']:.3f}; "
                f"vs one release {history['ratio_vs_one_release']:.3f}; in-process "
                f"{history['ingest_ratio_vs_one_release']:.2f}"
            ),
        )
    )
    if urlwatch:
        rows.append(
            (
                f"(d) {urlwatch['version']}, {urlwatch['jobs']} URLs, first run",
                f"{urlwatch['first_run']['seconds_median']:.2f} s",
                f"{urlwatch['first_run']['maxrss_mb']:.0f} MB",
                f"{urlwatch['bytes']['first']:,} B",
            )
        )
        rows.append(
            (
                "(d) urlwatch unchanged re-run",
                f"{urlwatch['rerun']['seconds_median']:.2f} s",
                f"{urlwatch['rerun']['maxrss_mb']:.0f} MB",
                f"{urlwatch['bytes']['rerun']:,} B = {urlwatch['bytes']['rerun_pct']:.2f} %",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    header = ("benchmark", "wall (median)", "peak RSS", "detail")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--skip-urlwatch", action="store_true")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "workbook_bytes": len(workbook_bytes()),
        "real_sbp_file": (SHARED_SBP / "dt-2026-03.xls").is_file(),
    }
    with tempfile.TemporaryDirectory(prefix="itx-bench-") as temp:
        work = Path(temp)
        progress("(a)+(b) full cycle and unchanged re-run")
        results["cycle"], hosts = bench_cycle(work, args.repeat)
        try:
            if not args.skip_urlwatch:
                progress("(d) urlwatch on the same URLs")
                reset(hosts)
                urls = _itx_urls(work, hosts)
                results["urlwatch"] = bench_urlwatch(work, hosts, urls, args.repeat)
                if results["urlwatch"] is None:
                    progress("urlwatch is missing: .venv/bin/pip install 'urlwatch>=2.28,<3'")
        finally:
            for host in hosts.values():
                host.close()
        progress("(c) history: empty, one release, 30 years")
        results["history"] = bench_history(work, max(args.repeat, 5))
    results["targets"] = {
        "rerun_bytes_below_2pct": results["cycle"]["file_sources"]["rerun_pct"] < 2,
        "rerun_bytes_below_2pct_all_sources": results["cycle"]["bytes"]["rerun_pct"] < 2,
        "history_ratio_at_most_1_2": results["history"]["ratio_vs_empty"] <= 1.2,
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2, sort_keys=True)
    (RESULTS / f"{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print(table(results))
    print(f"\ntargets: {json.dumps(results['targets'])}")
    print(f"results: {RESULTS / (stamp + '.json')}")
    return (
        0
        if results["targets"]["rerun_bytes_below_2pct"]
        and results["targets"]["history_ratio_at_most_1_2"]
        else 1
    )


def _itx_urls(work: Path, hosts: dict[str, Loopback]) -> list[str]:
    """The URLs one itx-scraper cycle fetched (robots.txt aside), for urlwatch to watch."""
    folder = work / "urls"
    folder.mkdir()
    config = folder / "itx.toml"
    config.write_text(config_text(hosts, folder / "itx.db", baseline=False))
    reset(hosts)
    measure(itx(config), cwd=folder)
    urls = [
        host.url(request.path)
        for host in hosts.values()
        for request in host.requests
        if request.path != "/robots.txt"
    ]
    reset(hosts)
    return sorted(set(urls))


def progress(text: str) -> None:
    print(f"... {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
