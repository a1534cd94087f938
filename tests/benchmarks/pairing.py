"""Shared by the speed benchmarks: a loopback file server, paired alternating runs, ratios.

Every speed target is a ratio against a reference run on the same machine at the same
time: A (ours) and B (the reference) alternate, A B A B ..., after one untimed warm-up of
each, and each pair gives one ratio. The medians and minimums of those ratios are printed;
the median decides the target. CPU is the command's user + system time (``wait4``), memory
its peak resident set (``ru_maxrss``), both taken by a small launcher process (see
``run_child``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV_BIN = Path(sys.executable).parent
SHARED_SBP = REPO.parent / "shared" / "data" / "sbp"
REAL_NEW = SHARED_SBP / "dt-2026-03.xls"
REAL_PREVIOUS = SHARED_SBP / "dt-2026-02.xls"
WORKBOOK_PATH = "/ecodata/dt.xls"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
LAST_MODIFIED = formatdate(datetime(2026, 4, 20, 6, 30, tzinfo=UTC).timestamp(), usegmt=True)

sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))


# -- what is measured ---------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """One child process: CPU seconds (user + system), wall seconds, peak RSS in MB."""

    cpu: float
    wall: float
    rss_mb: float
    code: int


# Linux carries a parent's peak RSS into a child at exec (the benchmark holds the workbook,
# Scrapy and sqlite in memory), so every command runs under this small launcher: it forks the
# command and reports the command's own CPU, wall time and peak RSS through a file.
LAUNCHER = """
import json, os, sys, time
report, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(report, "w") as out:
    json.dump([usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024,
               os.waitstatus_to_exitcode(status)], out)
"""


def run_child(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    ok: Sequence[int] = (0,),
) -> Usage:
    """Run ``command`` to the end and return what it cost; any other exit code stops the run."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-c", LAUNCHER, report.name, *command],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        cpu, wall, rss_mb, code = json.loads(Path(report.name).read_text())
    if code not in ok:
        sys.stderr.write(proc.stderr.decode(errors="replace")[-3000:])
        raise SystemExit(f"{' '.join(command[:4])} ... exited {code}")
    return Usage(cpu, wall, rss_mb, code)


@dataclass
class Pairs:
    """Alternating runs of A (ours) and B (the reference)."""

    a: list[Usage] = field(default_factory=list)
    b: list[Usage] = field(default_factory=list)

    def ratios(self, metric: str) -> list[float]:
        return [
            getattr(x, metric) / getattr(y, metric) for x, y in zip(self.a, self.b, strict=True)
        ]

    def median(self, side: str, metric: str) -> float:
        return statistics.median(getattr(u, metric) for u in getattr(self, side))

    def summary(self, side: str, label: str) -> str:
        """'label median cpu 0.412 s, wall 0.93 s, peak 61 MB' for side 'a' or 'b'."""
        return (
            f"{label} median cpu {self.median(side, 'cpu'):.3f} s,"
            f" wall {self.median(side, 'wall'):.2f} s, peak {self.median(side, 'rss_mb'):.0f} MB"
        )


def alternate(
    run_a: Callable[[], Usage],
    run_b: Callable[[], Usage],
    pairs: int,
    *,
    label: str = "",
) -> Pairs:
    """One untimed warm-up of each, then ``pairs`` times A then B."""
    run_a()
    run_b()
    result = Pairs()
    for number in range(pairs):
        result.a.append(run_a())
        result.b.append(run_b())
        progress(f"{label} pair {number + 1}/{pairs}: {fmt(result.a[-1])}  vs  {fmt(result.b[-1])}")
    return result


def fmt(usage: Usage) -> str:
    return f"cpu {usage.cpu:.2f} s, wall {usage.wall:.2f} s, {usage.rss_mb:.0f} MB"


