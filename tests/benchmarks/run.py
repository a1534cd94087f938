"""Benchmarks: a full cycle of every source, an unchanged re-run, and urlwatch as reference.

Run from the project root; urlwatch (the `bench` extra) is optional:
`.venv/bin/pip install 'urlwatch>=2.28,<3'`.

    .venv/bin/python tests/benchmarks/run.py [--repeat N] [--skip-urlwatch] [--fixture]

It measures the real 1.5 MB dt.xls from ../shared/data/sbp/ and refuses to run without it,
unless --fixture is given (a generated workbook in the same layout; the report says which).
(--repeat: runs per measurement, default 3.) History that grows over 30 years is measured by
tests/benchmarks/history.py.

Everything is served from loopback HTTP servers (one per source, on 127.0.0.N so that each
source is its own host, as in production); nothing touches the network. Results go to
tests/benchmarks/results/<UTC time>.json (and latest.json); a table is printed. The exit
code is 1 when a target is missed (re-run bytes < 2 %).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))

from sbp_workbook import build_dt, published_ict
from spider_fixtures import SITES

from itx_scraper.core.periods import Month
from itx_scraper.core.sources import SOURCES
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


REAL_WORKBOOK = SHARED_SBP / "dt-2026-03.xls"


def workbook_bytes(fixture: bool) -> bytes:
    """The real SBP file (1.5 MB), or with --fixture a generated one in the same layout."""
    if fixture:
        return build_dt(Month(2026, 3), published_ict(), fmt="xls")
    return REAL_WORKBOOK.read_bytes()


def start_sites(sources: tuple[str, ...], workbook: bytes) -> dict[str, Loopback]:
    """One loopback host per source, on 127.0.0.N, so that each source is its own host."""
    hosts = {}
    for number, name in enumerate(sources, start=1):
        site = SITES[name]
        host = Loopback(f"127.0.0.{number + 1}").start()
        for path, fixture in site.pages(host.url("")).items():
            host.routes[path] = page(fixture.body, fixture.content_type)
        if name == "sbp_ebops":
            host.routes[site.start] = page(workbook, "application/vnd.ms-excel")
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


def bench_cycle(
    work: Path, repeat: int, workbook: bytes
) -> tuple[dict[str, Any], dict[str, Loopback]]:
    sources = tuple(name for name in SITES if name in SOURCES)  # the catalogued sources
    hosts = start_sites(sources, workbook)
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
    cycle, urlwatch = results["cycle"], results.get("urlwatch")
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
    parser.add_argument(
        "--fixture", action="store_true", help="measure a generated workbook, not the real one"
    )
    args = parser.parse_args(argv)
    if not args.fixture and not REAL_WORKBOOK.is_file():
        print(
            f"run.py: the real workbook {REAL_WORKBOOK} is not here; the README's figures are"
            " measured with it. Give --fixture to measure a generated workbook instead.",
            file=sys.stderr,
        )
        return 2
    workbook = workbook_bytes(args.fixture)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "workbook": "generated (--fixture)" if args.fixture else str(REAL_WORKBOOK),
        "workbook_bytes": len(workbook),
    }
    with tempfile.TemporaryDirectory(prefix="itx-bench-") as temp:
        work = Path(temp)
        progress("(a)+(b) full cycle and unchanged re-run")
        results["cycle"], hosts = bench_cycle(work, args.repeat, workbook)
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
    results["targets"] = {
        "rerun_bytes_below_2pct": results["cycle"]["file_sources"]["rerun_pct"] < 2,
        "rerun_bytes_below_2pct_all_sources": results["cycle"]["bytes"]["rerun_pct"] < 2,
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2, sort_keys=True)
    (RESULTS / f"{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print(f"workbook: {results['workbook']} ({results['workbook_bytes']:,} bytes)")
    print(table(results))
    print(f"\ntargets: {json.dumps(results['targets'])}")
    print(f"results: {RESULTS / (stamp + '.json')}")
    return 0 if all(results["targets"].values()) else 1


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
