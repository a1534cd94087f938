"""A small scriptable HTTP server on a loopback address: the demo's SBP and the tests' web."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

HOLD_GUARD = 600.0  # seconds a held reply waits at most, so a broken test cannot hang a thread


@dataclass
class Route:
    """What the server answers for one path.

    ``etag``/``last_modified`` turn a matching conditional request into a 304. ``stream``
    writes the body piece by piece instead of ``body`` (with a Content-Length only when
    ``length`` is given); it gets an event that is set when the server is reset or closed.
    ``hold`` delays the answer until the event is set (by the test, or by a reset).
    """

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    stream: Callable[[threading.Event], Iterator[bytes]] | None = None
    length: int | None = None
    hold: threading.Event | None = None


@dataclass
class Request:
    """One GET as the server saw it; ``at`` and ``done`` are ``time.monotonic()`` stamps."""

    path: str
    headers: dict[str, str]
    at: float
    # Stamped just before the answer's last write (a client cannot act on it earlier), or
    # when a stream ended or the client hung up.
    done: float | None = None
    body_sent: int = 0
    bytes_sent: int = 0  # status line, headers and body

    @property
    def host(self) -> str:
        return self.headers.get("Host", "").rsplit(":", 1)[0]


Responder = Route | list[Route] | Callable[[Request], Route]


class Loopback:
    """A threaded HTTP/1.0 server: GETs are answered from ``routes`` and logged in
    ``requests``; POST bodies are collected.

    A path's responder is a Route, a list of Routes answered in turn (the last one repeats)
    or a function of the request; unknown paths get ``fallback`` or a 404. POSTs (Apprise
    ``json://`` hooks) land in ``posts[path]`` unless ``hook_status[path]`` says to fail.
    """

    def __init__(self, host: str = "127.0.0.1", *, content_type: str = "text/html") -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"{host} is not a loopback address")
        self.content_type = content_type  # for routes that name none
        self.routes: dict[str, Responder] = {}
        self.fallback: Callable[[Request], Route] | None = None
        self.requests: list[Request] = []
        self.posts: dict[str, list[Any]] = {}
        self.hook_status: dict[str, int] = {}
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self._server = ThreadingHTTPServer((host, 0), _handler(self))
        self._server.daemon_threads = True
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    # -- set-up ---------------------------------------------------------------------------

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._release_all()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Forget routes, requests and posts; end held and streaming replies."""
        self._release_all()
        with self.lock:
            self.routes.clear()
            self.fallback = None
            self.requests.clear()
            self.posts.clear()
            self.hook_status.clear()
            self.closing = threading.Event()

    def _release_all(self) -> None:
        self.closing.set()
        for responder in self.routes.values():
            for route in responder if isinstance(responder, list) else [responder]:
                if isinstance(route, Route) and route.hold is not None:
                    route.hold.set()

    # -- routes ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hook(self, path: str) -> str:
        """An Apprise ``json://`` URL that posts into this server."""
        return f"json://{self.host}:{self.port}{path}"

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

    # -- what happened --------------------------------------------------------------------

    def requests_to(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def bytes_sent(self) -> int:
        with self.lock:
            return sum(r.bytes_sent for r in self.requests)

    def pause_before(self, request: Request) -> float:
        """Seconds from the end of the previous answer to the arrival of ``request``.

        A client that must wait after a response (Retry-After, backoff) cannot make this
        shorter than its wait, however slow the machine: the measurement is causal.
        """
        with self.lock:
            index = self.requests.index(request)
            previous = self.requests[index - 1]
        assert previous.done is not None, "the previous answer was never finished"
        return request.at - previous.done

    # -- answering ------------------------------------------------------------------------

    def _route(self, request: Request) -> Route | None:
        with self.lock:
            responder = self.routes.get(request.path)
            if isinstance(responder, list):
                return responder.pop(0) if len(responder) > 1 else responder[0]
        if callable(responder):
            return responder(request)
        if responder is None and self.fallback is not None:
            return self.fallback(request)
        return responder


def _not_modified(route: Route, headers: dict[str, str]) -> bool:
    if route.etag and "If-None-Match" in headers:
        return headers["If-None-Match"] == route.etag
    return bool(route.last_modified) and headers.get("If-Modified-Since") == route.last_modified


def _handler(server: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: no idle sockets left

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests and the demo print what matters

        def do_GET(self) -> None:
            request = Request(self.path, dict(self.headers.items()), time.monotonic())
            with server.lock:
                server.requests.append(request)
            try:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(request, server._route(request))
            finally:
                if request.done is None:
                    request.done = time.monotonic()

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = server.hook_status.get(self.path, 200)
            if status == 200:
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = {"raw": raw.decode("utf-8", "replace")}
                with server.lock:
                    server.posts.setdefault(self.path, []).append(payload)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def _answer(self, request: Request, route: Route | None) -> None:
            if route is None:
                self._head(request, 404, {"Content-Type": "text/plain"}, 9)
                self._write(request, b"not found", last=True)
                return
            if route.hold is not None:
                route.hold.wait(HOLD_GUARD)
            headers = {"Content-Type": server.content_type, **route.headers}
            if route.etag:
                headers["ETag"] = route.etag
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
            if _not_modified(route, request.headers):
                self._head(request, 304, headers, 0)
                self._write(request, b"", last=True)
            elif route.stream is not None:
                self._head(request, route.status, headers, route.length)
                for piece in route.stream(server.closing):
                    self._write(request, piece)
            else:
                self._head(request, route.status, headers, len(route.body))
                self._write(request, route.body, last=True)

        def _head(
            self, request: Request, status: int, headers: dict[str, str], length: int | None
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if length is not None:
                self.send_header("Content-Length", str(length))
            request.bytes_sent += sum(len(line) for line in self._headers_buffer) + 2
            if length == 0:  # the head is the whole answer
                request.done = time.monotonic()
            self.end_headers()

        def _write(self, request: Request, data: bytes, *, last: bool = False) -> None:
            if last and request.done is None:
                request.done = time.monotonic()
            if data:  # counted before the write: the client may read it before we return
                request.body_sent += len(data)
                request.bytes_sent += len(data)
                try:
                    self.wfile.write(data)
                except OSError:  # not sent after all (the client went away)
                    request.body_sent -= len(data)
                    request.bytes_sent -= len(data)
                    raise

    return Handler
