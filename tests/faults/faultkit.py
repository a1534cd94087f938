"""Fault-suite helpers: hostile answers from the loopback server, CLI runs, SQLite checks, figures.

Not a conftest.py: a second conftest module would shadow tests/conftest.py for `from conftest
import ...`. Test modules import the helpers they use from here.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import launcher
from conftest import HANG_GUARD

from itx_scraper.ops.loopback import Loopback, Request, Route

# `scripts/reliability_figures.py` sets this to a folder; each test appends what it tried.
REPORT_ENV = "FAULTS_REPORT_DIR"


def report(kind: str, **fields: Any) -> None:
    """Append one measured outcome to the figures log (a no-op outside the figures script)."""
    folder = os.environ.get(REPORT_ENV)
    if not folder:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (Path(folder) / f"{worker}.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"kind": kind, **fields}, sort_keys=True) + "\n")


def sql(db: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def integrity(db: Path) -> str:
    return str(sql(db, "PRAGMA integrity_check")[0][0])


WATCH = "hostile_watch"  # the workbook spider runs for watches: this one stands for it


def without_root_override() -> None:
    """In the child: as root, drop CAP_DAC_OVERRIDE/READ_SEARCH so file modes apply.

    Root ignores chmod otherwise; dropping the capabilities from the bounding set before
    exec gives the run exactly the powers of a user who does not own write access.
    """
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def file_modes_can_bind() -> bool:
    """Not root, or root allowed to drop capabilities (CAP_SETPCAP, bit 8, in CapEff)."""
    if os.geteuid() != 0:
        return True
    status = Path("/proc/self/status").read_text()
    effective = int(next(x for x in status.splitlines() if x.startswith("CapEff:")).split()[1], 16)
    return bool(effective & (1 << 8))


@functools.cache
def spider_names() -> tuple[str, ...]:
    """What `scrapy list` prints: every spider of the project, so new sources join in; the
    spider of the watches appears as one watch (its fetches are recorded under the watch)."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    from itx_scraper.core.config import WORKBOOK_SPIDER

    settings = Settings()
    settings.setmodule("itx_scraper.settings", priority="project")
    names = SpiderLoader.from_settings(settings).list()
    return tuple(sorted(WATCH if name == WORKBOOK_SPIDER else name for name in names))


def sources_toml(url: str, names: tuple[str, ...]) -> str:
    """``[sources.<name>]`` tables (or the ``[watches.<name>]``) pointing every named spider
    at ``url``."""
    from itx_scraper.core.sources import SOURCES

    lines = [f"[run]\nsources = {json.dumps(list(names))}\n"]
    for name in names:
        if name == WATCH:
            lines.append(f'[watches.{name}]\nurl = "{url}"\nseries = "Current Account Balance"\n')
            continue
        lines.append(f'[sources.{name}]\nurl = "{url}"\n')
        info = SOURCES.get(name)
        for option in info.required_options if info else ():  # e.g. press feeds
            lines.append(f'{option} = ["{url}"]\n')
    return "".join(lines)


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITX_")}
    env.update(ITX_DB=str(tmp_path / "itx.db"), ITX_CONFIG=str(tmp_path / "itx.toml"))
    env.update(extra)
    return env


def start_cli(tmp_path: Path, *args: str, **env: str) -> Any:
    """The real CLI in a subprocess that the test can kill by its pid.

    ``run`` is forked from a warm interpreter (launcher.py); other commands start cold.
    Either way the handle offers Popen's pid, poll, wait, communicate, send_signal and kill.
    """
    if args[0] == "run":
        return launcher.start(list(args), cli_env(tmp_path, **env), tmp_path)
    return subprocess.Popen(
        [sys.executable, "-m", "itx_scraper", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(tmp_path, **env),
        cwd=tmp_path,
    )


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str
    seconds: float  # for the figures log and the random-kill range; never asserted


def run_cli(tmp_path: Path, *args: str, timeout: float = HANG_GUARD, **env: str) -> Done:
    started = time.monotonic()
    proc = start_cli(tmp_path, *args, **env)
    stdout, stderr = proc.communicate(timeout=timeout)
    return Done(proc.returncode, stdout, stderr, time.monotonic() - started)


# -- a hostile HTTP server --------------------------------------------------------------------

CHUNK = b"<p>" + b"x" * 65_530 + b"</p>\n"  # 64 KiB of HTML, written again and again
BIG = 50 * 2**20
TRICKLE_BYTES = 100_000
MODES = ("body", "big", "big_unsized", "trickle", "loop", "away")


def misbehave(
    server: Loopback,
    mode: str,
    *,
    body: bytes = b"",
    content_type: str = "text/html",
    away_host: str = "localhost",
    interval: float = 0.5,
) -> None:
    """Answer every GET but /robots.txt on ``server`` with one misbehaviour.

    Modes: ``body`` (serve ``body``), ``big`` (BIG bytes of HTML streamed with a
    Content-Length), ``big_unsized`` (the same, close-delimited), ``trickle`` (one byte every
    ``interval`` seconds of a 100 kB file), ``loop`` (302 between two URLs forever), ``away``
    (302 to the same path on ``away_host``). Streams stop when the client hangs up or the
    server is reset.
    """

    def big(closing: threading.Event) -> Iterator[bytes]:
        yield b"<!DOCTYPE html><html><body>\n"
        sent = 0
        while sent < BIG and not closing.is_set():
            piece = CHUNK[: BIG - sent]
            yield piece
            sent += len(piece)

    def trickle(closing: threading.Event) -> Iterator[bytes]:
        for _ in range(TRICKLE_BYTES):
            if closing.wait(interval):
                return
            yield b"\xd0"

    def answer(request: Request) -> Route:
        path = request.path
        if mode == "body":
            return Route(body, headers={"Content-Type": content_type})
        if mode in ("big", "big_unsized"):
            return Route(stream=big, length=BIG if mode == "big" else None)
        if mode == "trickle":
            excel = {"Content-Type": "application/vnd.ms-excel"}
            return Route(stream=trickle, length=TRICKLE_BYTES, headers=excel)
        if mode == "loop":
            other = path[:-1] if path.endswith("~") else path + "~"
            return Route(status=302, headers={"Location": server.url(other)})
        assert mode == "away", mode
        return Route(status=302, headers={"Location": f"http://{away_host}:{server.port}{path}"})

    server.routes["/robots.txt"] = Route(status=404, headers={"Content-Type": "text/plain"})
    server.fallback = answer


def answered(server: Loopback) -> list[Request]:
    """Requests (robots.txt aside) whose answer the server has finished or abandoned."""
    with server.lock:
        return [r for r in server.requests if r.path != "/robots.txt" and r.done is not None]


def hits_on(server: Loopback, host: str) -> list[str]:
    with server.lock:
        return [r.path for r in server.requests if r.host == host]
