"""Small middlewares: conditional GET, Retry-After, retry backoff, hosts, timing, robots.txt
kept a day, the hand-over from the pre-flight request, and abandonable parses; and the
per-host pacing that every request waits on just before it goes out."""

from __future__ import annotations

import logging
import time
import weakref
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import urljoin

from scrapy import signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred, DeferredLock
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
    from scrapy.settings import BaseSettings


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
    """On 429/503 with Retry-After, retry once per response, after the wait it asks for.

    The wait (up to a cap) is the host's, not this request's: HostPacing holds every request
    to the host until it is over, so the retry is returned at once. Scrapy's RetryMiddleware
    ignores the header and retries at once, so this one sits closer to the downloader (a
    higher number) and sees the response first.
    """

    def __init__(self, pacing: HostPacing, max_retries: int) -> None:
        self.pacing = pacing
        self.max_retries = max_retries

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(HostPacing.of(crawler), max_retries=crawler.settings.getint("RETRY_TIMES", 2))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if self.pacing.retry_after(response) is None:
            return response
        tries = int(request.meta.get("itx_retry_after", 0))
        if tries >= self.max_retries:
            return response
        logger.info(
            "HTTP %s from %s: retrying in %.1f s as Retry-After asks",
            response.status,
            request.url,
            self.pacing.remaining(request.url),
        )
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


def host_of(url: str) -> str:
    return (split(url) or ("", "", 0))[1]


class HostPacing:
    """Per host, the monotonic time before which no request may go to it: one clock for
    every request of a crawl, waited on by PacedDownloadHandler just before a request goes
    out, after Scrapy's queue (a wait in a middleware would hold one request while the
    rest of the host's queue went out); and a lock, so that one request at a time is out
    to a host (Scrapy's slot lets its whole queue out at once when there is no delay).

    It starts from the pre-flight's ``ITX_NOT_BEFORE`` and moves on: after each request,
    by the shortest gap Scrapy's delay can give (so that a request released after a pause
    is not followed at once by the next one); after a 429 or 503 with Retry-After, by its
    wait (capped at ``ITX_RETRY_AFTER_CAP``); after a retryable 5xx or failure, by the
    backoff (``ITX_RETRY_BACKOFF``, by default the delay but at least one second, doubling
    with each retry). A pause is recorded when the answer arrives, before Scrapy frees the
    host's slot, whether or not the page itself is retried. It only ever moves later.
    """

    _of: ClassVar[weakref.WeakKeyDictionary[Crawler, HostPacing]] = weakref.WeakKeyDictionary()

    def __init__(self, settings: BaseSettings) -> None:
        self.not_before: dict[str, float] = {
            str(host): float(at) for host, at in settings.getdict("ITX_NOT_BEFORE").items()
        }
        delay = settings.getfloat("DOWNLOAD_DELAY")
        jitter = min(1.0, max(0.0, settings.getfloat("DOWNLOAD_DELAY_JITTER")))
        self.gap = delay * (1 - jitter)
        self.cap = settings.getfloat("ITX_RETRY_AFTER_CAP", 300.0)
        base = settings.get("ITX_RETRY_BACKOFF")
        self.backoff = float(base) if base is not None else max(1.0, delay)
        self.retry_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        self.retry_exceptions: tuple[type[BaseException], ...] = tuple(
            load_object(name) if isinstance(name, str) else name
            for name in settings.getlist("RETRY_EXCEPTIONS")
        )
        self._locks: dict[str, DeferredLock] = {}

    @classmethod
    def of(cls, crawler: Crawler) -> HostPacing:
        """The crawl's one clock, shared by the download handler and the middlewares."""
        pacing = cls._of.get(crawler)
        if pacing is None:
            pacing = cls._of[crawler] = cls(crawler.settings)
        return pacing

    def hold(self, url: str, seconds: float) -> None:
        """No request to the URL's host for ``seconds`` from now (or longer, if so held)."""
        host = host_of(url)
        until = time.monotonic() + seconds
        self.not_before[host] = max(self.not_before.get(host, 0.0), until)

    def remaining(self, url: str) -> float:
        return max(0.0, self.not_before.get(host_of(url), 0.0) - time.monotonic())

    async def turn(self, url: str) -> DeferredLock:
        """Wait until a request may go to the URL's host, and take the host's lock (the
        caller releases it when the answer is in); the next request waits the gap."""
        lock = self._locks.setdefault(host_of(url), DeferredLock())
        await maybe_deferred_to_future(lock.acquire())
        try:
            while (wait := self.remaining(url)) > 0:
                await sleep(wait)
        except BaseException:
            lock.release()
            raise
        self.hold(url, self.gap)
        return lock

    def retry_after(self, response: Response) -> float | None:
        """The capped wait a 429 or 503 asks for; None when it asks for none."""
        if response.status not in (429, 503):
            return None
        value = response.headers.get("Retry-After", b"").decode("latin-1")
        return retry_after_seconds(value, self.cap)

    def after_response(self, request: Request, response: Response) -> None:
        wait = self.retry_after(response)
        if wait is None and response.status in self.retry_codes:
            wait = self._backoff(request)
        if wait:
            self.hold(request.url, wait)

    def after_failure(self, request: Request, exception: BaseException) -> None:
        if isinstance(exception, self.retry_exceptions):
            self.hold(request.url, self._backoff(request))

    def _backoff(self, request: Request) -> float:
        """Before retry number n (this request made n - 1 of them): base, 2*base, ..."""
        attempt = int(request.meta.get("retry_times", 0)) + 1
        return backoff_seconds(attempt, self.backoff, self.cap)


class PacedDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler behind HostPacing: the last step before a request goes out.

    A request waits here holding the host's lock, so the host's other requests wait behind
    it, and the pause its answer asks for is recorded before the lock is given up.
    """

    async def download_request(self, request: Request) -> Response:
        pacing = HostPacing.of(self.crawler)
        lock = await pacing.turn(request.url)
        try:  # the pause an answer asks for is recorded before the next request's turn
            response = await super().download_request(request)
            pacing.after_response(request, response)
            return response
        except Exception as exc:
            pacing.after_failure(request, exc)
            raise
        finally:
            lock.release()


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (5xx, timeouts, connection errors) with exponential backoff.

    Scrapy retries at once; a struggling government server deserves a pause. The pause is
    the host's (HostPacing holds every request to it), so the retry is returned at once.
    """

    pacing: HostPacing

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.pacing = HostPacing.of(crawler)
        return middleware

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        return self._told(super().process_response(request, response))

    def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        return self._told(super().process_exception(request, exception))

    def _told(self, result: Request | Response | None) -> Request | Response | None:
        from scrapy import Request as RequestClass

        if isinstance(result, RequestClass):
            logger.info("retrying %s in %.1f s", result.url, self.pacing.remaining(result.url))
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
    spider's matching request.

    Placed right after the configured-hosts check: the pre-flight applied robots.txt, the
    User-Agent and the validators already. Its answer (a response, or a timeout or size
    failure) then passes every ``process_response``/``process_exception`` as a downloaded
    one would: redirects, Retry-After, retries and the spider's callbacks stay Scrapy's; and
    it paces the host as a downloaded one does (HostPacing). The delay after the pre-flight's
    last request to a host is HostPacing's too (``ITX_NOT_BEFORE``).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pacing = HostPacing.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> Response | None:
        spider = self.crawler.spider
        waiting = getattr(spider, "itx_prefetched", None) or {}  # URL -> the pre-flight answer
        mine = request.meta.get("itx_source") or request.meta.get("itx_sources")
        # The pre-flight asked the configured URL: the key, whatever Scrapy made of it.
        url = request.meta.get("itx_url", request.url)
        prefetched = waiting.pop(url, None) if mine else None  # the first attempt only
        if prefetched is None:
            return None
        try:
            response = prefetched.replay(request)
        except Exception as exc:  # a timeout: the host is paused as after a downloaded one
            self.pacing.after_failure(request, exc)
            raise
        self.pacing.after_response(request, response)
        return response


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
