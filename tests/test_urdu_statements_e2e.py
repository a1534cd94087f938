"""An Urdu-only PID statement end to end: a release with its figures and a `reported` alert."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import Cli, Loopback, write_config
from spider_fixtures import SITES, headline_pdf
from spider_harness import HTML, fixture
from test_statements_e2e import PDF_PATH, history_csv, serve, source_toml

from itx_scraper.core.periods import Month

URDU_ID = 32378
URDU_PATH = f"/site/press_detail/{URDU_ID}"
URDU_ROW = (
    '<div class="row">\n    <div class="col-md-2"><span class="pr-date">2024-06-14</span></div>\n'
    f'    <div class="col-md-10"><div class="pr-title"><a href="{URDU_PATH}">'
    "پی آر نمبر 241 مئی میں آئی ٹی برآمدات</a></div></div>\n  </div>\n  "
)


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def home_with_urdu_release() -> bytes:
    """PID's home page with the Urdu press release listed first, as the newest."""
    home = fixture("pid", "home.html").decode()
    first = home.index('<div class="row">')
    return (home[:first] + URDU_ROW + home[first:]).encode()


def test_urdu_only_pid_statement_is_a_release_and_reported(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    base = loopback.url("")
    write_config(
        tmp_path / "itx.toml",
        source_toml("pid", base)
        + f'[sources.sbp_headline]\nurl = "{base}{PDF_PATH}"\n'
        + f'[history]\nbaseline = false\n[notify]\nurls = ["{loopback.hook("/hook")}"]\n',
    )
    history = history_csv(tmp_path / "h.csv", Month(2024, 4))
    assert cli("import-history", str(history)).returncode == 0
    serve(loopback, SITES["pid"].pages(base))
    loopback.serve("/", home_with_urdu_release(), headers={"Content-Type": HTML})
    loopback.serve(URDU_PATH, fixture("pid", f"press_detail-{URDU_ID}.html"))
    # SBP's newest month is April 2024; the Urdu statement gives May.
    loopback.serve(
        PDF_PATH, headline_pdf(Month(2024, 4)), headers={"Content-Type": "application/pdf"}
    )

    first = cli("run", env={"ITX_NOW": "2024-06-15T09:00:00"})
    assert first.returncode == 0, first.stdout + first.stderr
    db = tmp_path / "itx.db"
    [(release_id, title, published, text)] = rows(
        db,
        "SELECT id, title, published_at, text FROM releases WHERE doc_key = ?",
        f"pid:{URDU_ID}",
    )
    assert title.startswith("پی آر نمبر 241") and published == "2024-06-14"
    assert "33 کروڑ 20 لاکھ ڈالر" in text
    figures = rows(
        db,
        "SELECT period, usd_million, note, label FROM observations WHERE release_id = ?"
        " ORDER BY id",
        release_id,
    )
    assert figures == [
        ("2024-05", 332.0, None, "statement"),
        ("2023-07/2024-05", 2925.0, None, "statement"),
    ]
    # No page of the crawl failed: Urdu is no longer an error.
    assert rows(db, "SELECT count(*) FROM fetches WHERE status = 'error'") == [(0,)]

    alerts = rows(db, "SELECT kind, period, title FROM alerts ORDER BY id")
    assert alerts == [
        ("reported", "2024-05", "Reported: Pakistan's IT exports $332 million in May 2024 (PID)")
    ]
    [post] = loopback.posts["/hook"]
    assert post["title"] == alerts[0][2]
    assert "PID reports Pakistan's IT exports for May 2024 at $332 million" in post["message"]

    second = cli("run", env={"ITX_NOW": "2024-06-16T09:00:00"})  # nothing new: no second alert
    assert second.returncode == 0, second.stderr
    assert len(rows(db, "SELECT id FROM alerts")) == 1 and len(loopback.posts["/hook"]) == 1
