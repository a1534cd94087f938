"""Contract of every spider in `scrapy list`: its fixture yields valid items; damage is loud."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from spider_fixtures import MOITT_IT, MOITT_NOFIG, MOITT_OFF, MOITT_URDU, SITES, Page
from spider_harness import HTML, crawl, errors, good

from itx_scraper.core.config import WATCH_FLOW, WORKBOOK_SPIDER
from itx_scraper.core.periods import parse_range
from itx_scraper.core.sources import SOURCES
from itx_scraper.items import Document
from itx_scraper.parsers.statement import statement_body


def loader() -> SpiderLoader:
    settings = Settings()
    settings.setmodule("itx_scraper.settings", priority="project")
    return SpiderLoader.from_settings(settings)


NAMES = sorted(loader().list())
HOME_PAGE = (
    b"<!DOCTYPE html><html><head><title>State Bank of Pakistan</title></head><body>"
    b"<h1>Welcome</h1><p>Latest news and circulars.</p></body></html>"
)


def run(name: str, pages: dict[str, Page] | None = None, /, **kwargs: object) -> list[Document]:
    site = SITES[name]
    spider = loader().load(name)(**{**site.kwargs(), **kwargs})
    return crawl(spider, site.urls() if pages is None else pages)


def test_every_spider_has_a_fixture_site_and_a_source() -> None:
    assert set(NAMES) == set(SITES), "each spider in `scrapy list` needs a fixture site"
    crawled = {name for name, info in SOURCES.items() if info.crawled}
    assert set(NAMES) == crawled | {WORKBOOK_SPIDER}  # the one spider of every watch


def watch_names(name: str) -> set[str]:
    return {watch["name"] for watch in SITES[name].kwargs().get("watches", ())}


def check_item(doc: Document, watches: set[str]) -> None:
    """A source's document, or a watch's (source = the watch, flow 'value', series = it)."""
    assert (doc.source in SOURCES or doc.source in watches) and doc.http_status == 200
    assert doc.body
    for obs in doc.observations:
        row = obs.as_row()
        start, end = parse_range(row["period"])
        assert (str(start), str(end)) == (row["period_start"], row["period_end"])
        assert row["months"] == end.index - start.index + 1
        if doc.source in watches:
            assert (row["flow"], row["series"]) == (WATCH_FLOW, doc.source)
        else:
            assert row["flow"] in ("credit", "debit", "net") and row["series"]
        assert math.isfinite(row["usd_million"])
    if doc.source in watches:
        return
    if SOURCES[doc.source].statement:
        assert doc.doc_key and doc.doc_key.startswith(f"{doc.source}:")
        assert doc.title and doc.text and doc.format == "statement"
        published = date.fromisoformat(doc.published_at or "")
        assert doc.body == statement_body(doc.title, published, doc.text)
        assert {obs.series for obs in doc.observations} == {"9"}


@pytest.mark.parametrize("name", NAMES)
def test_fixture_yields_valid_items(name: str) -> None:
    docs = run(name)
    items = good(docs)
    assert items, docs
    for doc in items:
        check_item(doc, watch_names(name))
    assert not errors(docs)


def _truncated(body: bytes) -> bytes:
    return body[: len(body) // 3]


DAMAGE = {
    "empty": lambda body: b"",
    "truncated": _truncated,
    "html-home-page": lambda body: HOME_PAGE,
    "random-bytes": lambda body: random.Random(11).randbytes(20_000),
}
CASES = [(name, path, kind) for name in NAMES for path in SITES[name].documents for kind in DAMAGE]


@pytest.mark.parametrize(("name", "path", "kind"), CASES, ids=[f"{n}-{p}-{k}" for n, p, k in CASES])
def test_damaged_document_ends_in_a_recorded_error(name: str, path: str, kind: str) -> None:
    site = SITES[name]
    pages = site.urls()
    url = site.base + path
    original = pages[url]
    content_type = HTML if kind == "html-home-page" else original.content_type
    pages[url] = Page(DAMAGE[kind](original.body), content_type)
    docs = run(name, pages)
    failed = [d for d in errors(docs) if d.url == url]
    assert failed, f"{name}: damaged {path} ({kind}) was not recorded as an error: {docs}"
    assert all(d.error and d.error_class in ("parse", "layout") for d in failed)
    assert not [d for d in good(docs) if d.url == url]


# -- behaviour of single spiders -------------------------------------------------------------


def test_moitt_follows_pagination_to_depth_and_keys_on_the_guid() -> None:
    docs = run("moitt")
    urls = [d.url for d in docs]
    assert "https://moitt.gov.pk/News?page=2" in urls
    statement, urdu = good(docs)
    assert statement.doc_key == "moitt:698d2410-c7b3-4030-9c52-f279c60d89f3"
    assert statement.url == "https://moitt.gov.pk" + MOITT_IT
    skipped = {d.url for d in docs if d.not_modified}
    assert {"https://moitt.gov.pk" + p for p in (MOITT_OFF, MOITT_NOFIG)} <= skipped
    # The Urdu-only statement is a release like the English one (issue 15).
    assert urdu.url == "https://moitt.gov.pk" + MOITT_URDU and errors(docs) == []
    assert [(o.period, o.value, o.note) for o in urdu.observations] == [
        ("2024-04", 310.0, None),
        ("2023-07/2024-04", 2593.0, None),
    ]
    shallow = [d.url for d in run("moitt", depth=1)]
    assert "https://moitt.gov.pk/News?page=2" not in shallow


def test_moitt_extra_pages_are_scanned() -> None:
    pages = SITES["moitt"].urls()
    pages["https://moitt.gov.pk/Detail/press"] = pages.pop("https://moitt.gov.pk/News?page=2")
    docs = run("moitt", pages, pages=["https://moitt.gov.pk/Detail/press"], depth=1)
    assert "https://moitt.gov.pk" + MOITT_URDU in [d.url for d in docs]


def test_moitt_pages_on_another_host_are_configured_urls() -> None:
    """``pages`` are configured URLs like ``url``: their hosts may be requested. The spider
    once allowed only its ``url``'s host, and refused its own page on the bare domain as
    "moitt.gov.pk:443 is not a configured host and port"."""
    pages = SITES["moitt"].urls()
    docs = run(
        "moitt", pages, urls=("https://www.moitt.gov.pk/News",), pages=["https://moitt.gov.pk/News"]
    )
    assert [d.url for d in docs if d.error_class == "offsite"] == []
    assert "https://moitt.gov.pk" + MOITT_IT in [d.url for d in good(docs)]


# Links that urljoin and urlsplit refuse with a ValueError (an IPv6 host that never closes,
# a fullwidth solidus in the host): once they ended the callback and lost the links after them.
UNPARSABLE = ["http://[x/", "http://evil\uff0f.x/"]


@pytest.mark.parametrize("odd", UNPARSABLE, ids=["bad-ipv6", "nfkc-host"])
def test_an_unparsable_link_on_a_list_page_drops_nothing(odd: str) -> None:
    pages = SITES["moitt"].urls()
    news = pages["https://moitt.gov.pk/News"]
    first = f'<a href="{MOITT_IT}">'.encode()
    news.body = news.body.replace(first, f'<a href="{odd}NewsDetail/b2Rk">x</a>'.encode() + first)
    news.body = news.body.replace(b'href="/News?page=2"', f'href="{odd}News?page=2"'.encode())
    docs = run("moitt", pages)
    assert errors(docs) == []
    assert "https://moitt.gov.pk" + MOITT_IT in [d.url for d in good(docs)]
    assert "https://moitt.gov.pk/News?page=2" not in [d.url for d in docs]  # the odd "next"
    pages = SITES["pseb"].urls()
    listing = pages["https://pseb.org.pk/news"]
    listing.body = listing.body.replace(b'href="/news/page/2"', f'href="{odd}page/2"'.encode())
    [statement] = good(run("pseb", pages))
    assert statement.url == "https://pseb.org.pk/news/it-exports-march-2024"


def test_pid_walks_ids_down_from_the_newest_and_skips_gaps() -> None:
    docs = run("pid")
    assert [d.url.rsplit("/", 1)[1] for d in docs[1:]] == [
        "32377",
        "32376",
        "32375",
        "32374",
        "32373",
    ]
    gap = docs[-1]
    assert gap.http_status == 404 and gap.not_modified and not gap.failed
    [statement] = good(docs)
    assert statement.doc_key == "pid:32377" and statement.published_at == "2024-05-18"
    assert [(o.period, o.value) for o in statement.observations] == [
        ("2024-04", 310.0),
        ("2023-07/2024-04", 2593.0),
    ]


def test_pid_start_id_walks_up() -> None:
    docs = run("pid", start_id=32375, depth=3)
    assert [d.url.rsplit("/", 1)[1] for d in docs] == ["32375", "32376", "32377"]
    assert len(good(docs)) == 1


def test_pid_uses_the_home_page_date_when_the_page_has_none() -> None:
    pages = SITES["pid"].urls()
    url = "https://pid.gov.pk/site/press_detail/32377"
    pages[url] = Page(pages[url].body.replace(b'<div class="date">2024-05-18</div>', b""))
    [statement] = good(run("pid", pages))
    assert statement.published_at == "2024-05-18"


def pid_home_with(link: str) -> dict[str, Page]:
    """The PID fixture site, its home page listing one more link (before the others)."""
    pages = SITES["pid"].urls()
    home = "https://pid.gov.pk/"
    extra = f'<div class="row"><a href="{link}">PR No. 232 Stray</a></div>'.encode()
    pages[home] = Page(
        pages[home].body.replace(
            b'<div class="press-releases">', b'<div class="press-releases">' + extra
        )
    )
    return pages


def walked(docs: list[Document]) -> list[str]:
    return [d.url.rsplit("/", 1)[1] for d in docs[1:]]


def test_pid_skips_a_link_whose_id_is_too_long_to_be_one() -> None:
    """int() of 5,000 digits raises ValueError: the whole home page used to be lost."""
    docs = run("pid", pid_home_with("/site/press_detail/" + "7" * 5_000))
    assert walked(docs) == ["32377", "32376", "32375", "32374", "32373"]
    assert docs[0].links == 3 and len(good(docs)) == 1


def test_pid_an_outlying_id_is_fetched_once_not_walked_down_from() -> None:
    """A link to 99999999 used to make the walk ask 99999999 ... 99999995 and none of the
    real ids; now the walk starts from the id the other links bear out."""
    docs = run("pid", pid_home_with("/site/press_detail/99999999"))
    assert walked(docs) == ["99999999", "32377", "32376", "32375", "32374"]
    assert docs[1].http_status == 404 and docs[1].not_modified and not docs[1].failed
    [statement] = good(docs)
    assert statement.doc_key == "pid:32377" and statement.published_at == "2024-05-18"


def test_pseb_reads_both_list_pages() -> None:
    docs = run("pseb")
    assert "https://pseb.org.pk/news/delegation-riyadh" in [d.url for d in docs]
    [statement] = good(docs)
    assert statement.published_at == "2024-04-18"
    assert statement.doc_key == "pseb:/news/it-exports-march-2024"


def test_press_filters_items_and_reads_the_article() -> None:
    docs = run("press")
    assert len(docs) == 2  # the feed and one article; rice and stocks were never fetched
    [article] = good(docs)
    assert article.doc_key == "press:brecorder-40303030"
    assert article.published_at == "2024-05-17"
    assert "Related:" not in (article.text or "")


def test_press_without_follow_uses_the_feed_text() -> None:
    pages = SITES["press"].urls()
    feed = pages["https://www.brecorder.com/feeds/business"]
    feed.body = feed.body.replace(
        b"rose 24 percent year-on-year in April.",
        b"rose 24 percent year-on-year to $310 million in April 2024.",
    )
    [doc] = good(run("press", pages, follow=False))
    assert doc.url.endswith("it-exports-up-24pc-to-310m-in-april")
    assert [(o.period, o.value) for o in doc.observations] == [("2024-04", 310.0)]


def test_press_article_on_another_site_is_skipped_quietly() -> None:
    """An off-site link on a list page is not followed and fails nothing (issue 13)."""
    pages = SITES["press"].urls()
    feed = pages["https://www.brecorder.com/feeds/business"]
    feed.body = feed.body.replace(
        b"https://www.brecorder.com/news/40303030", b"https://evil.example.org/news/40303030"
    )
    docs = run("press", pages)
    assert errors(docs) == []
    assert all("evil.example.org" not in doc.url for doc in docs)


def test_headline_pdf_falls_back_to_the_archive_copy() -> None:
    site = SITES["sbp_headline"]
    primary = site.base + site.start
    archive = "https://archive.sbp.org.pk/ecodata/ExportsImports-Goods.pdf"
    pdf = site.urls()[primary]
    docs = run("sbp_headline", {primary: Page(HOME_PAGE, HTML), archive: pdf}, fallback_url=archive)
    assert [(d.url, d.error_class) for d in docs] == [(primary, "parse"), (archive, None)]
    assert good(docs)[0].latest_period == "2024-04"
    # the default URLs carry the fallback already; a 404 falls back too
    spider = loader().load("sbp_headline")()
    assert spider.urls == SOURCES["sbp_headline"].urls
    docs = crawl(spider, {archive: pdf})
    assert [(d.url, d.error_class) for d in docs] == [(primary, "4xx"), (archive, None)]


def test_headline_pdf_rows_name_their_location() -> None:
    [doc] = run("sbp_headline")
    april = [o for o in doc.observations if o.series == "9" and o.period == "2024-04"]
    assert [(o.value, o.location.split(", column")[1]) for o in april] == [(310.0, ' "Apr FY24"')]


def test_scrapy_crawl_arguments_are_strings_and_are_coerced() -> None:
    spider = loader().load("press")(
        feeds="https://a.pk/feed,https://b.pk/rss", depth="5", follow="false"
    )
    assert spider.options == {
        "feeds": ["https://a.pk/feed", "https://b.pk/rss"],
        "depth": 5,
        "follow": False,
    }
    assert sorted(origin.host for origin in spider.allowed_origins) == ["a.pk", "b.pk"]


def test_workbook_spider_reads_a_shared_workbook_once_for_every_watch() -> None:
    site = SITES[WORKBOOK_SPIDER]
    spider = loader().load(WORKBOOK_SPIDER)(**site.kwargs())
    requested: list[str] = []
    pages = site.urls()

    class Counting(dict):
        def get(self, url: str, default: object = None) -> object:
            requested.append(url)
            return super().get(url, default)

    docs = crawl(spider, Counting(pages))
    assert sorted(requested) == sorted(pages)  # two watches share the BPM6 file: one request
    assert sorted(d.source for d in docs) == ["current_account", "goods_exports", "remittances"]
    by_source = {d.source: d for d in docs}
    assert by_source["current_account"].body is by_source["remittances"].body
    assert by_source["current_account"].latest_period == "2024-04"
    assert {o.series for o in by_source["remittances"].observations} == {"remittances"}


def test_workbook_spider_fails_one_watch_not_its_neighbours() -> None:
    site = SITES[WORKBOOK_SPIDER]
    options = site.kwargs()
    options["watches"][0] = {**options["watches"][0], "series": "Current Acount Balance"}
    docs = run(WORKBOOK_SPIDER, None, **options)
    assert [(d.source, d.error_class) for d in errors(docs)] == [("current_account", "layout")]
    assert "close labels: 'Current Account Balance'" in (errors(docs)[0].error or "")
    assert sorted(d.source for d in good(docs)) == ["goods_exports", "remittances"]
    # a fetch that fails fails every watch of that URL
    pages = site.urls()
    del pages[site.base + "/ecodata/Balancepayment_BPM6.xls"]
    docs = run(WORKBOOK_SPIDER, pages)
    assert sorted((d.source, d.error_class) for d in errors(docs)) == [
        ("current_account", "4xx"),
        ("remittances", "4xx"),
    ]
    assert [d.source for d in good(docs)] == ["goods_exports"]
