"""Small downloader middlewares: conditional GET, Retry-After, retry backoff, hosts, timing."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Self

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

from itx_scraper.core import clock
from itx_scraper.core.faults import checkpoint

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from itx_scraper.store import Store

logger = logging.getLogger(__name__)


async def sleep(seconds: float) -> None:
    """Wait without blocking the reactor (imported late: importing it installs one)."""
    from twisted.internet import reactor

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


def open_store(crawler: Crawler) -> Store:
    """The run's database, from the ``ITX_DB`` setting or the config (``scrapy crawl``)."""
    from itx_scraper.core import config
    from itx_scraper.store import Store

    path = crawler.settings.get("ITX_DB") or config.load(crawler.settings.get("ITX_CONFIG")).db
    return Store.open(path, create_parent=True)


class ConditionalGetMiddleware:
    """Send back the ETag and Last-Modified of the last parsed release from the same URL."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        checkpoint("fetch.request")
        source = request.meta.get("itx_source")
        if not source or request.meta.get("itx_unconditional"):
            return
        if self._store is None:
            self._store = open_store(self.crawler)
        etag, last_modified = self._store.validators(source, request.url)
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - clock.now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, cap))


class RetryAfterMiddleware:
    """On 429/503 with Retry-After, wait as asked (up to a cap) and retry once per response.

    Scrapy's RetryMiddleware ignores the header and retries at once, so this one sits closer
    to the downloader (a higher number) and sees the response first.
    """

    def __init__(self, cap: float, max_retries: int) -> None:
        self.cap = cap
        self.max_retries = max_retries

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(
            cap=crawler.settings.getfloat("ITX_RETRY_AFTER_CAP", 300.0),
            max_retries=crawler.settings.getint("RETRY_TIMES", 2),
        )

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(
            response.headers.get("Retry-After", b"").decode("latin-1"), self.cap
        )
        tries = int(request.meta.get("itx_retry_after", 0))
        if wait is None or tries >= self.max_retries:
            return response
        logger.info(
            "HTTP %s from %s: waiting %.1f s as Retry-After asks",
            response.status,
            request.url,
            wait,
        )
        await sleep(wait)
        retry: Request = request.replace(dont_filter=True)
        retry.meta["itx_retry_after"] = tries + 1
        retry.meta["dont_retry"] = True  # this middleware owns the retry of this response
        return retry


class OffsiteRequestError(IgnoreRequest):
    """A request (usually a redirect) to a host that no configured URL names."""


def host_allowed(host: str, allowed: list[str]) -> bool:
    """A configured host or one of its subdomains (Scrapy's offsite rule)."""
    host = host.lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed)


class ConfiguredHostsMiddleware:
    """Refuse every request to a host outside the spider's ``allowed_domains``.

    Scrapy's own OffsiteMiddleware lets ``dont_filter`` requests through, and document
    requests (and the redirects they follow) carry it; this one does not. Raising
    IgnoreRequest sends the request to the spider's errback, so the fetch log says why.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        allowed = list(getattr(self.crawler.spider, "allowed_domains", None) or [])
        host = urlparse_cached(request).hostname or ""
        if allowed and not host_allowed(host, allowed):
            came_from = (request.meta.get("redirect_urls") or [None])[0]
            how = f"redirect from {came_from} to" if came_from else "request to"
            raise OffsiteRequestError(
                f"refused {how} {request.url}: {host!r} is not a configured host"
            )


class FetchTimingMiddleware:
    """Time each fetch from its first request to its final response or failure.

    The elapsed time (retries and Retry-After waits included) goes into
    ``meta["itx_elapsed_ms"]`` for the fetch log; Scrapy's ``download_latency`` exists
    only for successful downloads and covers one attempt.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("itx_started", time.monotonic())

    def process_response(self, request: Request, response: Response) -> Response:
        self._stamp(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._stamp(request)

    @staticmethod
    def _stamp(request: Request) -> None:
        started = request.meta.get("itx_started")
        if started is not None:
            request.meta["itx_elapsed_ms"] = int(1000 * (time.monotonic() - started))


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff before retry number ``attempt`` (1-based): base, 2*base, ..."""
    return min(cap, base * 2 ** max(0, attempt - 1))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (5xx, timeouts, connection errors) with exponential backoff.

    Scrapy retries at once; a struggling government server deserves a pause. The base is
    ``ITX_RETRY_BACKOFF`` seconds, by default the politeness delay but at least one second.
    """

    backoff: float
    cap: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        settings = crawler.settings
        base = settings.get("ITX_RETRY_BACKOFF")
        middleware.backoff = (
            float(base) if base is not None else max(1.0, settings.getfloat("DOWNLOAD_DELAY"))
        )
        middleware.cap = settings.getfloat("ITX_RETRY_AFTER_CAP", 300.0)
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        result = super().process_response(request, response)
        return await self._pause(result)

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        return await self._pause(result)

    async def _pause(self, result: Request | Response | None) -> Request | Response | None:
        from scrapy import Request as RequestClass

        if isinstance(result, RequestClass):
            wait = backoff_seconds(int(result.meta.get("retry_times", 1)), self.backoff, self.cap)
            logger.info("retrying %s in %.1f s", result.url, wait)
            await sleep(wait)
        return result
