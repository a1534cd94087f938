"""Read statement pages: title, date, body text, relevance and stated figures."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    Tag,
    XMLParsedAsHTMLWarning,
)

from itx_scraper.core.errors import LayoutError, NotADocumentError, ParseError, TooLargeError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.periods import format_range, month_number
from itx_scraper.core.sources import ICT
from itx_scraper.extract import MAX_TEXT_BYTES
from itx_scraper.items import Observation
from itx_scraper.parsers import article
from itx_scraper.parsers.sniff import detect_format

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from itx_scraper.extract import Fact

PKT = timezone(timedelta(hours=5), "PKT")  # dates of Pakistani statements are local dates
MIN_BODY_CHARS = 200  # a detail page whose article text is shorter lost its body (issue 15)
# Tags whose text is never part of a statement (scripts may hold broken or hostile code).
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg", "form")
# Real pages nest a few dozen levels; a hostile one nests thousands to make every walk slow.
MAX_DEPTH = 500
# News and statement pages weigh well under 1 MB; parsing HTML costs seconds per MB.
MAX_PAGE_BYTES = 5_000_000


class MissingDateError(LayoutError):
    """A detail page with no publication date, neither on the page nor on its list page."""


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
    """What a detail page says: its title, publication date and body text.

    ``dated_by`` says where the date came from: "page" (its own markup) or "list" (the list
    page or feed, because the page had none); ``read_by`` says which reader found the body:
    "selectors" (the site's own) or "trafilatura".
    """

    title: str
    published: date
    text: str
    dated_by: str = "page"
    read_by: str = "selectors"

    @property
    def full_text(self) -> str:
        return f"{self.title}\n\n{self.text}"


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
    body_text, read_by = _body_text(page, selectors), "selectors"
    if not body_text:  # the site's markup moved: read the page as an article
        body_text, read_by = article_paragraphs(article.main_text(text)), "trafilatura"
        if len(body_text) < MIN_BODY_CHARS:
            raise LayoutError(
                f"empty article body: the selectors ({', '.join(selectors.body)}) found"
                f" no text and trafilatura {len(body_text)} characters, fewer than"
                f" {MIN_BODY_CHARS}"
            )
    elif len(body_text) < MIN_BODY_CHARS:
        raise LayoutError(
            f"empty article body: {len(body_text)} characters, fewer than {MIN_BODY_CHARS}"
            f" (selectors {', '.join(selectors.body)})"
        )
    check_text_size(body_text)
    raw_date = _first_date_text(page, selectors.date, json_ld)
    if raw_date is None:
        if listed_date is None:
            raise MissingDateError(
                f"no publication date found (selectors {', '.join(selectors.date)})"
            )
        return StatementPage(clean_line(title), listed_date, body_text, "list", read_by)
    published = parse_date(raw_date)
    if published is None:
        raise ParseError(f"publication date in an unexpected format: {raw_date[:80]!r}")
    return StatementPage(clean_line(title), published, body_text, "page", read_by)


def read_article(
    body: bytes,
    text: str,
    *,
    url: str | None = None,
    content_type: str | None = None,
    listed_date: date | None = None,
    listed_title: str | None = None,
) -> StatementPage:
    """A news article from any outlet, read by trafilatura: main text, title and date.

    The page's own date (meta tags, JSON-LD, ``<time>``, its URL) comes first, then
    ``listed_date`` (the feed's); a zoned time becomes a PKT date.
    """
    check_html(body, content_type)
    found = article.read(text, url)
    title = clean_line(found.title) or clean_line(listed_title or "")
    if not title:
        raise LayoutError("no title found (trafilatura)")
    body_text = article_paragraphs(found.text)
    if len(body_text) < MIN_BODY_CHARS:
        raise LayoutError(
            f"empty article body: trafilatura found {len(body_text)} characters,"
            f" fewer than {MIN_BODY_CHARS}"
        )
    if found.date:
        published = parse_date(found.date)
        if published is None:
            raise ParseError(f"publication date in an unexpected format: {found.date[:80]!r}")
        return StatementPage(title, published, body_text, "page", "trafilatura")
    if listed_date is None:
        raise MissingDateError("no publication date on the article page, in its URL or feed")
    return StatementPage(title, listed_date, body_text, "list", "trafilatura")


def article_paragraphs(text: str) -> str:
    """trafilatura's text (a paragraph a line) in the stored form: one blank line between."""
    return "\n\n".join(line for raw in text.splitlines() if (line := clean_line(raw)))


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
    r"(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)?(?!\d)"
)
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# Zone names dateutil cannot know; others it does not know are read as local (PKT) times.
_ZONES = {"PKT": PKT, "UTC": UTC, "GMT": UTC, "Z": UTC}
# Two unlikely defaults: a field the text lacks shows up as a difference between the two readings.
_DEFAULTS = (datetime(1901, 1, 1), datetime(1902, 2, 2))


def parse_date(text: str) -> date | None:
    """A publication date from a page, feed or URL; times with a zone become PKT dates.

    ISO 8601 anywhere in the text first; otherwise python-dateutil reads the text (day first,
    skipping words around the date): RFC 822 (feeds), '17 April 2024', '17th April, 2024',
    '01 Jun 2021', '17-Apr-2024', 'April 24th, 2022', 'Published May 18, 2024 | 04:10 PM',
    '17/04/2024'. The year must be written in full and the day and month given; anything
    else is None.
    """
    from dateutil import parser as dateutil_parser

    text = " ".join(text.split())
    if not text:
        return None
    try:
        if match := _ISO_RE.search(text):
            stamp = match.group(0)  # '2024-05-17 23:30 +0000' -> '2024-05-17T23:30+0000'
            stamp = stamp[:10] + "".join(f"T{stamp[11:]}".split()) if len(stamp) > 10 else stamp
            return _local(dateutil_parser.isoparse(stamp))
        years = _YEAR_RE.findall(text)
        if not years:  # '17.04.24': a two-digit year is a guess
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
            first, second = (
                dateutil_parser.parse(
                    text, fuzzy=True, dayfirst=True, default=default, tzinfos=_ZONES
                )
                for default in _DEFAULTS
            )
    except (ValueError, OverflowError, TypeError):
        return None
    if first != second or str(first.year) not in years:  # a missing field, or no real year
        return None
    return _local(first)


def _calendar(year: int, month_name: str, day: int) -> date | None:
    month = month_number(month_name)
    return date(year, month, day) if month else None


def _local(moment: datetime) -> date:
    """The PKT date of a zoned time; a time without a zone is a local time, read as printed."""
    if moment.tzinfo is None:
        return moment.date()
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
# Urdu spellings vary in the letters yeh, kaf and heh (Arabic or Persian forms): allow both.
_URDU_IT_RE = re.compile(
    r"آئی\s*(?:سی\s*)?ٹی|انفارمیشن\s*(?:اینڈ\s*کمیونیکیشن\s*)?ٹیکنالوج[یي]"
    r"|(?:سافٹ|سوفٹ)\s*و(?:[یي]ئ|ئ[یي]|[یي])ر|کمپیوٹر\s*سروسز|ٹیک\s*(?:سیکٹر|انڈسٹر[یي])"
)
_URDU_EXPORT_RE = re.compile(r"برآمد|ایکسپورٹ|ترسیلات")
_URDU_PAKISTAN_RE = re.compile(
    r"پاکستان|اسٹیٹ\s*بینک|سٹیٹ\s*بینک|اسلام\s*آباد|کراچی|لاہور|پی\s*ایس\s*ای\s*بی"
    r"|وزارت\s*(?:آئی\s*ٹی|انفارمیشن\s*ٹیکنالوج[یي])|پی\s*آئی\s*ڈی"
)
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
    """The same test for Urdu text: آئی ٹی (IT) and برآمدات (exports) in one sentence, and
    پاکستان (or the State Bank, a Pakistani city, the IT ministry, PSEB) anywhere."""
    if not (_URDU_PAKISTAN_RE.search(text) or _PAKISTAN_RE.search(text)):
        return False
    return any(
        (_URDU_IT_RE.search(sentence) or _IT_RE.search(sentence))
        and (_URDU_EXPORT_RE.search(sentence) or _EXPORT_RE.search(sentence))
        for sentence in _SENTENCE_RE.split(text)
    )


def is_statement(text: str) -> bool:
    """Relevant in English or in Urdu: a page in either language (or both) may be a statement."""
    return is_relevant(text) or is_relevant_urdu(text)


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
    A figure whose period the extractor corrected says so in ``note`` too. English and Urdu
    statements give the same rows.
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
        if fact.note:  # "period corrected": the period is not the one printed
            notes.append(fact.note)
        found.append(
            Observation(
                series=ICT,
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
