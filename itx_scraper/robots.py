"""robots.txt: the one rule that reads it, and its copy in the database, kept for a day.

Both the pre-flight request (``preflight.py``) and Scrapy's requests (the robots middleware)
ask :func:`cached` first and fetch only when the stored copy is missing or older than
:data:`MAX_AGE`; what they fetch is stored for the next runs with :func:`keep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from itx_scraper.core import clock
from itx_scraper.core.urls import split

if TYPE_CHECKING:
    from protego import Protego

    from itx_scraper.store import Store

MAX_AGE = timedelta(days=1)


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of an http(s) URL (the key robots.txt applies to), else None."""
    parts = split(url)
    if parts is None:
        return None
    scheme, host, port = parts
    return f"{scheme}://{host}:{port}"


def robots_url(origin: str) -> str:
    return f"{origin}/robots.txt"


@dataclass(frozen=True)
class Robots:
    """One origin's robots.txt answer: its HTTP status and body."""

    http_status: int
    body: bytes

    @property
    def keepable(self) -> bool:
        """Worth keeping a day: the file (2xx) or its absence (4xx), not a server error."""
        return 200 <= self.http_status < 500

    @cached_property
    def _parser(self) -> Protego | None:
        if 400 <= self.http_status < 500:
            return None  # no robots.txt: everything is allowed (RFC 9309, 2.3.1.3)
        from protego import Protego

        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:  # as Scrapy does: an unreadable file allows everything
            return None
        return Protego.parse(text)

    def allows(self, url: str, user_agent: str) -> bool:
        parser = self._parser
        return parser is None or bool(parser.can_fetch(url, user_agent))


def cached(store: Store, origin: str, now: datetime | None = None) -> Robots | None:
    """The stored robots.txt of ``origin`` when it was fetched less than a day ago."""
    found = store.robots_txt(origin)
    if found is None:
        return None
    fetched_at, http_status, body = found
    age = (now or clock.now()) - datetime.fromisoformat(fetched_at)
    if not timedelta(0) <= age < MAX_AGE:  # a clock set back counts as stale too
        return None
    return Robots(http_status, body)


def keep(store: Store, origin: str, robots: Robots) -> None:
    """Store what was fetched, when it is worth keeping."""
    if robots.keepable:
        store.save_robots_txt(origin, clock.iso(), robots.http_status, robots.body)
