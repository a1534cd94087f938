"""Read statement pages and news feeds: title, date, body text, relevance and stated figures."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    Tag,
    XMLParsedAsHTMLWarning,
)
from lxml import etree

from itx_scraper.core.errors import LayoutError, NotADocumentError, ParseError, TooLargeError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.periods import format_range, month_number
from itx_scraper.extract import MAX_TEXT_BYTES
from itx_scraper.items import Observation
from itx_scraper.parsers.sniff import detect_format

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from itx_scraper.extract import Fact

PKT = timezone(timedelta(hours=5), "PKT")  # dates of Pakistani statements are local dates
MIN_BODY_CHARS = 80  # a detail page whose article text is shorter lost its body
# Tags whose text is never part of a statement (scripts may hold broken or hostile code).
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg", "form")
# Real pages nest a few dozen levels; a hostile one nests thousands to make every walk slow.
MAX_DEPTH = 500
# News and statement pages weigh well under 1 MB; parsing HTML costs seconds per MB.
MAX_PAGE_BYTES = 5_000_000


class LanguageError(ParseError):
    """A statement about IT exports with no English text (Urdu only): skipped, recorded."""

    error_class = "parse"


@dataclass(frozen=True)
class PageSelectors:
    """CSS selectors of a detail page, each list tried in order (first non-empty match wins).

    A date selector may point at an element whose ``content`` or ``datetime`` attribute holds
    the date (``meta[property="article:published_time"]``, ``time[datetime]``); the special
    selector ``json-ld`` reads ``datePublished`` from JSON-LD script blocks.
    """

    title: tuple[str, ...]
    date: tuple[str, ...]
    body: tuple[str, ...]
    drop: tuple[str, ...] = ()  # boilerplate inside the body (share buttons, related links)


@dataclass(frozen=True)
class StatementPage:
    """What a detail page says: its title, publication date and body text."""

    title: str
    published: date
    text: str

    @property
    def full_text(self) -> str:
        return f"{self.title}\n\n{self.text}"


@dataclass(frozen=True)
class FeedItem:
    """One RSS item or Atom entry."""

    title: str
    link: str
    guid: str
    published: date | None
    summary: str
    content: str


# -- HTML pages ------------------------------------------------------------------------------


class _BoundedSoup(BeautifulSoup):
    """A tree that refuses to grow deeper than MAX_DEPTH while it is being built, so that a
    hostile page costs no more than the first MAX_DEPTH levels of it."""

    def pushTag(self, tag: Tag) -> None:
        if len(self.tagStack) > MAX_DEPTH:
            raise LayoutError(f"HTML nested more than {MAX_DEPTH} elements deep")
        super().pushTag(tag)


def soup(markup: str | bytes) -> BeautifulSoup:
    """BeautifulSoup with the stdlib parser; its 'looks like a URL/XML' hints are not errors.

    A page nested more than MAX_DEPTH elements deep is a LayoutError.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return _BoundedSoup(markup, "html.parser")


def check_html(body: bytes, content_type: str | None = None) -> None:
    """Refuse what is not a whole HTML page: empty, another format, random bytes, truncated,
    or too large to be a statement page (MAX_PAGE_BYTES)."""
    if not body.strip():
        raise NotADocumentError("empty page")
    if len(body) > MAX_PAGE_BYTES:
        raise TooLargeError(
            f"HTML page of {len(body):,} bytes; statement pages are read up to"
            f" {MAX_PAGE_BYTES:,} bytes"
        )
    fmt = detect_format(body)
    if fmt not in ("html", "unknown"):
        raise NotADocumentError(f"expected an HTML page but got a {fmt} document")
    head = body[:8192].replace(b"\x00", b"").lower()
    if b"<html" not in head and b"<body" not in head:
        raise NotADocumentError(
            f"not an HTML page ({content_type or 'no content type'}, {len(body):,} bytes,"
            f" starts with 0x{body[:8].hex()})"
        )
    if b"</html" not in body[-4096:].replace(b"\x00", b"").lower():
        raise NotADocumentError(f"truncated HTML page: no closing </html> ({len(body):,} bytes)")


