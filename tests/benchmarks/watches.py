"""Benchmark: a run with 10 watches over 3 workbooks against a run with 1 watch (issue 14).

A workbook shared by several watches is fetched and read once, so ten watches should cost
little more than one. Each measured run is a real `itx-scraper run` subprocess that finds a
new release of every workbook (loopback HTTP) and stores it into a copy of a database that
already holds the previous release, so the alert rules run too. Runs alternate A B A B after
a warm-up pair; the figure is the CPU time (user + system) of each run, and each pair gives a
ratio B / A. The median ratio must be at most 1.2.

    .venv/bin/python tests/benchmarks/watches.py [--pairs N]

The workbooks are generated (tests/sbp_tables.py, tests/sbp_workbook.py): a BPM6-style summary
(periods across), an exp_import_BOP-style sheet (periods down, 2014 on) and dt.xls.
Exit code 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))

from conftest import write_config
from sbp_tables import EXPORTS, IMPORTS, build, down_grid, summary_grid
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

TARGET = 1.2
FEB, MAR = Month(2026, 2), Month(2026, 3)
BPM6, EXP_IMP, DT = "/ecodata/Balancepayment_BPM6.xls", "/ecodata/exp_import_BOP.xls", "/dt.xls"
ONE = [("current_account", BPM6, "Current Account Balance", None)]
TEN = [
    *ONE,
    ("remittances", BPM6, "Workers' Remittances", None),
    ("goods_fob", BPM6, "Exports of Goods FOB", None),
    ("services", BPM6, "Exports of\u00a0Services", None),
    ("goods_exports", EXP_IMP, EXPORTS, "Value"),
    ("goods_imports", EXP_IMP, IMPORTS, "Value"),
    ("trade_balance", EXP_IMP, "Balance of Trade", "a-c"),
    ("travel", DT, "4. Travel", "Credit"),
    ("transport", DT, "3. Transport", "Credit"),
    ("it_services", DT, "9. Telecommunications, Computer and information services", "Credit"),
]


def workbooks(release: Month) -> dict[str, bytes]:
    """The three workbooks as published for ``release``."""
    exports, _ = down_grid(Month(2014, 7), release, status={release: "P"})
    ict = {m: v for m, v in published_ict().items() if m <= release}
    return {
        BPM6: build(summary_grid(release)),
        EXP_IMP: build(exports),
        DT: build_dt(release, ict),
    }


class Site:
    """Loopback HTTP server answering from a dict that the benchmark swaps between vintages."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = site.pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/vnd.ms-excel")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def config(path: Path, site: Site, watches: list[tuple[str, str, str, str | None]]) -> Path:
    blocks = ["[history]\nbaseline = false\n"]
    for name, where, series, part in watches:
        blocks.append(f'[watches.{name}]\nurl = "{site.url(where)}"\nseries = "{series}"\n')
        if part:
            blocks.append(f'part = "{part}"\n')
    return write_config(path, "".join(blocks))


def run(config_path: Path, db: Path, now: str) -> float:
    """CPU seconds (user + system) of one `itx-scraper run`."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "itx_scraper", "run", "--quiet", "--config", str(config_path)],
        env={**os.environ, "ITX_DB": str(db), "ITX_NOW": now},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(errors.decode(errors="replace"))
        raise SystemExit(f"itx-scraper run exited {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="measured A/B pairs (default 7)")
    args = parser.parse_args(argv)
    site = Site()
    work = Path(tempfile.mkdtemp(prefix="itx-watch-bench-"))
    try:
        cases = {"A (1 watch)": ONE, "B (10 watches, 3 workbooks)": TEN}
        prepared: dict[str, tuple[Path, Path]] = {}
        site.pages = workbooks(FEB)
        for number, (label, watches) in enumerate(cases.items()):
            cfg = config(work / f"itx-{number}.toml", site, watches)
            base = work / f"base-{number}.db"
            run(cfg, base, "2026-03-20T10:00:00")  # the previous release, stored once
            prepared[label] = (cfg, base)
        site.pages = workbooks(MAR)  # every measured run finds a new release of each workbook

        def measured(label: str) -> float:
            cfg, base = prepared[label]
            db = work / "run.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(base, db)
            seconds = run(cfg, db, "2026-04-20T10:00:00")
            with sqlite3.connect(db) as conn:  # every watch stored a new release
                new = conn.execute(
                    "SELECT count(*) FROM fetches WHERE status = 'ok' AND release_id IS NOT NULL"
                    " AND run_id = (SELECT max(id) FROM runs)"
                ).fetchone()[0]
            assert new == len(cases[label]), (label, new)
            return seconds

        a_label, b_label = cases
        measured(a_label), measured(b_label)  # warm-up pair: caches, .pyc files
        ratios, times = [], {a_label: [], b_label: []}
        for pair in range(args.pairs):
            a, b = measured(a_label), measured(b_label)
            times[a_label].append(a)
            times[b_label].append(b)
            ratios.append(b / a)
            print(f"pair {pair + 1}: A {a:.3f} s, B {b:.3f} s, ratio {b / a:.3f}", flush=True)
    finally:
        site.server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    median, best = statistics.median(ratios), min(ratios)
    for label, values in times.items():
        print(f"{label}: CPU median {statistics.median(values):.3f} s, min {min(values):.3f} s")
    print(
        f"ratio B/A of CPU time: median {median:.3f}, min {best:.3f} (target <= {TARGET});"
        f" {args.pairs} pairs, {datetime.now(UTC):%Y-%m-%d}, {platform.python_version()},"
        f" {os.cpu_count()} CPUs"
    )
    if median > TARGET:
        print(f"MISSED: the median ratio {median:.3f} is above {TARGET}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
