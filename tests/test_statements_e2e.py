"""Statement sources and the headline PDF end to end: the real CLI, loopback server, SQLite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import HTTP_TIMEOUT, Cli, Loopback, write_config
from sbp_workbook import build_dt, published_ict
from spider_fixtures import MOITT_IT, MOITT_URDU, SITES, headline_pdf
from spider_harness import HTML, Page, fixture

from itx_scraper.core.periods import Month

PDF_PATH = "/assets/document/ExportsImports-Goods.pdf"
DT_PATH = "/ecodata/dt.xls"
STATEMENTS = ["moitt", "pid", "pseb", "press"]


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def serve(loopback: Loopback, pages: dict[str, Page]) -> None:
    for path, page in pages.items():
        loopback.serve(
            path,
            page.body,
            status=page.status,
            headers={"Content-Type": page.content_type, **page.headers},
        )


def source_toml(name: str, base: str, **options: object) -> str:
    site = SITES[name]
    lines = [f"[sources.{name}]", f'url = "{base}{site.start}"', "enabled = true"]
    for key, value in {**site.options(base), **options}.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def setup_source(
    tmp_path: Path, loopback: Loopback, name: str, extra: str = "", **options: object
) -> Path:
    base = loopback.url("")
    serve(loopback, SITES[name].pages(base))
    write_config(tmp_path / "itx.toml", source_toml(name, base, **options) + extra)
    return tmp_path / "itx.db"


EXPECTED = {  # source: (doc_key, published_at, first title words, its own figures)
    "moitt": (
        "moitt:698d2410-c7b3-4030-9c52-f279c60d89f3",
        "2024-05-17",
        "Pakistan's IT exports hit",
        {("2024-04", 310.0), ("2023-07/2024-04", 2593.0)},
    ),
    "pid": (
        "pid:32377",
        "2024-05-18",
        "PR No. 231",
        {("2024-04", 310.0), ("2023-07/2024-04", 2593.0)},
    ),
    "pseb": (
        "pseb:/news/it-exports-march-2024",
        "2024-04-18",
        "IT exports reach",
        {("2024-03", 306.0), ("2023-07/2024-03", 2283.0)},
    ),
    "press": (
        "press:brecorder-40303030",
        "2024-05-17",
        "IT exports up 24pc",
        {("2024-04", 310.0), ("2023-04", 250.0), ("2023-07/2024-04", 2590.0)},
    ),
}


@pytest.mark.parametrize("name", STATEMENTS)
def test_statement_source_end_to_end(
    name: str, tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = (
        setup_source(tmp_path, loopback, name, depth=1)
        if name == "moitt"
        else setup_source(tmp_path, loopback, name)
    )
    first = cli("run")
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"{name}: new release" in first.stdout
    doc_key, published, title, figures = EXPECTED[name]
    [release] = rows(
        db,
        "SELECT id, doc_key, published_at, title, text, url, format FROM releases WHERE source = ?",
        name,
    )
    assert release[1:3] == (doc_key, published) and release[3].startswith(title)
    assert "$310 million" in release[4] or "$306 million" in release[4]
    assert release[5].startswith(loopback.url("/")) and release[6] == "statement"
    stored = rows(
        db,
        "SELECT period, usd_million, note, label FROM observations WHERE release_id = ?",
        release[0],
    )
    assert {(p, v) for p, v, note, _ in stored if not note} == figures
    assert {label for *_, label in stored} == {"statement"}
    # The bundled history outranks a statement: ict_monthly still shows the baseline value.
    assert rows(db, "SELECT source FROM ict_monthly WHERE period = '2024-04'") == [("baseline",)]
    # A silent first crawl: the statement raised no alert.
    assert rows(db, "SELECT count(*) FROM alerts") == [(0,)]
    # Every page fetched is in the fetch log; none failed.
    fetched = rows(
        db, "SELECT status, count(*) FROM fetches WHERE source = ? GROUP BY status", name
    )
    assert dict(fetched)["ok"] == 1 and "error" not in dict(fetched)

    found = cli("search", "IT exports")
    assert found.returncode == 0 and f"  {name}  v1  " in found.stdout, found.stdout

    second = cli("run")
    assert second.returncode == 0, second.stderr
    assert rows(db, "SELECT count(*) FROM releases WHERE source = ?", name) == [(1,)]
    assert rows(db, "SELECT count(*) FROM observations WHERE release_id = ?", release[0]) == [
        (len(stored),)
    ]


def test_headline_pdf_end_to_end(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    base = loopback.url("")
    loopback.serve(PDF_PATH, headline_pdf(), headers={"Content-Type": "application/pdf"})
    write_config(tmp_path / "itx.toml", f'[sources.sbp_headline]\nurl = "{base}{PDF_PATH}"\n')
    db = tmp_path / "itx.db"
    result = cli("run")
    assert result.returncode == 0, result.stderr
    assert "sbp_headline: new release" in result.stdout
    april = rows(
        db,
        "SELECT o.usd_million, o.location, r.format, r.latest_period "
        "FROM observations o JOIN releases r ON r.id = o.release_id "
        "WHERE r.source = 'sbp_headline' AND o.series = '9' "
        "AND o.period = '2024-04'",
    )
    assert april == [
        (
            310.0,
            (
                'page 1, row "9. Telecommunications, Computer, and Information '
                'Services", column "Apr FY24"'
            ),
            "pdf",
            "2024-04",
        )
    ]
    services = rows(db, "SELECT count(*) FROM observations WHERE series = 'services'")[0][0]
    assert services == 8
    # The official PDF outranks the bundled history.
    assert rows(db, "SELECT usd_million, source FROM ict_monthly WHERE period = '2024-04'") == [
        (310.0, "sbp_headline")
    ]


def test_headline_pdf_fallback_end_to_end(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    base = loopback.url("")
    loopback.serve(
        PDF_PATH, b"<!DOCTYPE html><html><body>SBP</body></html>", headers={"Content-Type": HTML}
    )
    loopback.serve(
        "/ecodata/ExportsImports-Goods.pdf",
        headline_pdf(),
        headers={"Content-Type": "application/pdf"},
    )
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_headline]\nurl = "{base}{PDF_PATH}"\n'
        f'fallback_url = "{base}/ecodata/ExportsImports-Goods.pdf"\n',
    )
    result = cli("run")
    # Both attempts are logged and the failed one is printed, but the fallback worked: exit 0.
    assert result.returncode == 0, result.stderr
    assert "warning: sbp_headline: parse: got an HTML page" in result.stderr
    assert "another URL of sbp_headline worked" in result.stderr
    assert rows(tmp_path / "itx.db", "SELECT url, status FROM fetches ORDER BY id") == [
        (base + PDF_PATH, "error"),
        (base + "/ecodata/ExportsImports-Goods.pdf", "ok"),
    ]


def test_changed_text_is_a_new_version_cosmetic_change_is_not(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = setup_source(tmp_path, loopback, "moitt", depth=1)
    assert cli("run").returncode == 0
    page = fixture("moitt", "detail-it-exports.html")
    cosmetic = page.replace(b"<footer>", b'<div class="banner">New portal!</div><footer>')
    loopback.serve(MOITT_IT, cosmetic, headers={"Content-Type": HTML})
    assert cli("run").returncode == 0
    assert rows(db, "SELECT count(*) FROM releases WHERE source = 'moitt'") == [(1,)]
    loopback.serve(
        MOITT_IT, page.replace(b"$2.593 billion", b"$2.594 billion"), headers={"Content-Type": HTML}
    )
    assert cli("run").returncode == 0
    versions = rows(db, "SELECT doc_key, url FROM releases WHERE source = 'moitt' ORDER BY id")
    assert len(versions) == 2 and len(set(versions)) == 1
    found = cli("search", "2.594 billion", process=True)  # once as a real process
    assert "  moitt  v2  " in found.stdout and "  v1  " not in found.stdout


def test_bad_pages_are_recorded_and_skipped(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    base = loopback.url("")
    page = fixture("moitt", "detail-it-exports.html")
    bad = {
        "/NewsDetail/bm8tZGF0ZQ==": page.replace(
            b'<span class="news-date">May 17, 2024</span>', b""
        ),
        "/NewsDetail/b2RkLWRhdGU=": page.replace(b"May 17, 2024</span>", b"17.05.24</span>"),
        "/NewsDetail/YnJva2Vu": page[: len(page) // 2],
        "/NewsDetail/aHVnZQ==": page.replace(b"</footer>", b"</footer>" + b"<p>pad</p>" * 4000),
    }
    links = "".join(
        f'<a href="{path}">x</a>' for path in [*bad, "/NewsDetail/YXdheQ==", MOITT_URDU, MOITT_IT]
    )
    loopback.serve(
        "/News",
        f"<!DOCTYPE html><html><body>{links}</body></html>".encode(),
        headers={"Content-Type": HTML},
    )
    for path, body in bad.items():
        loopback.serve(path, body, headers={"Content-Type": HTML})
    loopback.serve(MOITT_URDU, fixture("moitt", "detail-urdu.html"), headers={"Content-Type": HTML})
    loopback.serve(MOITT_IT, page, headers={"Content-Type": HTML})
    away = f"http://localhost:{loopback.port}/elsewhere"
    loopback.serve("/NewsDetail/YXdheQ==", b"", status=302, headers={"Location": away})
    (tmp_path / "itx.toml").write_text(
        f'[run]\nsources = ["moitt"]\n[http]\ndelay = 0.0\ntimeout = {HTTP_TIMEOUT}\nretries = 0\n'
        f'max_bytes = 20000\n[sources.moitt]\nurl = "{base}/News"\nenabled = true\n'
    )
    result = cli("run")
    assert result.returncode == 1
    failed = dict(
        rows(
            tmp_path / "itx.db",
            "SELECT url, error_class || ': ' || error FROM fetches WHERE status = 'error'",
        )
    )
    assert failed.keys() == {base + p for p in [*bad, "/NewsDetail/YXdheQ=="]}
    expected = {
        "/NewsDetail/bm8tZGF0ZQ==": "layout: no publication date",
        "/NewsDetail/b2RkLWRhdGU=": "parse: publication date in an unexpected format",
        "/NewsDetail/YnJva2Vu": "parse: truncated HTML page",
        "/NewsDetail/aHVnZQ==": "size: ",
        "/NewsDetail/YXdheQ==": "offsite: ",
    }
    for path, start in expected.items():
        assert failed[base + path].startswith(start), (path, failed[base + path])
    assert "localhost" in failed[base + "/NewsDetail/YXdheQ=="]
    assert loopback.requests_to("/elsewhere") == []  # the redirect was never followed
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error: moitt")]
    assert len(error_lines) == 5
    # ... and the good statements (English and Urdu, issue 15) were still stored.
    db = tmp_path / "itx.db"
    assert sorted(
        rows(db, "SELECT doc_key FROM releases WHERE source = 'moitt' AND parse_status = 'ok'")
    ) == [
        ("moitt:4d3c2b1a-0f9e-48d7-b6a5-948372615041",),
        ("moitt:698d2410-c7b3-4030-9c52-f279c60d89f3",),
    ]
    # The bytes of each page that failed to parse are kept, to parse again once fixed.
    assert rows(
        db,
        "SELECT count(*) FROM releases WHERE source = 'moitt' AND parse_status = "
        "'error' AND size > 0",
    ) == [(3,)]


# -- reconciliation scenarios ----------------------------------------------------------------


def history_csv(path: Path, upto: Month) -> Path:
    lines = ["period,usd_million"]
    lines += [f"{m},{v}" for m, v in sorted(published_ict().items()) if m <= upto]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def watched(tmp_path: Path, loopback: Loopback, cli: Cli) -> Path:
    """History to Mar-2024 imported; MoITT and the headline PDF on loopback; a webhook."""
    base = loopback.url("")
    write_config(
        tmp_path / "itx.toml",
        source_toml("moitt", base, depth=1)
        + f'[sources.sbp_headline]\nurl = "{base}{PDF_PATH}"\n'
        + f'[history]\nbaseline = false\n[notify]\nurls = ["{loopback.hook("/hook")}"]\n',
    )
    imported = cli("import-history", str(history_csv(tmp_path / "h.csv", Month(2024, 3))))
    assert imported.returncode == 0, imported.stderr
    return tmp_path / "itx.db"


def publish(loopback: Loopback, *, statement: bytes | None, pdf: bytes) -> None:
    base = loopback.url("")
    pages = SITES["moitt"].pages(base)
    if statement is not None:
        pages[MOITT_IT] = Page(statement)
    serve(loopback, pages)
    loopback.serve(PDF_PATH, pdf, headers={"Content-Type": "application/pdf"})


def alerts(db: Path) -> list[tuple[str, str, str]]:
    return rows(db, "SELECT kind, period, title FROM alerts ORDER BY id")


def statement_saying(value: str) -> bytes:
    page = fixture("moitt", "detail-it-exports.html")
    return page.replace(b"$310 million", value.encode())


def test_reported_then_confirmed(watched: Path, loopback: Loopback, cli: Cli) -> None:
    publish(loopback, statement=None, pdf=headline_pdf(Month(2024, 3)))
    first = cli("run")
    assert first.returncode == 0, first.stderr
    [(kind, period, title)] = alerts(watched)
    assert (kind, period) == ("reported", "2024-04")
    assert title == "Reported: Pakistan's IT exports $310 million in April 2024 (MoITT)"
    [body] = [b for (b,) in rows(watched, "SELECT body FROM alerts")]
    assert body.startswith(
        "MoITT reports Pakistan's IT exports for April 2024 at $310 million; "
        "SBP data pending.\nThe statement claims a record; our history agrees "
        "(previous high $306 million in March 2024).\n"
    )
    [post] = loopback.posts["/hook"]
    assert post["title"] == title and "**MoITT reports" in post["message"]

    publish(loopback, statement=None, pdf=headline_pdf(Month(2024, 4)))
    second = cli("run")
    assert second.returncode == 0, second.stderr
    assert [k for k, *_ in alerts(watched)] == ["reported", "new_month", "record"]
    assert rows(
        watched, "SELECT usd_million, source FROM ict_monthly WHERE period = '2024-04'"
    ) == [(310.0, "sbp_headline")]
    assert len(loopback.posts["/hook"]) == 3

    third = cli("run")  # nothing new: no alert again
    assert third.returncode == 0 and len(alerts(watched)) == 3


def test_reported_then_mismatched(watched: Path, loopback: Loopback, cli: Cli) -> None:
    publish(loopback, statement=statement_saying("$305 million"), pdf=headline_pdf(Month(2024, 3)))
    assert cli("run").returncode == 0
    [(kind, _, _)] = alerts(watched)
    assert kind == "reported"
    assert (
        "claims a record, but our history does not support it: $306 million in March 2024"
        in rows(watched, "SELECT body FROM alerts")[0][0]
    )

    publish(loopback, statement=statement_saying("$305 million"), pdf=headline_pdf(Month(2024, 4)))
    assert cli("run").returncode == 0
    kinds = [k for k, *_ in alerts(watched)]
    assert kinds == ["reported", "new_month", "record", "mismatch"]
    mismatch = [p for p in loopback.posts["/hook"] if p["title"].startswith("Mismatch")]
    assert [p["title"] for p in mismatch] == [
        (
            "Mismatch: Pakistan's IT exports for April 2024: $305 million (MoITT) vs $310 million "
            "(SBP headline PDF)"
        )
    ]
    assert (
        "MoITT reported $305 million, SBP headline PDF gives **$310 million**"
        in mismatch[0]["message"]
    )
    [body] = [b for (b,) in rows(watched, "SELECT body FROM alerts WHERE kind = 'mismatch'")]
    assert body.startswith(
        "MoITT reported Pakistan's IT exports for April 2024 at $305 million, "
        "but SBP headline PDF gives $310 million (difference +$5 million)."
    )
    # The mismatch is filed under the PDF's release, and only once.
    assert rows(
        watched,
        "SELECT r.source FROM alerts a JOIN releases r ON r.id = a.release_id "
        "WHERE a.kind = 'mismatch'",
    ) == [("sbp_headline",)]
    assert cli("run").returncode == 0
    assert [k for k, *_ in alerts(watched)].count("mismatch") == 1


def test_headline_pdf_month_then_the_workbook(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    base = loopback.url("")
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_headline]\nurl = "{base}{PDF_PATH}"\n'
        f'[sources.sbp_ebops]\nurl = "{base}{DT_PATH}"\n[history]\nbaseline = false\n',
    )
    db = tmp_path / "itx.db"
    history = history_csv(tmp_path / "h.csv", Month(2026, 5))
    assert cli("import-history", str(history)).returncode == 0
    june = Month(2026, 6)
    loopback.serve(PDF_PATH, headline_pdf(june), headers={"Content-Type": "application/pdf"})
    assert cli("run", "--source", "sbp_headline").returncode == 0
    assert [(k, p) for k, p, _ in alerts(db)] == [("new_month", "2026-06")]
    assert "$416 million in June 2026" in alerts(db)[0][2]

    ict = published_ict()
    loopback.serve(DT_PATH, build_dt(june, {**ict, june: 416.23}))
    result = cli("run", "--source", "sbp_ebops")
    assert result.returncode == 0, result.stderr
    assert len(alerts(db)) == 1  # within tolerance of the PDF's 416: no revision, no new month
    assert rows(db, "SELECT usd_million, source FROM ict_monthly WHERE period = '2026-06'") == [
        (416.23, "sbp_ebops")
    ]

    loopback.serve(DT_PATH, build_dt(june, {**ict, june: 420.0}))
    assert cli("run", "--source", "sbp_ebops").returncode == 0
    revisions = [title for kind, period, title in alerts(db) if kind == "revision"]
    assert revisions == [
        "Revised: Pakistan's IT exports for June 2026 $416.2 million → $420 million"
    ]
