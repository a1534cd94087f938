"""The catalogue of sources: name, default URLs, rank and whether its figures are official."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from msgspec import Meta, Struct

ICT = "9"  # EBOPS 9, telecommunications, computer and information services: the ICT total

# Detail or list pages one run may fetch from a source: bounds the cost of a hostile list page.
Depth = Annotated[int, Meta(ge=1, le=1000)]


class Options(Struct, forbid_unknown_fields=True, kw_only=True):
    """Extra ``[sources.<name>]`` keys a spider reads (beyond ``url`` and ``enabled``)."""

    # Keys whose values are URLs (a string, or a list of them): checked like ``url``.
    url_keys: ClassVar[tuple[str, ...]] = ()


class HeadlineOptions(Options):
    url_keys = ("fallback_url",)
    fallback_url: str = ""  # tried when the first URL fails


class MoittOptions(Options):
    url_keys = ("pages",)
    pages: list[str] = []  # more list pages to scan
    depth: Depth = 3  # list pages to follow by "next"


class PidOptions(Options):
    start_id: Annotated[int, Meta(ge=0)] = 0  # walk up from this id instead of down
    depth: Depth = 20  # press release ids to fetch


class PsebOptions(Options):
    depth: Depth = 3  # list pages to follow by "next"


class PressOptions(Options):
    url_keys = ("feeds",)
    feeds: list[str] = []  # RSS/Atom feed URLs (required)
    depth: Depth = 30  # items read per feed
    follow: bool = True  # fetch the article; false: use the feed's own text


@dataclass(frozen=True)
class SourceInfo:
    """What the project knows about one source before any config is applied."""

    name: str
    label: str  # short name in alert texts and chart footers ("SBP EBOPS workbook", "PID")
    description: str
    urls: tuple[str, ...]  # first is the start URL; the rest are fallbacks
    rank: int  # higher wins when two sources give the same month
    official: bool  # official figures can raise new_month/record/revision
    crawled: bool = True  # False for sources that arrive by import, not by a spider
    enabled: bool = True
    statement: bool = False  # figures read from prose: reconciled, never official
    # Extra ``[sources.<name>]`` keys the spider reads, with their types, ranges and defaults.
    options: type[Options] = Options
    # Options that must be set before the source can run; setting one switches it on.
    required_options: tuple[str, ...] = ()


SOURCES: dict[str, SourceInfo] = {
    info.name: info
    for info in (
        SourceInfo(
            "sbp_ebops",
            "SBP EBOPS workbook",
            "SBP Trade in Services (EBOPS 2010) workbook dt.xls",
            ("https://archive.sbp.org.pk/ecodata/dt.xls",),
            rank=100,
            official=True,
        ),
        SourceInfo(
            "sbp_headline",
            "SBP headline PDF",
            "SBP Exports and Imports of Goods & Services PDF (first SBP print of a month)",
            (
                "https://www.sbp.org.pk/assets/document/ExportsImports-Goods.pdf",
                "https://archive.sbp.org.pk/ecodata/ExportsImports-Goods.pdf",
            ),
            rank=90,
            official=True,
            options=HeadlineOptions,
        ),
        SourceInfo(
            "import",
            "imported history",
            "History imported with `itx-scraper import-history`",
            (),
            rank=50,
            official=False,
            crawled=False,
        ),
        SourceInfo(
            "baseline",
            "bundled history",
            "Bundled history of published monthly figures since FY2020",
            (),
            rank=40,
            official=False,
            crawled=False,
        ),
        SourceInfo(
            "moitt",
            "MoITT",
            "Ministry of IT & Telecom news (statements on IT exports)",
            ("https://moitt.gov.pk/News",),
            rank=20,
            official=False,
            enabled=False,  # the news list URL is a guess: switch on after checking it
            statement=True,
            options=MoittOptions,
        ),
        SourceInfo(
            "pid",
            "PID",
            "Press Information Department press releases (walks the sequential ids)",
            ("https://pid.gov.pk/",),
            rank=20,
            official=False,
            statement=True,
            options=PidOptions,
        ),
        SourceInfo(
            "pseb",
            "PSEB",
            "Pakistan Software Export Board news",
            ("https://pseb.org.pk/news",),
            rank=20,
            official=False,
            enabled=False,  # no PSEB news page is known for sure: switch on after checking
            statement=True,
            options=PsebOptions,
        ),
        SourceInfo(
            "press",
            "the press",
            "RSS feeds of business news outlets (off until feeds are configured)",
            (),
            rank=10,
            official=False,
            enabled=False,
            statement=True,
            options=PressOptions,
            required_options=("feeds",),
        ),
    )
}

CRAWLED = tuple(name for name, info in SOURCES.items() if info.crawled)
OFFICIAL = tuple(name for name, info in SOURCES.items() if info.official)
STATEMENTS = tuple(name for name, info in SOURCES.items() if info.statement)


def rank(source: str) -> int:
    """Rank of a source name; unknown names rank lowest."""
    info = SOURCES.get(source)
    return info.rank if info else 0


def source_urls(name: str, urls: Iterable[str], options: Mapping[str, Any]) -> tuple[str, ...]:
    """Every URL a source is configured with, each once: its start URLs, then the values of
    its URL options (``fallback_url``, ``feeds``, ``pages``). The one definition: a spider
    may request their hosts, and the pre-flight and the runner's host groups read them."""
    found = list(urls)
    info = SOURCES.get(name)  # the workbook spider of the watches is no source: no options
    for key in info.options.url_keys if info else ():
        value = options.get(key)
        found += list(value) if isinstance(value, list | tuple) else [value] if value else []
    return tuple(dict.fromkeys(str(url) for url in found))


def label(source: str) -> str:
    """Short name of a source for people; unknown names are shown as they are."""
    info = SOURCES.get(source)
    return info.label if info else source
