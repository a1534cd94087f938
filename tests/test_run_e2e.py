"""End to end: the real CLI in a subprocess, a loopback server, a real SQLite file."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANG_GUARD, REPO, Cli, Loopback, write_config
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

PATH = "/ecodata/dt.xls"


def db_rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def monthly(db: Path) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in db_rows(db, "SELECT period, usd_million, status, source FROM ict_monthly")
    }


@pytest.fixture
def setup(tmp_path: Path, loopback: Loopback) -> Path:
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n',
    )
    return tmp_path / "itx.db"


def test_real_releases_end_to_end(
    setup: Path, loopback: Loopback, cli: Cli, sbp_files: Path
) -> None:
    loopback.serve(PATH, (sbp_files / "dt-2026-02.xls").read_bytes(), etag='"feb"')
    first = cli("run")
    assert first.returncode == 0, first.stderr
    assert "sbp_ebops: new release" in first.stdout
    rows = monthly(setup)
    assert rows["2026-02"][0] == pytest.approx(363.81, abs=0.005)
    assert rows["2026-02"][1:] == ("P", "sbp_ebops")
    assert rows["2026-01"][1:] == ("R", "sbp_ebops")
    assert rows["2019-07"][2] == "baseline"  # history from day one

    loopback.serve(PATH, (sbp_files / "dt-2026-03.xls").read_bytes(), etag='"mar"')
    second = cli("run")
    assert second.returncode == 0, second.stderr
    rows = monthly(setup)
    assert rows["2026-03"][0] == pytest.approx(413.62, abs=0.005)
    assert rows["2026-03"][1:] == ("P", "sbp_ebops")
    assert rows["2026-02"][1:] == ("R", "sbp_ebops")  # P -> R, value unchanged
    # Services Feb-26 was revised; both vintages are kept, nothing overwritten.
    services = db_rows(
        setup,
        """SELECT round(usd_million, 2), status, cell FROM observations
           WHERE series = 'services' AND flow = 'credit' AND period = '2026-02' ORDER BY id""",
    )
    assert services == [(812.25, "P", "I9"), (800.21, "R", "F9")]
    # Provenance: the exact sheet and cell of the headline figure.
    assert db_rows(
        setup,
        """SELECT o.sheet, o.cell, o.row, o.col, r.source FROM observations o
           JOIN releases r ON r.id = o.release_id
           WHERE series = '9' AND flow = 'credit' AND period = '2026-03'
           AND r.source = 'sbp_ebops'""",
    ) == [("EBOPS ", "I59", 59, 9, "sbp_ebops")]
    fytd = db_rows(
        setup,
        """SELECT round(usd_million, 2) FROM observations WHERE series = '9' AND flow = 'credit'
           AND period = '2025-07/2026-03'""",
    )
    assert fytd == [(3387.92,)]

    # The same release again: answered 304, no new release.
    releases = db_rows(setup, "SELECT count(*) FROM releases")[0][0]
    third = cli("run")
    assert third.returncode == 0, third.stderr
    assert "not modified" in third.stdout
    assert db_rows(setup, "SELECT count(*) FROM releases")[0][0] == releases
    assert loopback.requests_to(PATH)[-1].headers.get("If-None-Match") == '"mar"'
    assert db_rows(setup, "SELECT status, http_status FROM fetches ORDER BY id DESC LIMIT 1") == [
        ("not_modified", 304)
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_fixture_workbooks_and_a_later_revision(
    setup: Path, loopback: Loopback, cli: Cli, fmt: str
) -> None:
    ict = published_ict()
    loopback.serve(PATH, build_dt(Month(2024, 4), ict, fmt=fmt))
    assert cli("run").returncode == 0
    assert monthly(setup)["2024-04"] == (310.0, "P", "sbp_ebops")

    revised = {**ict, Month(2024, 4): 312.5}
    loopback.serve(PATH, build_dt(Month(2024, 5), revised, fmt=fmt))
    result = cli("run")
    assert result.returncode == 0, result.stderr
    rows = monthly(setup)
    assert rows["2024-04"] == (312.5, "R", "sbp_ebops")
    assert rows["2024-05"] == (332.0, "P", "sbp_ebops")
    vintages = db_rows(
        setup,
        """SELECT usd_million, status FROM observations o JOIN releases r ON r.id = o.release_id
           WHERE r.source = 'sbp_ebops' AND series = '9' AND flow = 'credit'
           AND period = '2024-04' ORDER BY o.id""",
    )
    assert vintages == [(310.0, "P"), (312.5, "R")]


@pytest.mark.parametrize(
    ("spelled", "path"),
    [
        ("HTTP://{host}/ecodata/dt.xls", "/ecodata/dt.xls"),
        ("http://{host}/ecodata/d t.xls", "/ecodata/d%20t.xls"),
        ("http://{host}/ecodata/d\u00e4t.xls", "/ecodata/d%C3%A4t.xls"),
    ],
    ids=["upper-case-scheme", "space", "non-ascii"],
)
def test_a_url_written_unlike_scrapy_requests_it_is_still_fetched_conditionally(
    tmp_path: Path, loopback: Loopback, cli: Cli, spelled: str, path: str
) -> None:
    """Scrapy requests a URL in its canonical form (scheme in lower case, spaces and non-ASCII
    percent-encoded). Releases and validators were keyed by the URL as written, so a changed
    file was downloaded twice (``HTTP://``), no request was ever conditional (a space), or
    every run after the first ended in a traceback (non-ASCII, in the pre-flight)."""
    url = spelled.format(host=f"{loopback.host}:{loopback.port}")
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{url}"\n',
    )
    ict = published_ict()
    for month, etag in (
        (Month(2024, 4), '"apr"'),
        (Month(2024, 4), '"apr"'),
        (Month(2024, 5), '"may"'),
    ):
        loopback.serve(path, build_dt(month, ict), etag=etag)
        result = cli("run")
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    # One request a run: the second carries the validator and gets a 304; the third the new file.
    asked = [(r.headers.get("If-None-Match"), r.body_sent > 0) for r in loopback.requests_to(path)]
    assert asked == [(None, True), ('"apr"', False), ('"apr"', True)]
    assert monthly(tmp_path / "itx.db")["2024-05"] == (332.0, "P", "sbp_ebops")
    canonical = loopback.url(path)
    assert db_rows(
        tmp_path / "itx.db", "SELECT DISTINCT url FROM releases WHERE source = 'sbp_ebops'"
    ) == [(canonical,)]


def _truncated(body: bytes) -> bytes:
    return body[: len(body) // 3]


def _random_bytes(_: bytes) -> bytes:
    return random.Random(7).randbytes(20_000)


def _html(_: bytes) -> bytes:
    return b"<!DOCTYPE html><html><head><title>State Bank of Pakistan</title></head></html>"


def _no_ict_row(_: bytes) -> bytes:
    import openpyxl

    from itx_scraper.core.periods import Month as M

    book = openpyxl.load_workbook(__import__("io").BytesIO(build_dt(M(2024, 4), published_ict())))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("9.") and "Tele" in cell.value:
                cell.value = "Something else entirely"
    out = __import__("io").BytesIO()
    book.save(out)
    return out.getvalue()


def _unreadable_headers(_: bytes) -> bytes:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(build_dt(Month(2024, 4), published_ict())))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and ("FY" in cell.value or "-2" in cell.value):
                cell.value = "Period ?"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make_bad", "expected"),
    [
        pytest.param(lambda _: b"", "empty", id="empty"),
        pytest.param(_truncated, "truncated", id="truncated"),
        pytest.param(_random_bytes, "", id="random-bytes"),
        pytest.param(_html, "HTML", id="html-home-page"),
        pytest.param(_no_ict_row, "9.", id="no-ict-row"),
        pytest.param(_unreadable_headers, "header", id="unreadable-headers"),
    ],
)
def test_bad_input_is_a_clear_failure_and_loses_nothing(
    setup: Path, loopback: Loopback, cli: Cli, make_bad, expected: str
) -> None:
    good = build_dt(Month(2024, 4), published_ict())
    loopback.serve(PATH, good)
    assert cli("run").returncode == 0
    before = db_rows(setup, "SELECT * FROM observations ORDER BY id")

    bad = make_bad(good)
    loopback.serve(PATH, bad, headers={"Content-Type": "text/html"} if b"<html" in bad else None)
    result = cli("run")
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert "sbp_ebops" in error_lines[0] and loopback.url(PATH) in error_lines[0]
    assert expected.lower() in error_lines[0].lower()
    assert db_rows(setup, "SELECT * FROM observations ORDER BY id") == before
    fetch = db_rows(
        setup,
        "SELECT source, url, status, error_class, error, release_id FROM fetches "
        "ORDER BY id DESC LIMIT 1",
    )[0]
    assert fetch[:3] == ("sbp_ebops", loopback.url(PATH), "error")
    assert fetch[3] in ("parse", "layout") and fetch[4]
    if bad:  # the failing bytes are kept so that a fixed parser can rerun them
        kept = db_rows(setup, "SELECT body, parse_status FROM releases WHERE id = ?", fetch[5])
        assert kept == [(bad, "error")]


def test_http_errors_and_network_failures(
    setup: Path, loopback: Loopback, cli: Cli, tmp_path: Path
) -> None:
    loopback.serve(PATH, b"gone", status=404, headers={"Content-Type": "text/plain"})
    result = cli("run")
    assert result.returncode == 1
    assert "4xx" in result.stderr and "404" in result.stderr
    write_config(tmp_path / "itx.toml", '[sources.sbp_ebops]\nurl = "http://127.0.0.1:9/dt.xls"\n')
    result = cli("run")
    assert result.returncode == 1
    assert db_rows(setup, "SELECT status, error_class FROM fetches ORDER BY id DESC LIMIT 1") == [
        ("error", "network")
    ]


def test_configuration_errors_exit_2(tmp_path: Path, cli: Cli) -> None:
    write_config(tmp_path / "itx.toml", '[sources.nonesuch]\nurl = "http://127.0.0.1/x"\n')
    result = cli("run", process=False)  # stops before crawling: in-process is enough
    assert result.returncode == 2
    assert "unknown source 'nonesuch'" in result.stderr
    write_config(tmp_path / "itx.toml", "[run]\nsources = ['sbp_ebops']\n[future]\nkey = 1\n")
    assert cli("run", "--source", "nope", process=False).returncode == 2


def test_unknown_sections_warn_even_when_quiet(
    tmp_path: Path, cli: Cli, loopback: Loopback
) -> None:
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[someday]\nthing = 1\n'
        "[alerts]\nmax_atempts = 3\n",
    )
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    result = cli("run", "--quiet")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "itx-scraper: warning: config: unknown section or key 'someday' ignored",
        (
            "itx-scraper: warning: config: unknown key 'max_atempts' in [alerts] ignored;"
            " did you mean `max_attempts`?"
        ),
    ]


def test_import_history_and_show(tmp_path: Path, cli: Cli) -> None:
    history = tmp_path / "more.csv"
    history.write_text(
        "period,usd_million,source_url\n2018-07,90.5,https://example.org/a\n2018-08,91,\n"
    )
    result = cli("import-history", str(history), process=True)  # once as a real process
    assert result.returncode == 0, result.stderr
    assert "imported 2 observations" in result.stdout
    again = cli("import-history", str(history))
    assert "nothing added" in again.stdout
    rows = monthly(tmp_path / "itx.db")
    assert rows["2018-07"] == (90.5, None, "import")
    assert rows["2026-07"][2] == "baseline"
    shown = cli("show", "--months", "3", process=True)
    assert shown.returncode == 0
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["period", "usd_million", "mom", "yoy", "status", "source"]
    assert [line.split()[0] for line in lines[2:]] == ["2026-05", "2026-06", "2026-07"]
    # 2026-07: 417 vs 416 (MoM +0.2%) and vs 354 (YoY +17.8%)
    assert lines[-1].split()[1:4] == ["417.00", "+0.2%", "+17.8%"]

    bad = tmp_path / "bad.csv"
    bad.write_text("period,usd_million\n2024-13,5\n")
    result = cli("import-history", str(bad))
    assert result.returncode == 1
    assert "line 2" in result.stderr


def test_baseline_can_be_switched_off(tmp_path: Path, cli: Cli, loopback: Loopback) -> None:
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n',
    )
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    assert cli("run").returncode == 0
    sources = db_rows(tmp_path / "itx.db", "SELECT DISTINCT source FROM releases")
    assert sources == [("sbp_ebops",)]


def test_works_from_any_directory_and_home(tmp_path: Path, loopback: Loopback) -> None:
    config = write_config(
        tmp_path / "conf.toml", f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
    )
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "HOME": str(elsewhere)}
    env.pop("ITX_DB", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "itx_scraper",
            "run",
            "--config",
            str(config),
            "--db",
            str(tmp_path / "x.db"),
        ],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert monthly(tmp_path / "x.db")["2024-04"][2] == "sbp_ebops"


def test_scrapy_project_commands() -> None:
    env = {**os.environ}
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "sbp_ebops" in proc.stdout.split()


def test_scrapy_crawl_stores_into_the_configured_db(tmp_path: Path, loopback: Loopback) -> None:
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    db = tmp_path / "crawl.db"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "sbp_ebops",
            "-a",
            f"url={loopback.url(PATH)}",
            "-s",
            f"ITX_DB={db}",
            "-s",
            "DOWNLOAD_DELAY=0",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert monthly(db)["2024-04"] == (310.0, "P", "sbp_ebops")


def test_scrapy_crawl_with_an_unusable_destination_fails_and_keeps_nothing_half_done(
    tmp_path: Path, loopback: Loopback
) -> None:
    """`itx-scraper run` checks destinations before crawling; `scrapy crawl` meets a bad one
    only when a new month raises an alert. That must be a failed crawl (exit 1) with the
    release left for the next run, not a silent rollback with exit 0."""
    db = tmp_path / "crawl.db"

    def crawl(month: Month) -> subprocess.CompletedProcess[str]:
        loopback.serve(PATH, build_dt(month, published_ict()), etag=f'"{month}"')
        return subprocess.run(
            [
                *(sys.executable, "-m", "scrapy", "crawl", "sbp_ebops"),
                *("-a", f"url={loopback.url(PATH)}", "-s", f"ITX_DB={db}"),
                *("-s", "DOWNLOAD_DELAY=0"),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "ITX_NOTIFY": "nosuchscheme://SECRET-TOKEN@example.org"},
            timeout=HANG_GUARD,
            check=False,
        )

    first = crawl(Month(2024, 3))  # an empty database: the first crawl raises nothing
    assert first.returncode == 0, first.stderr
    second = crawl(Month(2024, 4))  # a new month: alerts, and the destination is unusable
    assert second.returncode == 1, second.stderr
    assert "2024-04" not in monthly(db)  # rolled back whole: the next run stores it
    with sqlite3.connect(db) as conn:
        last = conn.execute(
            "SELECT status, error_class, error FROM fetches ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert last[:2] == ("error", "storage") and "nosuchscheme://****" in last[2], last
    assert "SECRET-TOKEN" not in second.stderr + last[2]
    assert "Traceback" not in second.stderr
