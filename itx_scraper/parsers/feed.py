"""News feeds (RSS 0.9x/1.0/2.0, Atom), read by feedparser (imported lazily), into feed items."""

from __future__ import annotations

import calendar
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from itx_scraper.core.errors import LayoutError, NotADocumentError
from itx_scraper.parsers.sniff import detect_format
from itx_scraper.parsers.statement import (
    DROP_TAGS,
    PKT,
    clean_line,
    element_text,
    parse_date,
    remove_all,
    soup,
)

logger = logging.getLogger(__name__)

# The prolog before the root element, and a DOCTYPE in it with its internal subset.
_ROOT_RE = re.compile(rb"<(?![?!])([A-Za-z_][\w.:-]*)")
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class FeedItem:
    """One RSS item or Atom entry; ``summary`` and ``content`` are plain text."""

    title: str
    link: str
    guid: str
    published: date | None
    summary: str
    content: str


def read_feed(body: bytes, content_type: str | None = None) -> list[FeedItem]:
    """The items of a feed, newest first as published.

    feedparser reads RSS 0.9x, 1.0 (RDF) and 2.0 and Atom, and broken XML that it can still
    make sense of (an unescaped ``&``, an HTML entity). Empty or truncated bytes are a
    NotADocumentError; anything that is not a feed (an HTML page, another XML document,
    random bytes) is a LayoutError: the outlet moved or changed its feed.
    """
    import feedparser

    if not body.strip():
        raise NotADocumentError("empty feed")
    parsed = feedparser.parse(
        io.BytesIO(without_dtd(body)),  # bytes, not a str: a str may be read as a URL or path
        response_headers={"content-type": _xml_type(content_type)},
        resolve_relative_uris=False,
        sanitize_html=True,
    )
    if not parsed.get("version"):
        raise LayoutError(f"not an RSS or Atom feed: {_what(body, content_type)}")
    if parsed.get("bozo"):
        if _truncated(body):
            raise NotADocumentError(
                f"truncated feed: no closing tag of its root element ({len(body):,} bytes)"
            )
        logger.debug("feed read despite broken XML: %s", parsed.get("bozo_exception"))
    return [_item(entry) for entry in parsed.entries]


def without_dtd(body: bytes) -> bytes:
    """The feed without a DOCTYPE declaration: feeds need none, and entity declarations are
    how XML is made to read local files (XXE) or expand to gigabytes (billion laughs)."""
    root = _ROOT_RE.search(body)
    end = root.start() if root else len(body)
    prolog = body[:end]
    if b"<!" not in prolog:
        return body
    return _DOCTYPE_RE.sub(b"", prolog) + body[end:]


def _xml_type(content_type: str | None) -> str:
    """Keep a declared charset; the type itself is ignored (outlets serve feeds as text/html)."""
    charset = re.search(r"charset=([\w.:-]+)", content_type or "", re.IGNORECASE)
    return f"application/xml; charset={charset.group(1)}" if charset else "application/xml"


def _what(body: bytes, content_type: str | None) -> str:
    fmt = detect_format(body)
    root = _ROOT_RE.search(without_dtd(body)[:65536])
    if fmt == "html":
        kind = "an HTML page"
    elif fmt not in ("unknown", "empty"):
        kind = f"a {fmt} document"
    elif root and body.lstrip().startswith(b"<"):
        kind = f"an XML document with root <{root.group(1).decode('ascii', 'replace')}>"
    else:
        kind = "neither XML nor HTML"
    return f"{kind} ({content_type or 'no content type'}, {len(body):,} bytes)"


def _truncated(body: bytes) -> bool:
    root = _ROOT_RE.search(body)
    if root is None:
        return True
    return b"</" + root.group(1) not in body[-4096:]


def _item(entry: Any) -> FeedItem:
    link = str(entry.get("link") or "")
    return FeedItem(
        title=clean_line(str(entry.get("title") or "")),
        link=link,
        guid=str(entry.get("id") or link),
        published=_published(entry),
        summary=_html_text(str(entry.get("summary") or "")),
        content=_html_text(
            " ".join(str(part.get("value") or "") for part in entry.get("content", []))
        ),
    )


def _published(entry: Any) -> date | None:
    """The item's date as printed (a zoned time becomes a PKT date), else feedparser's reading."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if raw and (day := parse_date(str(raw))):
            return day
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        moment = entry.get(key)  # a UTC struct_time
        if moment:
            return datetime.fromtimestamp(calendar.timegm(moment), UTC).astimezone(PKT).date()
    return None


def _html_text(markup: str) -> str:
    if not markup:
        return ""
    fragment = soup(markup)
    remove_all(fragment.find_all(DROP_TAGS))
    return element_text(fragment)
