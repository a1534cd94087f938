"""Small middlewares: conditional GET, Retry-After, retry backoff, hosts, timing, robots.txt
kept a day, the hand-over from the pre-flight request, and abandonable parses."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urljoin

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from itx_scraper import robots
from itx_scraper.core import clock
from itx_scraper.core.config import database_path
from itx_scraper.core.errors import ItxError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.interrupt import Interrupted, abandonable
from itx_scraper.core.urls import Origin, refusal, split
from itx_scraper.robots import Robots, origin_of
from itx_scraper.store import Store

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


logger = logging.getLogger(__name__)
MISSING = object()


async def sleep(seconds: float) -> None:
    """Wait without blocking the reactor (imported late: importing it installs one)."""
    from twisted.internet import reactor

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class RunDatabase:
    """Base of the middlewares that use the run's database: opened on first need (None while
    there is none yet), closed when the spider closes."""

    readonly = True

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def store(self) -> Store | None:
        if self._store is None:
            path = database_path(self.crawler.settings)
            if not path.exists():
                return None
            self._store = Store.open(path, readonly=self.readonly)
        return self._store


class ConditionalGetMiddleware(RunDatabase):
    """Send back the ETag and Last-Modified of the last parsed release from the same URL;
    for a request made for several sources (watches of one workbook), only when each one's
    last parsed release carries the same validators. Reads the database read-only.
    """

    def process_request(self, request: Request) -> None:
        checkpoint("fetch.request")
        # A workbook shared by several watches is one request for all of them.
        sources = request.meta.get("itx_sources") or [request.meta.get("itx_source")]
        if not all(sources) or request.meta.get("itx_unconditional"):
            return
        store = self.store()
        if store is None:
            return  # nothing stored yet: an unconditional first fetch
        # Releases are kept under the configured URL, which Scrapy may have normalised in
        # request.url (a "|" becomes "%7C"); a redirect's request carries it too.
        url = request.meta.get("itx_url", request.url)
        found = {store.validators(source, url) for source in sources}
        if len(found) != 1:
            return  # one of them lacks this version (new, or it failed to parse): fetch it all
        etag, last_modified = found.pop()
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        if etag or last_modified:
            request.meta["itx_conditional"] = True


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
    """A request (usually a redirect) to a scheme, host or port that no configured URL names."""


class ConfiguredHostsMiddleware:
    """Refuse every request whose URL the spider's configured origins do not admit.

    One rule (core/urls.py) for configured URLs, links and redirects: http(s) only, to a
    configured host and port. Scrapy's own OffsiteMiddleware lets ``dont_filter`` requests
    through, and document requests (and the redirects they follow) carry it; this one does
    not. The refusal reaches the spider's errback, marked ``offsite`` for the fetch log.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        check_offsite(request, getattr(self.crawler.spider, "allowed_origins", None))

    def process_response(self, request: Request, response: Response) -> Response:
        """A redirect that reaches this far was not followed: Scrapy's RedirectMiddleware
        passes on a Location with another scheme (``file:``, ``data:``) as the 3xx response
        itself, which would be logged as a ``network`` error. It is an ``offsite`` one."""
        location = response.headers.get("Location")
        if response.status not in REDIRECTS or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        allowed = getattr(self.crawler.spider, "allowed_origins", None)
        reason = refusal(target, allowed) if allowed is not None else None
        if reason is None:
            return response
        request.meta["itx_error_class"] = "offsite"
        raise OffsiteRequestError(
            f"refused redirect from {request.url[:200]} to {target[:200]}: {reason}"
        )


REDIRECTS = (301, 302, 303, 307, 308)


def check_offsite(request: Request, allowed: frozenset[Origin] | None) -> None:
    """Raise OffsiteRequestError, marking the request ``offsite``, when ``allowed`` refuses it."""
    if allowed is None:
        return
    reason = refusal(request.url, allowed)
    if reason is None:
        return
    came_from = (request.meta.get("redirect_urls") or [None])[0]
    how = f"redirect from {came_from} to" if came_from else "request to"
    request.meta["itx_error_class"] = "offsite"
    raise OffsiteRequestError(f"refused {how} {request.url[:200]}: {reason}")


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
        request.meta.setdefault("itx_started_at", clock.iso())

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


