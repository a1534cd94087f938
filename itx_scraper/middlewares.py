"""Small downloader middlewares: conditional GET from stored validators, and Retry-After."""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Self

from twisted.internet import reactor
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from itx_scraper import clock

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from itx_scraper.store import Store

logger = logging.getLogger(__name__)


def open_store(crawler: Crawler) -> Store:
    """The run's database, from the ``ITX_DB`` setting or the config (``scrapy crawl``)."""
    from itx_scraper import config
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
        logger.info("HTTP %s from %s: waiting %.1f s as Retry-After asks", response.status,
                    request.url, wait)  # fmt: skip
        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        retry: Request = request.replace(dont_filter=True)
        retry.meta["itx_retry_after"] = tries + 1
        retry.meta["dont_retry"] = True  # this middleware owns the retry of this response
        return retry
