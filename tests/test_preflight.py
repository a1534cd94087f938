"""The pre-flight request: a no-change run without Scrapy, under the crawl's politeness rules.

Every test runs the real CLI against the loopback server: a first run stores the workbook
with its ETag (Scrapy's path); the run under test starts with the pre-flight.
"""

from __future__ import annotations

import itertools
import re
import socket
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import HTTP_TIMEOUT, Cli, Loopback, Route, write_config
from sbp_workbook import build_dt, published_ict

from itx_scraper import DEFAULT_USER_AGENT
from itx_scraper.core.periods import Month

PATH = "/ecodata/dt.xls"
ROBOTS_OK = b"User-agent: *\nDisallow: /private/\n"
FETCH_COLUMNS = "run_id, url, status, http_status, bytes, error_class, release_id"


def fetches(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM fetches ORDER BY id")]


def configure(tmp_path: Path, loopback: Loopback, **http: object) -> Path:
    """Only sbp_ebops, at the loopback server; ``http`` replaces [http] keys."""
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[history]\nbaseline = false\n'
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n',
    )
    text = (tmp_path / "itx.toml").read_text()
    for key, value in http.items():  # write_config wrote delay, timeout and retries
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        if f"{key} = {value}" not in text:
            text = text.replace("[http]\n", f"[http]\n{key} = {value}\n", 1)
    (tmp_path / "itx.toml").write_text(text)
    return tmp_path / "itx.db"


@pytest.fixture
def workbook() -> bytes:
    return build_dt(Month(2024, 4), published_ict())


def first_run(loopback: Loopback, cli: Cli, workbook: bytes) -> None:
    loopback.serve("/robots.txt", ROBOTS_OK, headers={"Content-Type": "text/plain"})
    loopback.serve(PATH, workbook, etag='"v1"')
    result = cli("run")
    assert result.returncode == 0, result.stderr
    loopback.requests.clear()


def test_no_change_is_one_conditional_request_recorded_like_the_crawl(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback)
    first_run(loopback, cli, workbook)

    result = cli("run", "--json")
    assert result.returncode == 0, result.stderr
    # robots.txt is kept from the first run: one request, conditional, with our headers.
    assert [r.path for r in loopback.requests] == [PATH]
    headers = loopback.requests[0].headers
    assert headers["If-None-Match"] == '"v1"'
    assert headers["User-Agent"] == DEFAULT_USER_AGENT
    assert headers["Accept-Language"] == "en" and "gzip" in headers["Accept-Encoding"]
    preflight_row = fetches(db)[-1]

    # The same 304 through Scrapy: a robots.txt answering 503 (not kept) leaves the
    # source to the crawl, which fetches robots.txt itself and asks the same question.
    loopback.serve("/robots.txt", b"busy", status=503, headers={"Content-Type": "text/plain"})
    tomorrow = (datetime.now(UTC) + timedelta(days=1, minutes=5)).isoformat()
    loopback.requests.clear()
    assert cli("run", env={"ITX_NOW": tomorrow}).returncode == 0
    paths = [r.path for r in loopback.requests]
    assert paths == ["/robots.txt", "/robots.txt", PATH]  # the pre-flight's, then Scrapy's
    crawl_row = fetches(db)[-1]

    def shape(row: dict) -> dict:
        return {key: row[key] for key in FETCH_COLUMNS.split(", ") if key != "run_id"}

    assert shape(preflight_row) == shape(crawl_row)
    assert (preflight_row["status"], preflight_row["http_status"]) == ("not_modified", 304)
    assert preflight_row["bytes"] == 0 and preflight_row["error_class"] is None
    assert preflight_row["run_id"] is not None and preflight_row["started_at"]
    assert preflight_row["duration_ms"] is not None and preflight_row["finished_at"]


def test_a_changed_file_is_downloaded_once(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback)
    first_run(loopback, cli, workbook)
    loopback.serve(PATH, build_dt(Month(2024, 5), published_ict()), etag='"v2"')
    result = cli("run")
    assert result.returncode == 0, result.stderr
    # The pre-flight's 200 is the crawl's answer: the file is not fetched a second time.
    assert [r.path for r in loopback.requests] == [PATH]
    last = fetches(db)[-1]
    assert (last["status"], last["http_status"]) == ("ok", 200)
    with sqlite3.connect(db) as conn:
        etags = [row[0] for row in conn.execute("SELECT etag FROM releases ORDER BY id")]
    assert etags == ['"v1"', '"v2"']


def test_retry_after_is_honoured_across_the_hand_over(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback, retries=2)
    first_run(loopback, cli, workbook)
    loopback.script(
        PATH,
        [
            Route(b"slow down", 429, {"Retry-After": "1", "Content-Type": "text/plain"}),
            Route(workbook, etag='"v1"'),
        ],
    )
    result = cli("run")
    assert result.returncode == 0, result.stderr
    hits = loopback.requests_to(PATH)
    assert len(hits) == 2
    assert loopback.pause_before(hits[1]) >= 0.9  # Retry-After: 1, waited by the crawl
    assert hits[1].headers["If-None-Match"] == '"v1"'
    last = fetches(db)[-1]
    assert (last["status"], last["http_status"]) == ("not_modified", 304)
    assert last["duration_ms"] >= int(1000 * (hits[1].at - hits[0].at))  # the span it covers


