"""What every spider shares: turning a response or a failure into a :class:`Document`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
import scrapy
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from twisted.internet.error import TCPTimedOutError, TimeoutError

from itx_scraper.core.config import validated
from itx_scraper.core.errors import ParseError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.sources import SOURCES, source_urls
from itx_scraper.core.urls import Origin, join, origins, refusal
from itx_scraper.items import Document, ParsedDocument

if TYPE_CHECKING:
    from scrapy.http import Response
    from twisted.python.failure import Failure

# Every status reaches the callback so that it is logged; redirects still go to the middleware.
HANDLED_STATUSES = [304, *range(400, 600)]


def http_error_class(status: int) -> str | None:
    """Error class of an HTTP status: 403 (blocked), 429, 4xx, 5xx; None when it is not one."""
    if status in (403, 429):
        return str(status)
    if 400 <= status < 500:
        return "4xx"
    if status >= 500:
        return "5xx"
    return None


def spider_options(source: str, given: dict[str, Any]) -> dict[str, Any]:
    """Validated options; ``scrapy crawl NAME -a depth=3 -a feeds=a,b`` passes strings."""
    kind = SOURCES[source].options
    fields = dict(zip(kind.__struct_fields__, msgspec.structs.fields(kind), strict=True))
    values = {
        key: [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, str) and "list" in str(fields[key].type)
        else value
        for key, value in given.items()
    }
    return msgspec.structs.asdict(validated(kind, values, f"[sources.{source}]", strict=False))


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class DocumentSpider(scrapy.Spider):
    """Base for file spiders: one configured URL (plus fallbacks), one document.

    ``urls`` are the source's start URLs; ``options`` its extra ``[sources.<name>]`` keys,
    taken from the keyword arguments (validated; strings from ``scrapy crawl -a`` read too).
    """

    custom_settings: ClassVar[dict[str, Any]] = {}
    default_urls: tuple[str, ...] = ()

    def __init__(self, url: str | None = None, urls: Iterable[str] = (), **kwargs: Any) -> None:
        info = SOURCES.get(self.name)  # the workbook spider of the watches is no source
        fields = info.options.__struct_fields__ if info else ()
        given = {key: kwargs.pop(key) for key in fields if key in kwargs}
        self.options: dict[str, Any] = spider_options(self.name, given) if info else {}
        super().__init__(**kwargs)
        self.urls = tuple(urls) or ((url,) if url else self.default_urls)

    @property
    def configured_urls(self) -> tuple[str, ...]:
        """Start URLs, then URL options (fallback_url, feeds, pages): core's one definition."""
        return source_urls(self.name, self.urls, self.options)

    @property
    def allowed_origins(self) -> frozenset[Origin]:
        """Hosts and ports this spider may request; ConfiguredHostsMiddleware enforces them
        on every request and redirect (Scrapy's own offsite check lets dont_filter through)."""
        return origins(self.configured_urls)

    def absolute(self, base: str, href: str) -> str | None:
        """A link found on a page, made absolute; None (logged at -v) when it is no URL at all,
        so that one odd link is skipped instead of ending the callback and the page with it."""
        url = join(base, href)
        if url is None:
            self.logger.info("skipping link %s: not a URL", href[:200])
        return url

    def may_follow(self, url: str) -> bool:
        """Whether a link found on a page may be fetched; a refused one is skipped, logged at -v."""
        reason = refusal(url, self.allowed_origins)
        if reason:
            self.logger.info("skipping link %s: %s", url[:200], reason)
        return reason is None

    def document_request(
        self, url: str, callback: Callable[..., Any], **meta: Any
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.failed,
            dont_filter=True,
            meta={
                "handle_httpstatus_list": HANDLED_STATUSES,
                "itx_source": self.name,
                "itx_url": url,
                **meta,
            },
        )

    def document(
        self, response: Response, parse: Callable[[bytes], ParsedDocument] | None
    ) -> Document:
        """Describe a response; call ``parse`` on its body when the status is 200."""
        checkpoint("spider.response")
        meta = response.meta
        doc = Document(
            source=self.name,
            url=meta.get("itx_url", response.url),
            http_status=response.status,
            started_at=meta.get("itx_started_at"),
            duration_ms=_duration_ms(meta),
            body=response.body,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            content_type=_header(response, "Content-Type"),
        )
        if response.status == 304:
            if not meta.get("itx_conditional"):  # we sent no validator: nothing to compare
                doc.error_class, doc.error = (
                    "http",
                    f"304 without a prior fetch from {response.url}",
                )
                return doc
            doc.not_modified = True
            return doc
        error_class = http_error_class(response.status)
        if error_class:
            doc.error_class = error_class
            doc.error = f"HTTP {response.status} from {response.url}{_retries(meta)}"
            doc.body = b""  # an error page is not a document version
            return doc
        if parse is None:
            return doc
        try:
            parsed = parse(response.body)
        except ParseError as exc:
            doc.error_class = exc.error_class
            doc.error = str(exc)
            return doc
        doc.format = parsed.format
        doc.observations = parsed.observations
        doc.latest_period = parsed.latest_period
        return doc

    def failed(self, failure: Failure) -> Document:
        """Errback: a fetch that produced no response (DNS, refused, timeout, size cap)."""
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        return Document(
            source=self.name,
            url=meta.get("itx_url", request.url),
            started_at=meta.get("itx_started_at"),
            duration_ms=_duration_ms(meta),
            error_class=failure_class(failure),
            error=f"{type(failure.value).__name__}: {failure.value}".strip() + _retries(meta),
        )


def failure_class(failure: Failure) -> str:
    """Class of a fetch that got no response: timeout, size, robots, offsite, redirect, network."""
    text = str(failure.value)
    marked = failure.request.meta.get("itx_error_class")  # type: ignore[attr-defined]
    if marked:  # set by the downloader middleware that refused the request (offsite)
        return str(marked)
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout"
    if failure.check(IgnoreRequest) and "robots.txt" in text:
        return "robots"
    if failure.check(IgnoreRequest) and "max redirections" in text:
        return "redirect"  # a redirect loop, cut off after REDIRECT_MAX_TIMES
    if "max size" in text or "maxsize" in text.lower() or failure.check(DownloadCancelledError):
        return "size"  # Scrapy cancels a download above DOWNLOAD_MAXSIZE
    # DNS, refused or lost connections (DNSLookupError, ConnectionRefusedError,
    # CannotResolveHostError, DownloadConnectionRefusedError, ...) and anything else.
    return "network"


def _retries(meta: dict[str, Any]) -> str:
    """' (after 2 retries)' when Scrapy's retry middleware tried again (5xx, timeouts)."""
    retries = int(meta.get("retry_times") or 0)
    return f" (after {retries} retries)" if retries else ""


def _duration_ms(meta: dict[str, Any]) -> int | None:
    """Whole-fetch time from FetchTimingMiddleware, else Scrapy's per-attempt latency."""
    if meta.get("itx_elapsed_ms") is not None:
        return int(meta["itx_elapsed_ms"])
    latency = meta.get("download_latency")
    return int(1000 * float(latency)) if latency is not None else None
