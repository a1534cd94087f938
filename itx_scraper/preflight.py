"""Before Scrapy starts: one conditional request per file source, with Scrapy's politeness.

A file source (a workbook, a PDF, a watched file) that was fetched before is asked with its
ETag and Last-Modified. A 304 is recorded in ``fetches`` through ingest, exactly as the
Scrapy path records it, and the source is done: a no-change run never starts Scrapy.
Any other answer is handed to the crawl as the first attempt of the spider's own request
(``PrefetchedMiddleware``), so redirects, Retry-After, retries, errors and parsing stay
Scrapy's, and nothing is downloaded twice.

The same policy as the crawl, from the same settings: robots.txt through ``robots.py`` (kept
a day in the database), the User-Agent and default headers, the per-host delay with
Scrapy's jitter (and the crawl waits out the delay after the last pre-flight request),
the timeout over the whole download, the size cap, and ``core/urls.refusal`` for the URL.
Whatever the pre-flight cannot judge (no validators, a proxy, an offsite URL, a robots.txt
that is not a plain answer, a TLS or protocol error) is left to Scrapy untouched.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from itx_scraper import robots, settings
from itx_scraper.core import clock, interrupt
from itx_scraper.core.urls import Origin, refusal, split
from itx_scraper.ingest import ingest_document, record_storage_error
from itx_scraper.items import Document
from itx_scraper.robots import Robots
from itx_scraper.store import StoreError

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

    from itx_scraper.core.config import Config
    from itx_scraper.store import Store

logger = logging.getLogger(__name__)
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Target:
    """One URL a spider asks first, for these sources (one file source, or every watch of a
    workbook), and the origins its configured URLs admit."""

    spider: str
    sources: tuple[str, ...]
    url: str
    allowed: frozenset[Origin]


@dataclass(frozen=True)
class Policy:
    """``[http]`` as both the pre-flight and Scrapy apply it (see ``ops.runner.crawl``)."""

    user_agent: str
    delay: float
    timeout: float
    max_bytes: int
    jitter: float = settings.DOWNLOAD_DELAY_JITTER

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        http = config.section("http")
        return cls(
            str(http["user_agent"]),
            float(http["delay"]),
            float(http["timeout"]),
            int(http["max_bytes"]),
        )

    def gap(self) -> float:
        """Seconds between two requests to one host, randomised as Scrapy does."""
        return self.delay * random.uniform(1 - self.jitter, 1 + self.jitter)

    def headers(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            **settings.DEFAULT_REQUEST_HEADERS,
            "Accept-Encoding": settings.ITX_ACCEPT_ENCODING,
            "User-Agent": self.user_agent,
            **extra,
        }


class Failed(Exception):
    """The pre-flight request got no usable answer; ``kind`` says how Scrapy should see it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # timeout | size | other (left to Scrapy)


@dataclass
class Answer:
    """One HTTP answer: status, headers (as sent, repeated names kept) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Prefetched:
    """The pre-flight's answer to a source's first request, replayed into Scrapy once."""

    url: str
    started_at: str
    elapsed: float  # seconds the pre-flight request took
    conditional: bool
    answer: Answer | None = None
    failure: Failed | None = None
    started: float = field(default_factory=time.monotonic)  # when it was sent (monotonic)

    def replay(self, request: Request) -> Response:
        """The answer as Scrapy's downloader would have returned it (or its failure raised)."""
        from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError
        from scrapy.http import Headers
        from scrapy.responsetypes import responsetypes

        # The fetch began with the pre-flight request: its duration covers the hand-over too.
        request.meta["itx_started"] = self.started
        request.meta["itx_started_at"] = self.started_at
        if self.conditional:
            request.meta["itx_conditional"] = True
        if self.failure is not None:
            error = (
                DownloadTimeoutError if self.failure.kind == "timeout" else DownloadCancelledError
            )
            raise error(str(self.failure))
        assert self.answer is not None
        grouped: dict[str, list[str]] = {}
        for name, value in self.answer.headers:
            grouped.setdefault(name, []).append(value)
        headers = Headers(grouped)
        cls = responsetypes.from_args(headers=headers, url=self.url, body=self.answer.body)
        request.meta["download_latency"] = self.elapsed
        return cls(
            url=self.url,
            status=self.answer.status,
            headers=headers,
            body=self.answer.body,
            request=request,
            protocol="HTTP/1.1",
        )