def test_size_cap_applies_to_the_pre_flight(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback, max_bytes=len(workbook) + 100)
    first_run(loopback, cli, workbook)
    loopback.serve(PATH, workbook + b"\0" * 5000, etag='"v2"')
    result = cli("run")
    assert result.returncode == 1
    assert len(loopback.requests_to(PATH)) == 1  # refused once, not downloaded again
    last = fetches(db)[-1]
    assert (last["status"], last["error_class"]) == ("error", "size")
    assert "max size" in last["error"]


def test_a_redirect_elsewhere_from_the_pre_flight_is_refused(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback)
    first_run(loopback, cli, workbook)
    elsewhere = f"http://localhost:{loopback.port}/elsewhere.xls"
    loopback.serve(PATH, b"", status=302, headers={"Location": elsewhere})
    loopback.serve("/elsewhere.xls", workbook)
    assert cli("run").returncode == 1
    assert loopback.requests_to("/elsewhere.xls") == []
    last = fetches(db)[-1]
    assert (last["status"], last["error_class"]) == ("error", "offsite")


def test_the_delay_holds_between_the_pre_flight_and_the_crawl(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    configure(tmp_path, loopback, delay=1.0)
    first_run(loopback, cli, workbook)
    # A redirect on the same host: the crawl's request follows the pre-flight's.
    loopback.serve(PATH, b"", status=302, headers={"Location": loopback.url("/moved.xls")})
    loopback.serve("/moved.xls", workbook)
    assert cli("run").returncode == 0
    hits = loopback.requests
    assert [r.path for r in hits] == [PATH, "/moved.xls"]
    assert loopback.pause_before(hits[1]) >= 0.45  # delay 1.0 with jitter 0.5-1.5


def test_robots_txt_refusal_found_by_the_pre_flight(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure(tmp_path, loopback)
    first_run(loopback, cli, workbook)
    loopback.serve(
        "/robots.txt",
        b"User-agent: *\nDisallow: /ecodata/\n",
        headers={"Content-Type": "text/plain"},
    )
    tomorrow = (datetime.now(UTC) + timedelta(days=1, minutes=5)).isoformat()
    result = cli("run", env={"ITX_NOW": tomorrow})
    assert result.returncode == 1
    assert [r.path for r in loopback.requests] == ["/robots.txt"]  # once, then kept
    last = fetches(db)[-1]
    assert (last["status"], last["error_class"]) == ("error", "robots")


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that answers its first request with the workbook and then goes silent."""
    workbook = build_dt(Month(2024, 4), published_ict())
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.2)
        answered = False
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            request = conn.recv(65536)
            if request.startswith(b"GET /robots.txt"):
                conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                conn.close()
            elif not answered:
                answered = True
                head = f'HTTP/1.0 200 OK\r\nETag: "v1"\r\nContent-Length: {len(workbook)}\r\n\r\n'
                conn.sendall(head.encode() + workbook)
                conn.close()
            else:
                held.append(conn)  # never answered

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}{PATH}", held
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


def test_a_silent_server_times_out_once(
    tmp_path: Path, cli: Cli, silent_server: tuple[str, list[socket.socket]]
) -> None:
    url, unanswered = silent_server
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[history]\nbaseline = false\n'
        f'[sources.sbp_ebops]\nurl = "{url}"\n',
    )
    text = (tmp_path / "itx.toml").read_text().replace(f"timeout = {HTTP_TIMEOUT}", "timeout = 1.0")
    (tmp_path / "itx.toml").write_text(text)
    assert cli("run").returncode == 0
    result = cli("run")
    assert result.returncode == 1
    last = fetches(tmp_path / "itx.db")[-1]
    # The pre-flight's timeout is the crawl's first (and, with retries = 0, only) attempt.
    assert (last["status"], last["error_class"]) == ("error", "timeout")
    assert len(unanswered) == 1  # not asked a second time by the crawl
    assert "took longer than 1 seconds" in last["error"] and last["duration_ms"] is not None


def test_a_signal_while_the_watchdog_starts_leaves_no_timer_behind(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM that lands inside ``Timer.start()`` (it waits for the thread to run) used to
    skip ``cancel()``: a non-daemon timer then held the process until the timeout (up to an
    hour) before it could exit."""
    from types import SimpleNamespace

    from itx_scraper import preflight
    from itx_scraper.core.interrupt import Interrupted

    started: list[threading.Timer] = []

    class SignalWhileStarting(threading.Timer):
        def start(self) -> None:
            started.append(self)
            super().start()
            raise Interrupted(15)  # the signal handler raised inside start()

    monkeypatch.setattr(preflight, "threading", SimpleNamespace(Timer=SignalWhileStarting))
    policy = preflight.Policy(DEFAULT_USER_AGENT, delay=0.0, timeout=3600.0, max_bytes=1000)
    try:
        with pytest.raises(Interrupted):
            preflight._download(loopback.url(PATH), policy, {}, preflight.Outcome())
        [watchdog] = started
        assert watchdog.finished.is_set()  # cancelled: it will never fire
        assert watchdog.daemon  # and it could not hold the process's exit anyway
    finally:
        for timer in started:
            timer.cancel()
    assert loopback.requests == []  # the signal came before the request


# A configured URL that Scrapy normalises: request.url asks for /ecodata/d%7Ct.xls, while
# releases and the pre-flight's answer are kept under the URL as configured.
PIPE_PATH = "/ecodata/d|t.xls"


def serve_pipe(loopback: Loopback, body: bytes, etag: str) -> None:
    for path in (PIPE_PATH, PIPE_PATH.replace("|", "%7C")):  # one file, as a server sees it
        loopback.serve(path, body, etag=etag)


def configure_pipe(tmp_path: Path, loopback: Loopback) -> Path:
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[history]\nbaseline = false\n'
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PIPE_PATH)}"\n',
    )
    loopback.serve("/robots.txt", ROBOTS_OK, headers={"Content-Type": "text/plain"})
    return tmp_path / "itx.db"