def parse_page(
    body: bytes,
    text: str,
    selectors: PageSelectors,
    *,
    content_type: str | None = None,
    listed_date: date | None = None,
    listed_title: str | None = None,
) -> StatementPage:
    """Parse a detail page; raise a ParseError subclass naming what is missing.

    ``listed_date``/``listed_title`` come from the list page or feed and are used only when
    the page itself has no date or title element at all.
    """
    check_html(body, content_type)
    page = soup(text)
    checkpoint("parse.page")  # tests signal a run here, in the middle of a parse
    json_ld = _json_ld_date(page) if "json-ld" in selectors.date else None
    remove_all(page.find_all(DROP_TAGS))
    title = _first_text(page, selectors.title) or (listed_title or "").strip()
    if not title:
        raise LayoutError(f"no title found (selectors {', '.join(selectors.title)})")
    body_text = _body_text(page, selectors)
    if not body_text:
        raise LayoutError(f"no article body found (selectors {', '.join(selectors.body)})")
    if len(body_text) < MIN_BODY_CHARS:
        raise LayoutError(f"article body is nearly empty ({len(body_text)} characters)")
    check_text_size(body_text)
    raw_date = _first_date_text(page, selectors.date, json_ld)
    if raw_date is None:
        if listed_date is None:
            raise LayoutError(f"no publication date found (selectors {', '.join(selectors.date)})")
        published = listed_date
    else:
        parsed = parse_date(raw_date)
        if parsed is None:
            raise ParseError(f"publication date in an unexpected format: {raw_date[:80]!r}")
        published = parsed
    return StatementPage(title=clean_line(title), published=published, text=body_text)


def _first_text(page: BeautifulSoup, selectors: Sequence[str]) -> str:
    for selector in selectors:
        for element in page.select(selector):
            value = element.get("content") if element.name == "meta" else element.get_text(" ")
            if isinstance(value, str) and value.strip():
                return clean_line(value)
    return ""


def _first_date_text(
    page: BeautifulSoup, selectors: Sequence[str], json_ld: str | None
) -> str | None:
    for selector in selectors:
        if selector == "json-ld":
            if json_ld:
                return json_ld
            continue
        for element in page.select(selector):
            for attribute in ("content", "datetime"):
                value = element.get(attribute)
                if isinstance(value, str) and value.strip():
                    return value.strip()
            value = element.get_text(" ").strip()
            if value:
                return clean_line(value)
    return None