class CachedRobotsTxtMiddleware(RunDatabase):
    """Scrapy's robots.txt check, with the copy kept in the database for a day (robots.py).

    In place of Scrapy's RobotsTxtMiddleware: the same rule as the pre-flight request, and a
    run does not fetch robots.txt again when an earlier one (or the pre-flight) did today.
    A robots.txt that cannot be fetched allows the request, as in Scrapy.
    """

    readonly = False  # it keeps the copy it fetched

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        super().__init__(crawler)
        self.user_agent = str(
            crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings["USER_AGENT"]
        )
        self._answers: dict[str, Robots | Deferred[Robots | None] | None] = {}

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        origin = origin_of(request.url)
        if origin is None:
            return  # not http(s): refused before this point (ConfiguredHostsMiddleware)
        answer = await self._answer(origin)
        if answer is not None and not answer.allows(request.url, self.user_agent):
            raise IgnoreRequest("Forbidden by robots.txt")

    async def _answer(self, origin: str) -> Robots | None:
        known = self._answers.get(origin, MISSING)
        if isinstance(known, Deferred):  # another request is fetching it
            return await maybe_deferred_to_future(known)
        if known is not MISSING:
            return known  # type: ignore[return-value]
        waiting: Deferred[Robots | None] = Deferred()
        self._answers[origin] = waiting
        store = self._open_store()
        answer = None
        try:
            answer = robots.cached(store, origin) if store else None
        except ItxError as exc:  # an unreadable copy is fetched again
            logger.info("robots.txt of %s: the kept copy cannot be read: %s", origin, exc)
        if answer is None:
            answer = await self._fetch(origin)
            if answer is not None and store is not None:
                try:
                    robots.keep(store, origin, answer)
                except ItxError as exc:  # not kept: the next run asks again
                    logger.info("robots.txt of %s not kept: %s", origin, exc)
        self._answers[origin] = answer
        waiting.callback(answer)
        return answer

    async def _fetch(self, origin: str) -> Robots | None:
        from scrapy import Request as RequestClass
        from scrapy.http.request import NO_CALLBACK

        request = RequestClass(
            robots.robots_url(origin),
            priority=1000,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        assert self.crawler.engine is not None
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # as Scrapy: a robots.txt that cannot be had allows all
            logger.info(
                "cannot fetch %s (%s): not checking robots.txt", request.url, exc, exc_info=True
            )
            return None
        return Robots(response.status, response.body)

    def _open_store(self) -> Store | None:
        """The run's database, where robots.txt is kept; None when there is none (yet)."""
        try:
            store = self.store()
            if store is not None:
                store.robots_txt("")  # a database not migrated yet has no such table
            return store
        except ItxError as exc:
            logger.info("robots.txt is not kept: %s", exc)
            self.close()
            return None


class PrefetchedMiddleware:
    """Replay the pre-flight request's answer (preflight.py) as the first attempt of the
    spider's matching request, and keep the per-host delay across the hand-over.

    Placed right after the configured-hosts check: the pre-flight applied robots.txt, the
    User-Agent and the validators already. Its answer (a response, or a timeout or size
    failure) then passes every ``process_response``/``process_exception`` as a downloaded
    one would: redirects, Retry-After, retries and the spider's callbacks stay Scrapy's.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.not_before: dict[str, float] = dict(crawler.settings.getdict("ITX_NOT_BEFORE"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> Response | None:
        spider = self.crawler.spider
        waiting = getattr(spider, "itx_prefetched", None) or {}  # URL -> the pre-flight answer
        mine = request.meta.get("itx_source") or request.meta.get("itx_sources")
        # The pre-flight asked the configured URL: the key, whatever Scrapy made of it.
        url = request.meta.get("itx_url", request.url)
        prefetched = waiting.pop(url, None) if mine else None  # the first attempt only
        if prefetched is not None:
            return prefetched.replay(request)
        host = (split(request.url) or ("", "", 0))[1]
        wait = self.not_before.pop(host, 0.0) - time.monotonic()
        if wait > 0:  # the pre-flight's last request to this host was less than a delay ago
            await sleep(wait)
        return None


class AbandonableParseMiddleware:
    """Run each step of a spider callback as abandonable work (core/interrupt.py).

    A callback step parses a page: bytes in, a Document or Requests out, nothing shared
    changed. A SIGTERM during it raises Interrupted inside the parse, which ends the
    callback's output here, without an error or a traceback; the item pipeline (and so every
    database write) runs between steps, outside the block. This middleware sits next to the
    spider, so the block holds only the callback's own code, which never awaits.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        while True:
            try:
                with abandonable():
                    output = await anext(result)
            except (StopAsyncIteration, Interrupted):
                return
            yield output