def test_the_pre_flight_answer_is_found_for_a_url_scrapy_normalises(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    configure_pipe(tmp_path, loopback)
    serve_pipe(loopback, workbook, '"v1"')
    assert cli("run").returncode == 0
    serve_pipe(loopback, build_dt(Month(2024, 5), published_ict()), '"v2"')
    loopback.requests.clear()
    result = cli("run")
    assert result.returncode == 0, result.stderr
    # The pre-flight's 200 is replayed into the crawl: the file is not downloaded again. The
    # config keeps the URL as Scrapy requests it, so the pre-flight asks for that form too.
    assert [r.path for r in loopback.requests] == [PIPE_PATH.replace("|", "%7C")]


def test_validators_are_found_for_a_url_scrapy_normalises(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    db = configure_pipe(tmp_path, loopback)
    serve_pipe(loopback, workbook, '"v1"')
    assert cli("run").returncode == 0
    # robots.txt answering 503 leaves the file to the crawl, whose request Scrapy normalised.
    loopback.serve("/robots.txt", b"busy", status=503, headers={"Content-Type": "text/plain"})
    tomorrow = (datetime.now(UTC) + timedelta(days=1, minutes=5)).isoformat()
    loopback.requests.clear()
    assert cli("run", env={"ITX_NOW": tomorrow}).returncode == 0
    [crawl] = loopback.requests_to(PIPE_PATH.replace("|", "%7C"))
    assert crawl.headers.get("If-None-Match") == '"v1"'
    last = fetches(db)[-1]
    assert (last["url"], last["status"], last["http_status"]) == (
        loopback.url(PIPE_PATH).replace("|", "%7C"),
        "not_modified",
        304,
    )


def test_the_delay_after_the_pre_flight_holds_for_every_request_to_the_host(
    tmp_path: Path, loopback: Loopback, cli: Cli, workbook: bytes
) -> None:
    """The crawl used to drop the pre-flight's deadline at its first request to the host: a
    second request, queued at the same time, went straight out (0.07 s after, delay 3)."""
    configure(tmp_path, loopback)
    first_run(loopback, cli, workbook)
    # Two new watches on the same host: no validators yet, so the crawl asks both.
    for path in ("/ecodata/b.xls", "/ecodata/c.xls"):
        loopback.serve(path, workbook)
    write_config(
        tmp_path / "itx.toml",
        f'[history]\nbaseline = false\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        f'[watches.b]\nurl = "{loopback.url("/ecodata/b.xls")}"\nseries = "Exports"\n'
        f'[watches.c]\nurl = "{loopback.url("/ecodata/c.xls")}"\nseries = "Exports"\n',
    )
    text = (tmp_path / "itx.toml").read_text().replace("delay = 0.0", "delay = 2.0", 1)
    (tmp_path / "itx.toml").write_text(text)
    cli("run")  # the watches name no real series; only when the requests came matters
    seen = loopback.requests
    assert [r.path for r in seen[:1]] == [PATH]  # the pre-flight's (a 304), then the crawl's
    assert sorted(r.path for r in seen[1:]) == ["/ecodata/b.xls", "/ecodata/c.xls"]
    assert all(a.done is not None and b.at >= a.done for a, b in itertools.pairwise(seen))
    # Delay 2.0 with jitter: at least 1.0 s from the pre-flight's request to the next one.
    assert loopback.pause_before(seen[1]) >= 0.7, [(r.path, r.at, r.done) for r in seen]