@dataclass
class Outcome:
    """What the pre-flight did: sources finished (a 304), answers for the crawl, and the
    monotonic time before which no request may go to each host it asked."""

    done: list[str] = field(default_factory=list)
    prefetched: dict[str, dict[str, Prefetched]] = field(default_factory=dict)  # spider, URL
    not_before: dict[str, float] = field(default_factory=dict)


def proxied() -> bool:
    """A proxy from the environment: Scrapy honours it; the pre-flight leaves such runs to it."""
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in PROXY_VARIABLES)


def check(
    store: Store, config: Config, targets: Iterable[Target], *, run_id: int | None
) -> Outcome:
    """Ask each target once; record 304s, keep other answers for the crawl."""
    outcome = Outcome()
    if proxied() or not settings.ROBOTSTXT_OBEY:
        return outcome
    policy = Policy.from_config(config)
    for target in targets:
        if refusal(target.url, target.allowed):
            continue  # the crawl refuses it and records why
        found = {store.validators(source, target.url) for source in target.sources}
        if len(found) != 1:
            continue  # watches of one file that disagree: each must be asked afresh (Scrapy)
        etag, last_modified = found.pop()
        if not (etag or last_modified):
            continue  # nothing to compare: the first fetch is Scrapy's
        validators = {"If-None-Match": etag} if etag else {}
        if last_modified:
            validators["If-Modified-Since"] = last_modified
        if not _robots_allow(store, target, policy, outcome):
            continue
        result = _ask(target.url, policy, validators, outcome)
        if result is None:
            continue
        if result.answer is not None and result.answer.status == 304:
            for source in target.sources:
                _record_not_modified(store, source, target.url, result, run_id)
            outcome.done.extend(target.sources)
        else:
            outcome.prefetched.setdefault(target.spider, {})[target.url] = result
    return outcome


def _robots_allow(store: Store, target: Target, policy: Policy, outcome: Outcome) -> bool:
    """Whether robots.txt lets the pre-flight ask; False also when it cannot tell (then the
    crawl asks, applies the same rule and records a refusal)."""
    origin = robots.origin_of(target.url)
    assert origin is not None
    answer = robots.cached(store, origin)
    if answer is None:
        _pace(target.url, outcome)
        try:
            got = _get(robots.robots_url(origin), policy, {}, outcome)
        except Failed as exc:
            logger.info("pre-flight: robots.txt of %s: %s; leaving it to the crawl", origin, exc)
            return False
        answer = Robots(got.status, got.body)
        if not answer.keepable or 300 <= got.status < 400:
            return False  # a redirect or a server error: the crawl's handling decides
        try:
            robots.keep(store, origin, answer)
        except StoreError as exc:  # not kept: the next run asks again
            logger.info("pre-flight: robots.txt of %s not kept: %s", origin, exc)
    return answer.allows(target.url, policy.user_agent)


def _ask(
    url: str, policy: Policy, validators: dict[str, str], outcome: Outcome
) -> Prefetched | None:
    _pace(url, outcome)
    started_at = clock.iso()
    started = time.monotonic()
    try:
        answer = _get(url, policy, validators, outcome)
    except Failed as exc:
        if exc.kind == "other":
            logger.info("pre-flight: %s: %s; leaving it to the crawl", url, exc)
            return None
        return Prefetched(
            url, started_at, time.monotonic() - started, True, failure=exc, started=started
        )
    return Prefetched(
        url, started_at, time.monotonic() - started, True, answer=answer, started=started
    )