@dataclass(frozen=True)
class Verdict:
    name: str
    ratios: list[float]
    target: float

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def met(self) -> bool:
        return self.median <= self.target

    def line(self) -> str:
        return (
            f"{self.name}: median {self.median:.2f}x, min {min(self.ratios):.2f}x,"
            f" max {max(self.ratios):.2f}x over {len(self.ratios)} pairs;"
            f" target <= {self.target:g}x: {'met' if self.met else 'MISSED'}"
        )


def finish(verdicts: Sequence[Verdict], extra: Sequence[str] = ()) -> int:
    """Print every verdict and the machine; exit code 1 when a target was missed."""
    print(f"machine: {machine()}")
    for line in extra:
        print(line)
    for verdict in verdicts:
        print(verdict.line())
    return 0 if all(v.met for v in verdicts) else 1


def machine() -> str:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return (
        f"{os.cpu_count()} CPUs, {pages / 2**30:.0f} GiB, Python {platform.python_version()},"
        f" {datetime.now(UTC):%Y-%m-%d}"
    )


def progress(text: str) -> None:
    print(f"... {text}", file=sys.stderr, flush=True)


# -- the workbook -------------------------------------------------------------------------


def workbooks(fixture: bool) -> tuple[bytes, bytes, str]:
    """(previous release, new release, what they are): the real SBP files, or with
    ``fixture`` the test suite's generated workbooks. Never a fixture silently."""
    if REAL_NEW.is_file() and REAL_PREVIOUS.is_file() and not fixture:
        return (
            REAL_PREVIOUS.read_bytes(),
            REAL_NEW.read_bytes(),
            (
                f"real SBP files {REAL_PREVIOUS.name} -> {REAL_NEW.name}"
                f" ({REAL_NEW.stat().st_size:,} bytes)"
            ),
        )
    if not fixture:
        raise SystemExit(
            f"the real SBP workbook {REAL_NEW} (and {REAL_PREVIOUS.name}) is missing; these"
            " benchmarks measure the real 1.5 MB file. Pass --fixture to measure the test"
            " suite's generated workbook instead (the figures are then not comparable)."
        )
    from sbp_workbook import build_dt, published_ict

    from itx_scraper.core.periods import Month

    previous = build_dt(Month(2026, 2), published_ict(), fmt="xls")
    new = build_dt(Month(2026, 3), published_ict(), fmt="xls")
    return previous, new, f"FIXTURE workbooks from tests/sbp_workbook.py ({len(new):,} bytes)"


# -- a loopback file server ---------------------------------------------------------------


@dataclass
class FileServer:
    """Serves the workbook and robots.txt on 127.0.0.1 with ETag and Last-Modified, and
    answers 304 to matching validators, as SBP's server does."""

    body: bytes
    requests: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # of the workbook's answers
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{WORKBOOK_PATH}"

    def start(self) -> FileServer:
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                state.requests.append(self.path)
                if self.path == "/robots.txt":
                    self.reply(200, ROBOTS, {"Content-Type": "text/plain"})
                    return
                if self.path != WORKBOOK_PATH:
                    self.reply(404, b"not found", {"Content-Type": "text/plain"})
                    return
                body = state.body
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers = {
                    "Content-Type": "application/vnd.ms-excel",
                    "ETag": etag,
                    "Last-Modified": LAST_MODIFIED,
                }
                status = 304 if self.headers.get("If-None-Match") == etag else 200
                state.statuses.append(status)
                self.reply(status, b"" if status == 304 else body, headers)

            def reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def itx_config(folder: Path, url: str, *, baseline: bool = True) -> Path:
    """A config with only ``sbp_ebops``, at the given URL; HTTP settings are the defaults."""
    path = folder / "itx.toml"
    path.write_text(
        f'db = "{folder / "itx.db"}"\n[run]\nsources = ["sbp_ebops"]\n'
        f"[history]\nbaseline = {'true' if baseline else 'false'}\n"
        f'[sources.sbp_ebops]\nurl = "{url}"\n'
    )
    return path


def itx(*args: str) -> list[str]:
    """The installed console script, as cron runs it."""
    return [str(VENV_BIN / "itx-scraper"), *args]
