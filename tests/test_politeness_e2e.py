"""Politeness end to end: robots.txt, User-Agent, delay, Retry-After, backoff, size cap, hosts."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import HTTP_TIMEOUT, Cli, Loopback, Route
from sbp_workbook import build_dt, published_ict

from itx_scraper import DEFAULT_USER_AGENT
from itx_scraper.core.periods import Month
from itx_scraper.middlewares import backoff_seconds

PATH = "/ecodata/dt.xls"


def last_fetch(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM fetches ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row)


def configure(tmp_path: Path, loopback: Loopback, extra_http: str = "", extra: str = "") -> Path:
    # write_config puts its own [http] first; a later [http] table would be a TOML error,
    # so the test's HTTP keys are written in full here.
    (tmp_path / "itx.toml").write_text(
        f'[run]\nsources = ["sbp_ebops"]\n[http]\ntimeout = {HTTP_TIMEOUT}\n'
        + (extra_http or "delay = 0.0\nretries = 0\n")
        + f'\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n'
        + extra
    )
    return tmp_path / "itx.db"


@pytest.fixture
def workbook() -> bytes:
    return build_dt(Month(2024, 4), published_ict())


def test_robots_txt_disallow_is_a_recorded_error(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(PATH, workbook)
    loopback.serve(
        "/robots.txt",
        b"User-agent: *\nDisallow: /ecodata/\n",
        headers={"Content-Type": "text/plain"},
    )
    result = cli("run")
    assert result.returncode == 1
    assert "robots" in result.stderr
    fetch = last_fetch(db)
    assert (fetch["status"], fetch["error_class"]) == ("error", "robots")
    assert "robots.txt" in fetch["error"]
    assert loopback.requests_to(PATH) == []  # the file itself was never requested

    # robots.txt is kept a day: a run later today refuses again without asking for it.
    loopback.serve(
        "/robots.txt",
        b"User-agent: *\nDisallow: /private/\n",
        headers={"Content-Type": "text/plain"},
    )
    loopback.requests.clear()
    assert cli("run").returncode == 1
    assert last_fetch(db)["error_class"] == "robots"
    assert loopback.requests == []

    # A day later it is fetched again; it now allows us, and the file is fetched.
    tomorrow = (datetime.now(UTC) + timedelta(days=1, minutes=5)).isoformat()
    assert cli("run", env={"ITX_NOW": tomorrow}).returncode == 0
    assert [r.path for r in loopback.requests] == ["/robots.txt", PATH]
    assert last_fetch(db)["status"] == "ok"


def test_user_agent_is_identifying_and_configurable(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    configure(tmp_path, loopback)
    loopback.serve(PATH, workbook)
    assert cli("run").returncode == 0
    agents = {r.headers.get("User-Agent") for r in loopback.requests}
    assert agents == {DEFAULT_USER_AGENT}
    assert "itx-scraper/" in DEFAULT_USER_AGENT and "+http" in DEFAULT_USER_AGENT

    configure(
        tmp_path,
        loopback,
        'delay = 0.0\nretries = 0\nuser_agent = "acme-monitor/1 (ops@acme.test)"\n',
    )
    loopback.requests.clear()
    assert cli("run").returncode == 0
    assert {r.headers.get("User-Agent") for r in loopback.requests} == {
        "acme-monitor/1 (ops@acme.test)"
    }


def test_one_request_at_a_time_with_a_delay(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    # robots.txt and the workbook are two requests to one host: one after the other.
    configure(tmp_path, loopback, "delay = 1.0\nretries = 0\n")
    loopback.serve(PATH, workbook)
    result = cli("run", "-vv")
    assert result.returncode == 0, result.stderr
    robots, document = loopback.requests
    assert [robots.path, document.path] == ["/robots.txt", PATH]
    assert robots.done is not None and document.at >= robots.done  # never two in flight
    # The configured delay is Scrapy's DOWNLOAD_DELAY, which spaces requests to one host
    # (0.5-1.5 x with its jitter; tests/benchmarks/politeness.py measures the gaps).
    assert "'DOWNLOAD_DELAY': 1.0" in result.stderr


def test_retry_after_on_429_is_honoured(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback, "delay = 0.0\nretries = 2\n")
    loopback.script(
        PATH,
        [
            Route(b"slow down", 429, {"Retry-After": "1", "Content-Type": "text/plain"}),
            Route(workbook),
        ],
    )
    result = cli("run")
    assert result.returncode == 0, result.stderr
    hits = loopback.requests_to(PATH)
    assert len(hits) == 2
    # Measured from the 429's end to the retry's arrival: load can only make it longer.
    assert loopback.pause_before(hits[1]) >= 1.0
    fetch = last_fetch(db)
    assert (fetch["status"], fetch["http_status"]) == ("ok", 200)
    # The wait is part of the fetch: its time spans both requests as the server saw them.
    assert fetch["duration_ms"] >= int(1000 * (hits[1].at - hits[0].at))


def test_429_without_retries_left_is_classified(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(
        PATH, b"slow down", status=429, headers={"Retry-After": "1", "Content-Type": "text/plain"}
    )
    assert cli("run").returncode == 1
    fetch = last_fetch(db)
    assert (fetch["error_class"], fetch["http_status"]) == ("429", 429)


def test_5xx_is_retried_with_backoff(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback, "delay = 0.0\nretries = 2\n")
    loopback.script(PATH, [Route(b"oops", 502), Route(b"oops", 503), Route(workbook)])
    result = cli("run")
    assert result.returncode == 0, result.stderr
    hits = loopback.requests_to(PATH)
    assert len(hits) == 3
    # Backoff base max(1, delay) = 1 s, then 2 s, from each answer to the next request.
    assert loopback.pause_before(hits[1]) >= 1.0
    assert loopback.pause_before(hits[2]) >= 2.0
    assert last_fetch(db)["status"] == "ok"


def test_5xx_after_the_last_retry_is_an_error(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(PATH, b"oops", status=500, headers={"Content-Type": "text/plain"})
    assert cli("run").returncode == 1
    assert len(loopback.requests_to(PATH)) == 1  # retries = 0
    fetch = last_fetch(db)
    assert (fetch["error_class"], fetch["http_status"]) == ("5xx", 500)
    assert fetch["duration_ms"] is not None


def test_403_is_classified_as_blocked(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(
        PATH, b"<html>Access denied</html>", status=403, headers={"Content-Type": "text/html"}
    )
    result = cli("run")
    assert result.returncode == 1
    assert "error: sbp_ebops: 403: HTTP 403" in result.stderr
    fetch = last_fetch(db)
    assert (fetch["status"], fetch["error_class"], fetch["http_status"]) == ("error", "403", 403)


def test_download_size_cap(tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes) -> None:
    cap = len(workbook) - 1
    db = configure(tmp_path, loopback, f"delay = 0.0\nretries = 0\nmax_bytes = {cap}\n")
    loopback.serve(PATH, workbook)
    result = cli("run")
    assert result.returncode == 1
    fetch = last_fetch(db)
    assert (fetch["status"], fetch["error_class"]) == ("error", "size")
    assert "max size" in fetch["error"]


def test_redirect_to_another_host_is_refused(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback)
    elsewhere = f"http://localhost:{loopback.port}/elsewhere.xls"
    loopback.serve(PATH, b"", status=302, headers={"Location": elsewhere})
    loopback.serve("/elsewhere.xls", workbook)
    result = cli("run")
    assert result.returncode == 1
    assert loopback.requests_to("/elsewhere.xls") == []
    fetch = last_fetch(db)
    assert (fetch["status"], fetch["error_class"]) == ("error", "offsite")
    assert "localhost" in fetch["error"] and fetch["url"] == loopback.url(PATH)

    # A redirect within the configured host is followed.
    loopback.serve(PATH, b"", status=302, headers={"Location": loopback.url("/elsewhere.xls")})
    assert cli("run").returncode == 0
    assert last_fetch(db)["status"] == "ok"


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n, 2.0, 10.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]


def test_two_sources_on_one_host_take_turns(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    # Each spider has its own downloader: without chaining, both would hit the host at once.
    (tmp_path / "itx.toml").write_text(
        '[run]\nsources = ["sbp_ebops", "sbp_headline"]\n'
        f"[http]\ndelay = 0.6\ntimeout = {HTTP_TIMEOUT}\nretries = 0\n[history]\nbaseline = false\n"
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        f'[sources.sbp_headline]\nurl = "{loopback.url("/assets/goods.pdf")}"\n'
    )
    loopback.serve(PATH, workbook)
    loopback.serve(
        "/assets/goods.pdf", b"%PDF-1.4 not really", headers={"Content-Type": "application/pdf"}
    )
    cli("run")  # the fake PDF fails to parse; only the order of requests matters here
    seen = loopback.requests
    paths = [r.path for r in seen]
    # One robots.txt: the second spider reads the copy the first one kept.
    assert sorted(paths) == sorted(["/robots.txt", PATH, "/assets/goods.pdf"])
    first_done = paths.index(PATH)
    assert paths[: first_done + 1] == ["/robots.txt", PATH]  # sbp_ebops first, entirely
    # Never two at once: each request arrives after the previous answer was written ...
    assert all(a.done is not None and b.at >= a.done for a, b in itertools.pairwise(seen))
    # ... and the second source starts the configured delay after the first one's last answer.
    assert loopback.pause_before(seen[first_done + 1]) >= 0.6


def test_host_groups() -> None:
    from itx_scraper.core import config
    from itx_scraper.ops.runner import host_groups

    cfg = config.load(None, "x.db")
    groups = host_groups(cfg, ["sbp_ebops", "moitt", "sbp_headline", "pid"])
    # sbp_headline falls back to archive.sbp.org.pk, the workbook's host.
    assert ["sbp_ebops", "sbp_headline"] in groups
    assert ["moitt"] in groups and ["pid"] in groups


PSEB_DETAILS = ("/news/it-exports-march-2024", "/news/techdestination-gitex", "/news/page/2")


SLOW_DOWN = Route(b"slow down", 429, {"Retry-After": "2", "Content-Type": "text/plain"})


@pytest.mark.parametrize(
    ("answer", "wait", "delay"),
    [
        (SLOW_DOWN, 2.0, 0.5),
        # Without a delay the next page is taken from the queue as soon as the answer is in.
        (SLOW_DOWN, 2.0, 0.0),
        # No Retry-After: the backoff, max(1 s, delay), holds the host as well.
        (Route(b"busy", 503, {"Content-Type": "text/plain"}), 1.0, 0.5),
    ],
    ids=["retry-after", "retry-after-no-delay", "backoff"],
)
def test_a_pause_asked_by_one_page_holds_every_request_to_the_host(
    tmp_path: Path, loopback: Loopback, cli: Cli, answer: Route, wait: float, delay: float
) -> None:
    """A list page queues its detail pages at once. The wait after a 429 (or a 5xx) used to
    be slept in process_response, after Scrapy had freed the host's slot, so the next page
    of the queue went out inside the wait the server had asked for."""
    from spider_fixtures import SITES

    base = loopback.url("")
    for path, page in SITES["pseb"].pages(base).items():
        loopback.serve(path, page.body, headers={"Content-Type": page.content_type})
    answered: list[str] = []

    def first_page_is_refused(path: str, page: Route) -> object:
        def respond(request: object) -> Route:
            if not answered:  # whichever of them Scrapy asks first
                answered.append(path)
                return answer
            return page

        return respond

    for path in PSEB_DETAILS:
        loopback.routes[path] = first_page_is_refused(path, loopback.routes[path])
    (tmp_path / "itx.toml").write_text(
        f'[run]\nsources = ["pseb"]\n[http]\ndelay = {delay}\ntimeout = {HTTP_TIMEOUT}\n'
        f'retries = 2\n[sources.pseb]\nurl = "{base}/news"\n[history]\nbaseline = false\n'
    )
    result = cli("run")
    assert result.returncode == 0, result.stderr
    seen = loopback.requests
    refused = next(r for r in seen if r.path == answered[0])
    after = seen[seen.index(refused) + 1 :]
    assert {r.path for r in after} >= set(PSEB_DETAILS) - {refused.path}  # all still asked
    assert all(a.done is not None and b.at >= a.done for a, b in itertools.pairwise(seen)), [
        (r.path, r.at, r.done) for r in seen
    ]
    # From the end of the refusal to the next request, whichever page it is for: the server
    # saw at least the pause it asked for (load can only lengthen it).
    assert loopback.pause_before(after[0]) >= wait, [(r.path, r.at) for r in seen]
    assert [r.path for r in after].count(refused.path) == 1  # retried once, after the wait
