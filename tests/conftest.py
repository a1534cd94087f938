"""Shared fixtures: an isolated working directory, a loopback HTTP server, SMTP, the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from itx_scraper.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_SBP = REPO.parent / "shared" / "data" / "sbp"


def migrated_store(path: Path) -> Store:
    """A writable store with the current schema, as `run` leaves it."""
    from itx_scraper.store import Store

    store = Store.open(path, create_parent=True)
    store.migrate()
    return store


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run every test in its own directory; the repository's state/ must stay untouched."""
    before = sorted(p.name for p in (REPO / "state").iterdir())
    monkeypatch.chdir(tmp_path)
    for name in ("ITX_DB", "ITX_CONFIG", "ITX_NOTIFY", "ITX_NOW", "ITX_CRASH_AT"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path
    assert sorted(p.name for p in (REPO / "state").iterdir()) == before, "a test wrote to state/"


@pytest.fixture(autouse=True)
def no_apprise_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    from apprise.plugins.base import NotifyBase

    monkeypatch.setattr(NotifyBase, "request_rate_per_sec", 0)


@pytest.fixture
def sbp_files() -> Path:
    """The real SBP releases in ../shared; skip when a clone has no such folder."""
    if not (SHARED_SBP / "dt-2026-03.xls").is_file():
        pytest.skip(f"real SBP files not available at {SHARED_SBP}")
    return SHARED_SBP


@dataclass
class Route:
    """What the loopback server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answer 304 when If-None-Match matches


@dataclass
class Loopback:
    """A scriptable HTTP server on 127.0.0.1 that also collects webhook POSTs."""

    port: int
    routes: dict[str, Route | list[Route]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    posts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    hook_status: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        etag: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.routes[path] = Route(body, status, dict(headers or {}), etag)

    def script(self, path: str, responses: list[Route]) -> None:
        """Answer successive requests with these responses; the last one repeats."""
        self.routes[path] = list(responses)

    def hook(self, path: str) -> str:
        """An Apprise json:// URL that posts into this server."""
        return f"json://127.0.0.1:{self.port}{path}"

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    def reset(self) -> None:
        self.routes.clear()
        self.requests.clear()
        self.posts.clear()
        self.hook_status.clear()


def _handler(state: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: no idle sockets left

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "at": time.monotonic(),
                    }
                )
                route = state.routes.get(self.path)
                if isinstance(route, list):
                    route = route.pop(0) if len(route) > 1 else route[0]
            if route is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            headers = {"Content-Type": "application/vnd.ms-excel", **route.headers}
            if route.etag:
                headers["ETag"] = route.etag
                if self.headers.get("If-None-Match") == route.etag:
                    self._send(304, b"", headers)
                    return
            self._send(route.status, route.body, headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            status = state.hook_status.get(self.path, 200)
            if status == 200:
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = {"raw": raw.decode("utf-8", "replace")}
                with state.lock:
                    state.posts.setdefault(self.path, []).append(payload)
            self._send(status, b"{}", {"Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)

    return Handler


@pytest.fixture(scope="session")
def _loopback_server() -> Iterator[Loopback]:
    state = Loopback(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback(_loopback_server: Loopback) -> Loopback:
    _loopback_server.reset()
    return _loopback_server


@dataclass
class Mailbox:
    port: int
    messages: list[Any] = field(default_factory=list)

    def url(self, to: str = "watchers@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=itx@example.org&to={to}&mode=insecure"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback that keeps every envelope."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # Controller(port=0) fails its readiness check
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox(port)

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(envelope)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., CliResult]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Run the real CLI in a subprocess with this test's database and config."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> CliResult:
        full_env = {**os.environ, **(env or {})}
        full_env.setdefault("ITX_DB", str(tmp_path / "itx.db"))
        config = tmp_path / "itx.toml"
        if config.exists():
            full_env.setdefault("ITX_CONFIG", str(config))
        proc = subprocess.run(
            [sys.executable, "-m", "itx_scraper", *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=tmp_path,
            timeout=timeout,
            input=input,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


def write_config(path: Path, text: str) -> Path:
    """Write an itx.toml with fast, loopback-friendly HTTP defaults prepended.

    Every crawled source the text does not configure is switched off, so that a plain
    ``run`` never reaches a live site.
    """
    from itx_scraper.core.sources import CRAWLED

    off = "".join(
        f"\n[sources.{name}]\nenabled = false\n"
        for name in CRAWLED
        if f"[sources.{name}]" not in text
    )
    path.write_text("[http]\ndelay = 0.0\ntimeout = 10.0\nretries = 0\n\n" + text + off)
    return path
