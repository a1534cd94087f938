"""The catalogue of sources: name, default URLs, rank and whether its figures are official."""

from __future__ import annotations

from dataclasses import dataclass


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
    )
}

CRAWLED = tuple(name for name, info in SOURCES.items() if info.crawled)
OFFICIAL = tuple(name for name, info in SOURCES.items() if info.official)


def rank(source: str) -> int:
    """Rank of a source name; unknown names rank lowest."""
    info = SOURCES.get(source)
    return info.rank if info else 0
