"""Fault-suite helpers: a hostile HTTP server, CLI runs, SQLite checks, the figures log.

Not a conftest.py: a second conftest module would shadow tests/conftest.py for `from conftest
import ...`. Test modules import the fixtures they use from here.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

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


def start_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """The real CLI in a subprocess that the test can kill by its pid."""
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
    seconds: float


def run_cli(tmp_path: Path, *args: str, timeout: float = 120, **env: str) -> Done:
    started = time.monotonic()
    proc = start_cli(tmp_path, *args, **env)
    stdout, stderr = proc.communicate(timeout=timeout)
    return Done(proc.returncode, stdout, stderr, time.monotonic() - started)


# -- a hostile HTTP server --------------------------------------------------------------------

CHUNK = b"<p>" + b"x" * 65_530 + b"</p>\n"  # 64 KiB of HTML, written again and again


@dataclass
class Hostile:
    """Answers every GET (but /robots.txt) with one misbehaviour chosen by the test.

    Modes: ``body`` (serve ``body``), ``big`` (``size`` bytes of HTML streamed with a
    Content-Length), ``big_unsized`` (the same, close-delimited, no Content-Length),
    ``trickle`` (one byte every ``interval`` seconds), ``loop`` (302 between two URLs
    forever), ``away`` (302 to the same path on ``away_host``).
    """

    port: int
    mode: str = "body"
    body: bytes = b""
    content_type: str = "text/html"
    size: int = 50 * 2**20
    interval: float = 0.5
    away_host: str = "localhost"
    hits: list[tuple[str, str]] = field(default_factory=list)  # (Host header, path)
    streamed: list[int] = field(default_factory=list)  # bytes written per big/trickle reply
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits_on(self, host: str) -> list[str]:
        return [path for h, path in self.hits if h.split(":")[0] == host]

    def reset(self) -> None:
        self.stop.set()  # ends trickles still running from the previous test
        self.mode, self.body, self.content_type = "body", b"", "text/html"
        self.size, self.interval, self.away_host = 50 * 2**20, 0.5, "localhost"
        self.hits.clear()
        self.streamed.clear()
        self.stop = threading.Event()


def _hostile_handler(state: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            with state.lock:
                state.hits.append((self.headers.get("Host", ""), self.path))
            if self.path == "/robots.txt":
                self._reply(404, b"", "text/plain")
                return
            # The client hanging up is the point of most modes.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                getattr(self, f"_{state.mode}")()

        def _reply(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> None:
            self._reply(200, state.body, state.content_type)

        def _stream(self, sized: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            if sized:
                self.send_header("Content-Length", str(state.size))
            self.end_headers()
            self.wfile.write(b"<!DOCTYPE html><html><body>\n")
            sent = 0
            try:
                while sent < state.size and not state.stop.is_set():
                    piece = CHUNK[: state.size - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
            finally:
                with state.lock:
                    state.streamed.append(sent)

        def _big(self) -> None:
            self._stream(sized=True)

        def _big_unsized(self) -> None:
            self._stream(sized=False)

        def _trickle(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.ms-excel")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            sent = 0
            try:
                while not state.stop.wait(state.interval) and sent < 100_000:
                    self.wfile.write(b"\xd0")
                    self.wfile.flush()
                    sent += 1
            finally:
                with state.lock:
                    state.streamed.append(sent)

        def _loop(self) -> None:
            path = self.path[:-1] if self.path.endswith("~") else self.path + "~"
            self._reply(302, b"", "text/html", Location=state.url(path))

        def _away(self) -> None:
            location = f"http://{state.away_host}:{state.port}{self.path}"
            self._reply(302, b"", "text/html", Location=location)

    return Handler


@pytest.fixture(scope="session", name="_hostile_server")
def hostile_server_fixture() -> Iterator[Hostile]:
    state = Hostile(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _hostile_handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.stop.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(name="hostile")
def hostile_fixture(_hostile_server: Hostile) -> Iterator[Hostile]:
    _hostile_server.reset()
    yield _hostile_server
    _hostile_server.stop.set()