def _json_ld_date(page: BeautifulSoup) -> str | None:
    for block in page.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(block.string or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and isinstance(item.get("datePublished"), str):
                return str(item["datePublished"])
    return None


def _body_text(page: BeautifulSoup, selectors: PageSelectors) -> str:
    for selector in selectors.body:
        elements = page.select(selector)
        if not elements:
            continue
        if selectors.drop:
            drop = ", ".join(selectors.drop)
            remove_all(junk for element in elements for junk in element.select(drop))
        text = "\n\n".join(block for element in elements if (block := element_text(element)))
        if text:
            return text
    return ""


PARAGRAPH = "\n\n"
_PARAGRAPH_RE = re.compile(r"\n\s*\n")
BLOCK_TAGS = (
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "blockquote",
    "pre",
    "section",
    "article",
    "table",
    "ul",
    "ol",
)
_BLOCKS = frozenset(BLOCK_TAGS)


def element_text(element: Tag) -> str:
    """Text of an element with one paragraph per block element, whitespace collapsed.

    One walk over the tree with an explicit stack: linear in the page's size at any depth, and
    the tree is left as it was. The text is what ``get_text()`` gives with a paragraph break
    around every block element and in place of every ``<br>``.
    """
    kept = element.interesting_string_types or Tag.MAIN_CONTENT_STRING_TYPES
    if isinstance(kept, type):
        kept = {kept}
    pieces: list[str] = []
    # Each entry: the children still to visit, and whether a block ends after them.
    stack: list[tuple[Iterator[Any], bool]] = [(iter(element.contents), False)]
    while stack:
        children, ends_block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if ends_block:
                pieces.append(PARAGRAPH)
        elif isinstance(child, Tag):
            if child.name == "br":
                pieces.append(PARAGRAPH)  # its contents (none in HTML) are dropped with it
                continue
            is_block = child.name in _BLOCKS
            if is_block:
                pieces.append(PARAGRAPH)
            stack.append((iter(child.contents), is_block))
        elif isinstance(child, NavigableString) and type(child) in kept:
            pieces.append(child)
    paragraphs = (clean_line(part) for part in _PARAGRAPH_RE.split("".join(pieces)))
    return "\n\n".join(part for part in paragraphs if part)


def remove_all(elements: Iterable[Tag]) -> None:
    """Take ``elements`` out of the tree, in time linear in the page.

    bs4's ``decompose`` looks for each element among its siblings from the first one: a page
    with 100,000 ``<script>`` siblings would cost 100,000 squared steps. Here each parent's
    children are listed once and the elements leave from the last to the first, each with its
    known position.
    """
    doomed: dict[int, tuple[Tag, set[int]]] = {}
    for element in elements:
        if element.parent is not None:
            doomed.setdefault(id(element.parent), (element.parent, set()))[1].add(id(element))
    for parent, children in doomed.values():
        positions = [i for i, child in enumerate(parent.contents) if id(child) in children]
        for position in reversed(positions):
            parent.contents[position].extract(_self_index=position)


def check_text_size(text: str) -> None:
    """A statement's text over MAX_TEXT_BYTES (1 MB) is no statement: a LayoutError."""
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise LayoutError(
            f"statement text is {size:,} bytes; at most {MAX_TEXT_BYTES:,} bytes (1 MB) are read"
        )


def clean_line(text: str) -> str:
    """NFC, no control characters, single spaces, stripped."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u200b", "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())


# -- dates -----------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DMY_RE = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?[\s-]+(?:of\s+)?{_MONTH},?[\s-]+(\d{{4}})\b", re.IGNORECASE
)
_MDY_RE = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)
_NUMERIC_RE = re.compile(r"(?<![\d.])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?![\d.])")
_RFC822_RE = re.compile(r"^[A-Z][a-z]{2},\s+\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\s+\d{2}:\d{2}")


def parse_date(text: str) -> date | None:
    """A publication date from a page, feed or URL; times with a zone become PKT dates.

    Accepts ISO 8601, RFC 822 (feeds), '17 April 2024', '17th April, 2024', '01 Jun 2021',
    '17-Apr-2024', 'April 24th, 2022', 'Published May 18, 2024 | 04:10 PM' and day-first
    numeric dates ('17/04/2024'). Returns None for anything else.
    """
    text = " ".join(text.split())
    try:
        if _RFC822_RE.match(text):
            return _local(parsedate_to_datetime(text))
        if match := _ISO_RE.search(text):
            year, month, day = int(match[1]), int(match[2]), int(match[3])
            if match[4] and match[7]:
                zone = "+00:00" if match[7] == "Z" else match[7]
                moment = datetime.fromisoformat(
                    f"{match[1]}-{match[2]}-{match[3]}T{match[4]}:{match[5]}:{match[6] or '00'}"
                    f"{zone if ':' in zone else zone[:3] + ':' + zone[3:]}"
                )
                return _local(moment)
            return date(year, month, day)
        if match := _DMY_RE.search(text):
            return _calendar(int(match[3]), match[2], int(match[1]))
        if match := _MDY_RE.search(text):
            return _calendar(int(match[3]), match[1], int(match[2]))
        if match := _NUMERIC_RE.search(text):
            return date(int(match[3]), int(match[2]), int(match[1]))
    except (ValueError, TypeError, OverflowError):
        return None
    return None


def _calendar(year: int, month_name: str, day: int) -> date | None:
    month = month_number(month_name)
    return date(year, month, day) if month else None


def _local(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PKT).date()


URL_DATE_RE = re.compile(
    r"/(20\d{2})/(\d{2})/(\d{2})/|/(\d{2})-([A-Za-z]{3})-(20\d{2})/|/(\d{2})-(\d{2})-(20\d{2})/"
)


def url_date(url: str) -> date | None:
    """Date in a news URL: /YYYY/MM/DD/, /DD-Mon-YYYY/ (The Nation), /DD-MM-YYYY/ (Radio Pk)."""
    match = URL_DATE_RE.search(url)
    if not match:
        return None
    try:
        if match[1]:
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match[4]:
            return _calendar(int(match[6]), match[5], int(match[4]))
        return date(int(match[9]), int(match[8]), int(match[7]))
    except ValueError:
        return None


# -- relevance and language ------------------------------------------------------------------

_IT_RE = re.compile(
    r"\b(?:IT|ICT|I\.T\.|ITeS)\b|\binformation\s+(?:and\s+communication\s+)?technology\b"
    r"|\bsoftware\b|\bcomputer\s+services\b|\btech(?:nology)?\s+(?:sector|industry|exports?)\b",
)
_IT_CI_RE = re.compile(
    r"\binformation\s+(?:and\s+communication\s+)?technology\b|\bsoftware\b"
    r"|\bcomputer\s+services\b|\btech(?:nology)?\s+(?:sector|industry|exports?)\b",
    re.IGNORECASE,
)
_EXPORT_RE = re.compile(r"\bexport\w*|\bremittances?\b", re.IGNORECASE)
_PAKISTAN_RE = re.compile(
    r"\bPakistan\w*|\bSBP\b|\bState\s+Bank\b|\bMoITT\b|\bPSEB\b|\bIslamabad\b|\bKarachi\b"
    r"|\bLahore\b|\bMinistry\s+of\s+(?:IT|Information\s+Technology)",
    re.IGNORECASE,
)
_URDU_IT_RE = re.compile(r"آئی\s*ٹی|انفارمیشن\s*ٹیکنالوجی|سافٹ\s*ویئر")
_URDU_EXPORT_RE = re.compile(r"برآمد")
_SENTENCE_RE = re.compile(r"(?<=[.!?؟۔])\s+|\n+")


def is_relevant(text: str) -> bool:
    """An IT/ICT export statement with a Pakistan context: an IT term and an export term in
    one sentence, and Pakistan (or SBP, MoITT, PSEB, a Pakistani city) anywhere."""
    if not _PAKISTAN_RE.search(text):
        return False
    return any(
        (_IT_RE.search(sentence) or _IT_CI_RE.search(sentence)) and _EXPORT_RE.search(sentence)
        for sentence in _SENTENCE_RE.split(text)
    )


def is_relevant_urdu(text: str) -> bool:
    """The same test for Urdu text: آئی ٹی (IT) and برآمدات (exports) in one sentence."""
    return any(
        _URDU_IT_RE.search(sentence) and _URDU_EXPORT_RE.search(sentence)
        for sentence in _SENTENCE_RE.split(text)
    )


def is_urdu_only(text: str) -> bool:
    """Arabic-script letters and (almost) no Latin ones: an Urdu page without English text."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    arabic = sum("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in letters)
    latin = sum(ch.isascii() for ch in letters)
    return arabic > 0 and latin < 0.2 * len(letters)


