"""The catalogue of sources: name, default URLs, rank and whether its figures are official."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceInfo:
    """What the project knows about one source before any config is applied."""

    name: str
    description: str
    urls: tuple[str, ...]  # first is the start URL; the rest are fallbacks
    rank: int  # higher wins when two sources give the same month
    official: bool  # official figures can raise new_month/record/revision
    crawled: bool = True  # False for sources that arrive by import, not by a spider
    enabled: bool = True
    statement: bool = False  # figures read from prose: reconciled, never official
    # Extra ``[sources.<name>]`` keys the spider accepts, with their defaults (types checked).
    options: Mapping[str, Any] = field(default_factory=dict)
    # Options that must be set before the source can run; setting one switches it on.
    required_options: tuple[str, ...] = ()


SOURCES: dict[str, SourceInfo] = {
    info.name: info
    for info in (
        SourceInfo(
            "sbp_ebops",
            "SBP Trade in Services (EBOPS 2010) workbook dt.xls",
            ("https://archive.sbp.org.pk/ecodata/dt.xls",),
            rank=100,
            official=True,
        ),
        SourceInfo(
            "sbp_headline",
            "SBP Exports and Imports of Goods & Services PDF (first SBP print of a month)",
            (
                "https://www.sbp.org.pk/assets/document/ExportsImports-Goods.pdf",
                "https://archive.sbp.org.pk/ecodata/ExportsImports-Goods.pdf",
            ),
            rank=90,
            official=True,
            options={"fallback_url": ""},
        ),
        SourceInfo(
            "import",
            "History imported with `itx-scraper import-history`",
            (),
            rank=50,
            official=False,
            crawled=False,
        ),
        SourceInfo(
            "baseline",
            "Bundled history of published monthly figures since FY2020",
            (),
            rank=40,
            official=False,
            crawled=False,
        ),
        SourceInfo(
            "moitt",
            "Ministry of IT & Telecom news (statements on IT exports)",
            ("https://moitt.gov.pk/News",),
            rank=20,
            official=False,
            enabled=False,  # the news list URL is a guess: switch on after checking it
            statement=True,
            options={"pages": [], "depth": 3},
        ),
        SourceInfo(
            "pid",
            "Press Information Department press releases (walks the sequential ids)",
            ("https://pid.gov.pk/",),
            rank=20,
            official=False,
            statement=True,
            options={"start_id": 0, "depth": 20},
        ),
        SourceInfo(
            "pseb",
            "Pakistan Software Export Board news",
            ("https://pseb.org.pk/news",),
            rank=20,
            official=False,
            enabled=False,  # no PSEB news page is known for sure: switch on after checking
            statement=True,
            options={"depth": 3},
        ),
        SourceInfo(
            "press",
            "RSS feeds of business news outlets (off until feeds are configured)",
            (),
            rank=10,
            official=False,
            enabled=False,
            statement=True,
            options={"feeds": [], "depth": 30, "follow": True},
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
