"""Layout-drift monitors (issue 15): an empty list page, an empty article body and undated
pages are `layout` errors, and a site whose markup changed reaches the operator as one alert."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import Cli, Loopback, migrated_store, write_config
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from spider_fixtures import SITES
from spider_harness import HTML, Page, crawl, errors, good
from test_statements_e2e import serve, source_toml

from itx_scraper.items import Document
from itx_scraper.ops.runner import spider_arguments

PID_HOME = "https://pid.gov.pk/"
PID_TITLE = "Press Information Department press releases"
# The home page after a redesign: the same releases, linked in a way the spider does not know.
REDESIGNED = (b'href="/site/press_detail/', b'href="/press-releases/view?id=')


def run_pid(pages: dict[str, Page] | None = None, **kwargs: object) -> list[Document]:
    settings = Settings()
    settings.setmodule("itx_scraper.settings", priority="project")
    spider_class = SpiderLoader.from_settings(settings).load("pid")
    spider = spider_class(**{**SITES["pid"].kwargs(), **kwargs})
    return crawl(spider, SITES["pid"].urls() if pages is None else pages)


def redesigned_home() -> dict[str, Page]:
    pages = SITES["pid"].urls()
    pages[PID_HOME] = Page(pages[PID_HOME].body.replace(*REDESIGNED))
    return pages


# -- empty list ----------------------------------------------------------------------------------


def test_a_list_page_records_how_many_links_it_gave() -> None:
    home = run_pid()[0]
    assert home.url == PID_HOME and home.links == 3 and home.not_modified and not home.failed
    assert all(doc.links is None for doc in run_pid()[1:])  # detail pages are not lists


@pytest.mark.parametrize(
    ("last_links", "ending"),
    [
        ({PID_HOME: 37}, " (last good crawl: 37)"),
        ({"https://pid.gov.pk/other": 5}, " (no earlier crawl gave any)"),
        (None, ""),  # `scrapy crawl` and offline runs pass no history
    ],
)
def test_a_list_page_without_links_is_a_layout_error(
    last_links: dict[str, int] | None, ending: str
) -> None:
    [home] = run_pid(redesigned_home(), last_links=last_links)
    assert (home.error_class, home.error, home.links) == (
        "layout",
        f"list page {PID_HOME} gave 0 press-release links{ending}",
        0,
    )


def test_the_last_good_count_per_list_comes_from_the_fetch_log(tmp_path: Path) -> None:
    store = migrated_store(tmp_path / "itx.db")
    fetch = {"source": "pid", "started_at": "2024-05-01T00:00:00+00:00"}
    store.add_fetch(**fetch, url=PID_HOME, status="not_modified", links=30)
    store.add_fetch(**fetch, url=PID_HOME, status="not_modified", links=37)
    store.add_fetch(**fetch, url=PID_HOME, status="error", error_class="layout", links=0)
    store.add_fetch(**fetch, url=PID_HOME + "site/press_detail/1", status="ok")
    moitt = {**fetch, "source": "moitt", "url": "https://moitt.gov.pk/News"}
    store.add_fetch(**moitt, status="not_modified", links=9)
    assert store.last_list_links("pid") == {PID_HOME: 37}
    arguments = spider_arguments(store, ["pid", "sbp_ebops", "moitt"])
    assert arguments == {
        "pid": {"last_links": {PID_HOME: 37}},
        "moitt": {"last_links": {"https://moitt.gov.pk/News": 9}},
    }  # file sources (sbp_ebops) get nothing
    store.close()


# -- empty body ----------------------------------------------------------------------------------


def emptied(body: bytes, container: bytes) -> bytes:
    """The page with its article container kept and everything inside it removed."""
    start = body.index(container) + len(container)
    end = body.index(b"</div>\n</div>", start)
    return body[:start] + body[end:]


def test_an_empty_body_is_a_layout_error() -> None:
    pages = SITES["pid"].urls()
    url = PID_HOME + "site/press_detail/32377"
    pages[url] = Page(emptied(pages[url].body, b'<div class="press-content">'))
    [failed] = errors(run_pid(pages))
    assert failed.url == url and failed.error_class == "layout"
    assert failed.error.startswith(
        "empty article body: the selectors (.press-detail .press-content, .press-detail"
        " .content) found no text and trafilatura "
    )
    assert failed.error.endswith(" characters, fewer than 200")


def test_a_nearly_empty_body_is_a_layout_error_too() -> None:
    pages = SITES["pid"].urls()
    url = PID_HOME + "site/press_detail/32377"
    body = emptied(pages[url].body, b'<div class="press-content">')
    short = b"<p>Islamabad: IT exports of Pakistan rose in April 2024, the minister said.</p>"
    marker = b'<div class="press-content">'
    pages[url] = Page(body.replace(marker, marker + short))
    [failed] = errors(run_pid(pages))
    assert (failed.url, failed.error_class, failed.error) == (
        url,
        "layout",
        (
            "empty article body: 72 characters, fewer than 200 (selectors .press-detail"
            " .press-content, .press-detail .content)"
        ),
    )


def test_a_moved_body_is_read_by_trafilatura() -> None:
    pages = SITES["pid"].urls()
    url = PID_HOME + "site/press_detail/32377"
    pages[url] = Page(pages[url].body.replace(b'class="press-content"', b'class="pr-body"'))
    docs = run_pid(pages)
    assert errors(docs) == []
    [statement] = good(docs)
    assert [(o.period, o.value) for o in statement.observations] == [
        ("2024-04", 310.0),
        ("2023-07/2024-04", 2593.0),
    ]


# -- undated pages -------------------------------------------------------------------------------


def undated(pages: dict[str, Page], *ids: int) -> dict[str, Page]:
    for number in ids:
        url = f"{PID_HOME}site/press_detail/{number}"
        body = pages[url].body
        start = body.index(b'<div class="date">')
        pages[url] = Page(body[:start] + body[body.index(b"</div>", start) + 6 :])
    return pages


def test_three_undated_pages_in_a_row_are_a_layout_error() -> None:
    # 32377 and 32376 borrow the home page's date; 32375 is not listed and has none at all.
    docs = run_pid(undated(SITES["pid"].urls(), 32377, 32376, 32375))
    [statement] = good(docs)
    assert statement.published_at == "2024-05-18"  # the list's date stands in for one page
    [failed] = errors(docs)
    assert failed.url.endswith("/32375") and failed.error_class == "layout"
    assert failed.error == (
        "no publication date on 3 consecutive pages (https://pid.gov.pk/site/press_detail/32377,"
        " https://pid.gov.pk/site/press_detail/32376, https://pid.gov.pk/site/press_detail/32375)"
        ": the date selectors (.press-detail .date, .press-detail time[datetime]) match nothing"
    )


def test_a_dated_page_ends_the_streak() -> None:
    docs = run_pid(undated(SITES["pid"].urls(), 32377, 32376, 32374))
    assert errors(docs) == [] and len(good(docs)) == 1


def test_one_page_without_any_date_is_still_its_own_error() -> None:
    [failed] = errors(run_pid(undated(SITES["pid"].urls(), 32375)))
    assert failed.error_class == "layout" and failed.error.startswith("no publication date found")


# -- end to end: a changed government site is one ops alert ------------------------------------


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def pid_site(tmp_path: Path, loopback: Loopback) -> Path:
    base = loopback.url("")
    serve(loopback, SITES["pid"].pages(base))
    write_config(
        tmp_path / "itx.toml",
        source_toml("pid", base) + f'[notify]\nurls = ["{loopback.hook("/hook")}"]\n',
    )
    return tmp_path / "itx.db"


def run_on(cli: Cli, day: int, code: int) -> None:
    result = cli("run", env={"ITX_NOW": f"2024-06-{day:02d}T09:00:00"})
    assert result.returncode == code, result.stdout + result.stderr


def ops_posts(loopback: Loopback) -> list[dict[str, str]]:
    return [post for post in loopback.posts.get("/hook", []) if post["title"].startswith(PID_TITLE)]


def test_a_redesigned_list_page_raises_one_source_error(
    pid_site: Path, loopback: Loopback, cli: Cli
) -> None:
    run_on(cli, 1, 0)  # a good crawl: the home page gave 3 links
    assert rows(pid_site, "SELECT links FROM fetches WHERE url = ?", loopback.url("/")) == [(3,)]
    home = SITES["pid"].pages(loopback.url(""))["/"].body.replace(*REDESIGNED)
    loopback.serve("/", home, headers={"Content-Type": HTML})
    message = f"list page {loopback.url('/')} gave 0 press-release links (last good crawl: 3)"
    run_on(cli, 2, 1)
    run_on(cli, 3, 1)
    assert ops_posts(loopback) == []
    run_on(cli, 4, 1)  # health.failures = 3
    [post] = ops_posts(loopback)
    assert (
        post["title"]
        == "Press Information Department press releases (walks the sequential ids) is failing"
    )
    assert "failed 3 times in a row" in post["message"] and message in post["message"]
    run_on(cli, 5, 1)  # still broken: no second alert before the reminder is due
    assert len(ops_posts(loopback)) == 1
    assert (
        rows(pid_site, "SELECT error_class, error, links FROM fetches WHERE status = 'error'")
        == [("layout", message, 0)] * 4
    )


def test_an_empty_article_body_raises_one_source_error(
    pid_site: Path, loopback: Loopback, cli: Cli
) -> None:
    page = SITES["pid"].pages(loopback.url(""))["/site/press_detail/32377"].body
    loopback.serve(
        "/site/press_detail/32377",
        emptied(page, b'<div class="press-content">'),
        headers={"Content-Type": HTML},
    )
    for day in (1, 2):
        run_on(cli, day, 1)
    assert ops_posts(loopback) == []
    run_on(cli, 3, 1)
    [post] = ops_posts(loopback)
    assert "failed 3 times in a row" in post["message"]
    assert "empty article body: the selectors (.press-detail .press-content" in post["message"]
    assert loopback.url("/site/press_detail/32377") in post["message"]
    run_on(cli, 4, 1)
    assert len(ops_posts(loopback)) == 1
