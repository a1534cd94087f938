"""Drive a spider offline: its requests are answered from a dict of URL -> bytes, no network."""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from twisted.python.failure import Failure

from itx_scraper.items import Document
from itx_scraper.middlewares import OffsiteRequestError, check_offsite

FIXTURES = Path(__file__).parent / "fixtures"
HTML = "text/html; charset=utf-8"


@dataclass
class Page:
    """What the fake server answers for one URL."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def fixture(source: str, name: str) -> bytes:
    return (FIXTURES / source / name).read_bytes()


def response_for(request: Request, page: Page) -> Any:
    headers = Headers({"Content-Type": page.content_type, **page.headers})
    cls = responsetypes.from_args(headers=headers, url=request.url, body=page.body)
    return cls(
        url=request.url, status=page.status, headers=headers, body=page.body, request=request
    )


def _outputs(result: Any) -> Iterable[Any]:
    if result is None:
        return []
    if isinstance(result, Document | Request):
        return [result]
    return list(result)


def crawl(spider: Any, pages: Mapping[str, Page], *, limit: int = 200) -> list[Document]:
    """Run ``spider`` against ``pages``; unknown URLs answer 404, other hosts are refused."""

    async def first() -> list[Any]:
        return [item async for item in spider.start()]

    queue: deque[Any] = deque()
    docs: list[Document] = []
    for item in asyncio.run(first()):
        (queue if isinstance(item, Request) else docs).append(item)
    seen = 0
    while queue:
        seen += 1
        assert seen <= limit, "the spider keeps requesting pages"
        request = queue.popleft()
        try:  # the middleware's own check, as the downloader would run it
            check_offsite(request, spider.allowed_origins)
        except OffsiteRequestError as refused:
            failure = Failure(refused)
            failure.request = request  # type: ignore[attr-defined]
            outputs = _outputs(request.errback(failure))
        else:
            page = pages.get(request.url) or Page(b"not found", "text/plain", 404)
            result = request.callback(response_for(request, page), **request.cb_kwargs)
            assert not inspect.isawaitable(result)
            outputs = _outputs(result)
        for item in outputs:
            if isinstance(item, Request):
                queue.append(item)
            else:
                assert isinstance(item, Document), item
                docs.append(item)
    return docs


def good(docs: Iterable[Document]) -> list[Document]:
    """Documents that carry figures (a release with observations)."""
    return [d for d in docs if not d.failed and not d.not_modified and d.observations]


def errors(docs: Iterable[Document]) -> list[Document]:
    return [d for d in docs if d.failed]