# -- what a release stores -------------------------------------------------------------------


def statement_body(title: str, published: date, text: str) -> bytes:
    """The stored bytes of a statement: its normalised title, date and text.

    Hashing these instead of the HTML means that a changed menu, advert or timestamp on the
    page adds no version, while any change to the statement itself does.
    """
    return f"{title}\n{published.isoformat()}\n\n{text}\n".encode()


def statement_observations(facts: Iterable[Fact]) -> list[Observation]:
    """The US$ amounts a statement gives for the ICT total (EBOPS 9, credit).

    Comparison figures (the prior period quoted for comparison) and suspect figures (outside
    the sanity ranges) are kept too, marked in ``note``; reconciliation never alerts on them.
    """
    found: list[Observation] = []
    seen: set[tuple[str, float, bool]] = set()
    for fact in facts:
        if fact.kind != "amount" or fact.usd_million is None:
            continue
        key = (format_range(fact.start, fact.end), round(fact.usd_million, 6), fact.comparison)
        if key in seen:  # the title and the body often state the same figure
            continue
        seen.add(key)
        notes = []
        if fact.comparison:
            notes.append("comparison: figure quoted for comparison")
        if fact.suspect:
            notes.append(f"suspect: {fact.suspect}")
        found.append(
            Observation(
                series="9",
                flow="credit",
                start=fact.start,
                end=fact.end,
                value=fact.usd_million,
                location=fact.text[:1000],
                label="statement",
                note="; ".join(notes) or None,
            )
        )
    return found