def _pace(url: str, outcome: Outcome) -> None:
    """Wait until the delay since the last request to the URL's host is over."""
    host = (split(url) or ("", "", 0))[1]
    wait = outcome.not_before.get(host, 0.0) - time.monotonic()
    if wait > 0:
        with interrupt.abandonable():  # a signal ends the wait at once
            time.sleep(wait)


def _get(url: str, policy: Policy, extra: dict[str, str], outcome: Outcome) -> Answer:
    """One GET, no redirects followed (call :func:`_pace` first); raises :class:`Failed`.

    It writes nothing, so a signal may abandon it anywhere (a trickling server does not hold
    a SIGTERM back until the timeout)."""
    with interrupt.abandonable():
        return _download(url, policy, extra, outcome)


def _download(url: str, policy: Policy, extra: dict[str, str], outcome: Outcome) -> Answer:
    parts = split(url)
    assert parts is not None
    scheme, host, port = parts
    outcome.not_before[host] = time.monotonic() + policy.gap()
    target = urlsplit(url)
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    deadline = time.monotonic() + policy.timeout
    connection: http.client.HTTPConnection
    if scheme == "https":
        import ssl

        connection = http.client.HTTPSConnection(
            host, port, timeout=policy.timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=policy.timeout)
    # The socket timeout applies per read; this bounds the whole download, as Scrapy does.
    # A daemon, started inside the try: a signal that lands while it starts still cancels
    # it, and a timer left behind anyway cannot hold the process up to the timeout.
    watchdog = threading.Timer(policy.timeout, _cut, [connection])
    watchdog.daemon = True
    try:
        watchdog.start()
        connection.request("GET", path, headers=policy.headers(extra))
        response = connection.getresponse()
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > policy.max_bytes:
            raise Failed("size", _size_message(int(length), policy.max_bytes, url, expected=True))
        body = bytearray()
        while chunk := response.read(CHUNK):
            body += chunk
            if len(body) > policy.max_bytes:
                raise Failed(
                    "size", _size_message(len(body), policy.max_bytes, url, expected=False)
                )
        if time.monotonic() >= deadline:
            raise Failed("timeout", f"Getting {url} took longer than {policy.timeout:g} seconds.")
        return Answer(response.status, response.getheaders(), bytes(body))
    except TimeoutError as exc:
        raise Failed(
            "timeout", f"Getting {url} took longer than {policy.timeout:g} seconds."
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        if time.monotonic() >= deadline:  # the watchdog cut a slow answer
            raise Failed(
                "timeout", f"Getting {url} took longer than {policy.timeout:g} seconds."
            ) from exc
        raise Failed("other", f"{type(exc).__name__}: {exc}") from exc
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection) -> None:
    """End a download that outlived the timeout (a server sending a byte at a time)."""
    sock: Any = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _size_message(size: int, limit: int, url: str, *, expected: bool) -> str:
    """Scrapy's words, so that the fetch log reads the same whichever path refused it."""
    prefix = "Expected to receive" if expected else "Received"
    return (
        f"{prefix} {size} bytes which is larger than download max size ({limit})"
        f" in request <GET {url}>."
    )


def _record_not_modified(
    store: Store, source: str, url: str, result: Prefetched, run_id: int | None
) -> None:
    """The 304 as the Scrapy path records it: the spider's Document, through ingest (and a
    database that refuses it is a storage error, as in the pipeline)."""
    answer = result.answer
    assert answer is not None
    document = Document(
        source=source,
        url=url,
        http_status=304,
        started_at=result.started_at,
        duration_ms=int(1000 * result.elapsed),
        body=answer.body,
        etag=answer.header("ETag"),
        last_modified=answer.header("Last-Modified"),
        content_type=answer.header("Content-Type"),
        not_modified=True,
    )
    try:
        ingest_document(store, document, run_id=run_id)
    except StoreError as exc:
        record_storage_error(store, document, exc, run_id=run_id)
