"""Every spider's fixture site: the pages it reads, its options, and its documents.

The same pages serve the offline contract tests (real hosts, answered by spider_harness) and the
end-to-end tests (the loopback server; pass its base URL as ``base``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sbp_pdf_builder import build_headline_pdf
from sbp_tables import EXPORTS, build, down_grid, summary_grid
from sbp_workbook import build_dt, published_ict
from spider_harness import Page, fixture

from itx_scraper.core.periods import Month

MOITT_IT = "/NewsDetail/Njk4ZDI0MTAtYzdiMy00MDMwLTljNTItZjI3OWM2MGQ4OWYz"
MOITT_OFF = "/NewsDetail/MWIyYzNkNGUtNWY2MC00NzE4LThhOWItMGMxZDJlM2Y0YTVi"
MOITT_NOFIG = "/NewsDetail/OWY4ZTdkNmMtNWI0YS00MzkyLTgxODAtN2Y2ZTVkNGMzYjJh"
MOITT_URDU = "/NewsDetail/NGQzYzJiMWEtMGY5ZS00OGQ3LWI2YTUtOTQ4MzcyNjE1MDQx"
PRESS_ARTICLE = "/news/40303030/it-exports-up-24pc-to-310m-in-april"
PRESS_HOST = "https://www.brecorder.com"
XLS = "application/vnd.ms-excel"


@dataclass(frozen=True)
class Site:
    """A spider's fixture site relative to a base URL."""

    base: str  # the real host, for offline runs
    start: str  # path of the start URL
    pages: Callable[[str], dict[str, Page]]  # base -> {path: page}
    documents: tuple[str, ...]  # paths whose damage must end in a recorded error
    options: Callable[[str], dict[str, Any]] = lambda base: {}

    def urls(self, base: str | None = None) -> dict[str, Page]:
        root = base or self.base
        return {root + path: page for path, page in self.pages(root).items()}

    def kwargs(self, base: str | None = None) -> dict[str, Any]:
        root = base or self.base
        return {"urls": (root + self.start,), **self.options(root)}


def moitt_pages(base: str) -> dict[str, Page]:
    return {
        "/News": Page(fixture("moitt", "news.html")),
        "/News?page=2": Page(fixture("moitt", "news-2.html")),
        MOITT_IT: Page(fixture("moitt", "detail-it-exports.html")),
        MOITT_OFF: Page(fixture("moitt", "detail-broadband.html")),
        MOITT_NOFIG: Page(fixture("moitt", "detail-freelancers.html")),
        MOITT_URDU: Page(fixture("moitt", "detail-urdu.html")),
    }


def pid_pages(base: str) -> dict[str, Page]:
    pages = {"/": Page(fixture("pid", "home.html"))}
    for number in (32377, 32376, 32375, 32374):
        pages[f"/site/press_detail/{number}"] = Page(fixture("pid", f"press_detail-{number}.html"))
    return pages


def pseb_pages(base: str) -> dict[str, Page]:
    return {
        "/news": Page(fixture("pseb", "news.html")),
        "/news/page/2": Page(fixture("pseb", "news-page-2.html")),
        "/news/it-exports-march-2024": Page(fixture("pseb", "it-exports-march.html")),
        "/news/techdestination-gitex": Page(fixture("pseb", "techdestination.html")),
        "/news/delegation-riyadh": Page(fixture("pseb", "delegation.html")),
    }


def press_pages(base: str) -> dict[str, Page]:
    feed = fixture("press", "feed.xml").replace(PRESS_HOST.encode(), base.encode())
    return {
        "/feeds/business": Page(feed, "application/rss+xml; charset=utf-8"),
        PRESS_ARTICLE: Page(fixture("press", "article-it-exports.html")),
    }


APRIL_2024 = Month(2024, 4)


def headline_pdf(latest: Month = APRIL_2024, **overrides: float) -> bytes:
    """The headline PDF of a month, from the published monthly figures (sources.md §3 layout)."""
    ict = dict(published_ict())
    for key, value in overrides.items():
        ict[Month.parse(key.replace("_", "-"))] = value
    return build_headline_pdf(latest, ict)


BPM6_PATH = "/ecodata/Balancepayment_BPM6.xls"
EXP_IMP_PATH = "/ecodata/exp_import_BOP.xls"


def watched_pages(base: str) -> dict[str, Page]:
    """Two SBP-style workbooks: periods across (BPM6 summary) and down (exp_import_BOP)."""
    exports, _ = down_grid(Month(2023, 7), APRIL_2024, status={APRIL_2024: "P"})
    return {
        BPM6_PATH: Page(build(summary_grid(APRIL_2024)), XLS),
        EXP_IMP_PATH: Page(build(exports), XLS),
    }


def watches(base: str) -> dict[str, Any]:
    """Three watches over the two workbooks: two share the BPM6 summary."""
    return {
        "watches": [
            {
                "name": "current_account",
                "url": base + BPM6_PATH,
                "series": "Current Account Balance",
            },
            {"name": "remittances", "url": base + BPM6_PATH, "series": "Workers' Remittances"},
            {
                "name": "goods_exports",
                "url": base + EXP_IMP_PATH,
                "series": EXPORTS,
                "part": "Value",
            },
        ]
    }


SITES: dict[str, Site] = {
    "sbp_ebops": Site(
        "https://archive.sbp.org.pk",
        "/ecodata/dt.xls",
        lambda base: {"/ecodata/dt.xls": Page(build_dt(Month(2024, 4), published_ict()), XLS)},
        ("/ecodata/dt.xls",),
    ),
    "sbp_headline": Site(
        "https://www.sbp.org.pk",
        "/assets/document/ExportsImports-Goods.pdf",
        lambda base: {
            "/assets/document/ExportsImports-Goods.pdf": Page(headline_pdf(), "application/pdf")
        },
        ("/assets/document/ExportsImports-Goods.pdf",),
    ),
    "moitt": Site("https://moitt.gov.pk", "/News", moitt_pages, ("/News", MOITT_IT)),
    "pid": Site(
        "https://pid.gov.pk",
        "/",
        pid_pages,
        ("/", "/site/press_detail/32377"),
        lambda base: {"depth": 5},
    ),
    "pseb": Site(
        "https://pseb.org.pk", "/news", pseb_pages, ("/news", "/news/it-exports-march-2024")
    ),
    "press": Site(
        PRESS_HOST,
        "/feeds/business",
        press_pages,
        ("/feeds/business", PRESS_ARTICLE),
        lambda base: {"feeds": [base + "/feeds/business"]},
    ),
    "sbp_workbook": Site(
        "https://www.sbp.org.pk", BPM6_PATH, watched_pages, (BPM6_PATH, EXP_IMP_PATH), watches
    ),
}