# -- MoITT tokens ------------------------------------------------------------------------------

_GUID_RE = re.compile(r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", re.IGNORECASE)


def decode_news_token(token: str) -> str | None:
    """The GUID inside a NITB ``/NewsDetail/<base64>`` token, lower-cased; None if it is none."""
    padded = token + "=" * (-len(token) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            text = decode(padded).decode("ascii").strip()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
        if _GUID_RE.match(text):
            return text.lower()
    return None


# -- feeds -------------------------------------------------------------------------------------

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def parse_feed(body: bytes, content_type: str | None = None) -> list[FeedItem]:
    """RSS 2.0 items or Atom entries; a page that is not a well-formed feed is a ParseError."""
    if not body.strip():
        raise NotADocumentError("empty feed")
    if detect_format(body) == "html":
        raise NotADocumentError(
            f"expected an RSS or Atom feed but got an HTML page ({content_type or 'no type'},"
            f" {len(body):,} bytes)"
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise NotADocumentError(f"not a well-formed feed (truncated?): {exc}") from exc
    if root.tag == "rss" or root.find("channel") is not None:
        entries = root.iter("item")
        items = [_rss_item(item) for item in entries]
    elif root.tag == f"{_ATOM}feed":
        items = [_atom_entry(entry) for entry in root.iter(f"{_ATOM}entry")]
    else:
        raise LayoutError(f"unknown feed root element {root.tag!r}")
    return items


def _child_text(element: Any, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def _html_text(markup: str) -> str:
    if not markup:
        return ""
    fragment = soup(markup)
    remove_all(fragment.find_all(DROP_TAGS))
    return element_text(fragment)


def _rss_item(item: Any) -> FeedItem:
    link = _child_text(item, "link")
    raw_date = _child_text(item, "pubDate") or _child_text(
        item, "{http://purl.org/dc/elements/1.1/}date"
    )
    return FeedItem(
        title=clean_line(_child_text(item, "title")),
        link=link,
        guid=_child_text(item, "guid") or link,
        published=parse_date(raw_date) if raw_date else None,
        summary=_html_text(_child_text(item, "description")),
        content=_html_text(_child_text(item, _CONTENT)),
    )


def _atom_entry(entry: Any) -> FeedItem:
    link = ""
    for candidate in entry.findall(f"{_ATOM}link"):
        if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
            link = candidate.get("href")
            break
    raw_date = _child_text(entry, f"{_ATOM}published") or _child_text(entry, f"{_ATOM}updated")
    return FeedItem(
        title=clean_line(_child_text(entry, f"{_ATOM}title")),
        link=link,
        guid=_child_text(entry, f"{_ATOM}id") or link,
        published=parse_date(raw_date) if raw_date else None,
        summary=_html_text(_child_text(entry, f"{_ATOM}summary")),
        content=_html_text(_child_text(entry, f"{_ATOM}content")),
    )
