"""Watches end to end: real and generated SBP workbooks on loopback, `run`, the store, alerts
through Apprise json://, `inspect` snippets pasted into a config, show/export/chart --watch."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest
import python_calamine
from conftest import Cli, Loopback, write_config
from sbp_tables import (
    EXPORTS,
    IMPORTS,
    SUMMARY_LABELS,
    build,
    down_grid,
    fdi_grid,
    fdi_headers,
    monthly,
    months,
    part_value,
    summary_columns,
    summary_grid,
    total,
)
from sbp_workbook import Grid

from itx_scraper.core.periods import MONTH_ABBR, Month

MAR26, JUL26 = Month(2026, 3), Month(2026, 7)
BPM6, EXP_IMP = "/ecodata/Balancepayment_BPM6.xls", "/ecodata/exp_import_BOP.xls"


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def watch_block(name: str, url: str, series: str, **more: str) -> str:
    lines = [f"[watches.{name}]", f'url = "{url}"', f"series = {json.dumps(series)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in more.items()]
    return "\n".join(lines) + "\n"


def configure(tmp_path: Path, *blocks: str, extra: str = "") -> Path:
    text = "[history]\nbaseline = false\n" + extra + "".join(blocks)
    return write_config(tmp_path / "itx.toml", text)


def stored(db: Path, watch: str) -> dict[str, tuple[float, str | None, str]]:
    """Every stored figure of a watch: period -> (value, status, cell)."""
    found = rows(
        db,
        "SELECT period, usd_million, status, cell FROM observations WHERE series = ?"
        " AND flow = 'value' ORDER BY id",
        watch,
    )
    return {period: (value, status, cell) for period, value, status, cell in found}


def calamine_grid(path: Path) -> list[list[object]]:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_name(workbook.sheet_names[0]).to_python(skip_empty_area=False)


# ---------------------------------------------------------------- the real SBP workbooks


# Balancepayment_BPM6-2026-03 columns as printed (sources.md section 4): period, status.
BPM6_COLUMNS = {
    "C": ("2023-07/2024-06", None),
    "D": ("2025-03", "R"),
    "E": ("2024-07/2025-06", "R"),
    "F": ("2025-07/2025-09", None),
    "G": ("2025-10/2025-12", "R"),
    "H": ("2026-02", "R"),
    "I": ("2026-03", "P"),
    "J": ("2026-01/2026-03", "P"),
    "K": ("2024-07/2025-03", "R"),
    "L": ("2025-07/2026-03", "P"),
}


def test_real_workbooks_are_stored_cell_by_cell(
    sbp_files: Path, tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    bpm6_path, exp_path = (
        sbp_files / "Balancepayment_BPM6-2026-03.xls",
        sbp_files / "exp_import_BOP-2026-03.xls",
    )
    loopback.serve(BPM6, bpm6_path.read_bytes(), etag='"bpm6-2026-03"')
    loopback.serve(EXP_IMP, exp_path.read_bytes(), etag='"exp-2026-03"')
    configure(
        tmp_path,
        watch_block("current_account", loopback.url(BPM6), "Current Account Balance"),
        watch_block("remittances", loopback.url(BPM6), "Workers' Remittances"),
        watch_block("goods_exports", loopback.url(EXP_IMP), "Exports (BOP)", part="Value"),
    )
    result = cli("run", env={"ITX_NOW": "2026-04-25T10:00:00"})
    assert result.returncode == 0, result.stdout + result.stderr
    # A workbook shared by two watches is fetched once; each watch has its own release.
    assert len(loopback.requests_to(BPM6)) == 1 and len(loopback.requests_to(EXP_IMP)) == 1
    db = tmp_path / "itx.db"
    releases = rows(db, "SELECT source, url, sha256 FROM releases ORDER BY source")
    assert [r[0] for r in releases] == ["current_account", "goods_exports", "remittances"]
    assert releases[0][2] == releases[2][2]  # the same bytes, two releases

    # BPM6: the row of each label, read independently; every stored cell is where it says.
    grid = calamine_grid(bpm6_path)
    for watch, label in (
        ("current_account", "Current Account Balance"),
        ("remittances", "Workers' Remittances"),
    ):
        row = next(i for i, line in enumerate(grid) if str(line[1]).strip() == label)
        expected = {
            period: (grid[row][ord(col) - 65], status, f"{col}{row + 1}")
            for col, (period, status) in BPM6_COLUMNS.items()
        }
        assert stored(db, watch) == expected
    current = stored(db, "current_account")
    assert current["2026-03"][:2] == (1070, "P") and current["2026-02"][:2] == (231, "R")

    # exp_import_BOP: months down column A (date cells), P/R in column B, the value in C.
    grid = calamine_grid(exp_path)
    expected = {
        str(Month(line[0].year, line[0].month)): (line[2], line[1] or None, f"C{r + 1}")
        for r, line in enumerate(grid)
        if isinstance(line[0], dt.date)
    }
    exports = stored(db, "goods_exports")
    assert exports == expected
    assert sorted(exports) == [str(m) for m in months(Month(2014, 7), MAR26)]  # full history
    assert (round(exports["2026-03"][0], 2), exports["2026-03"][1]) == (2525.99, "P")
    assert (round(exports["2026-02"][0], 2), exports["2026-02"][1]) == (2480.03, "R")
    assert rows(db, "SELECT DISTINCT unit FROM observations") == [(None,)]

    # The view gives one figure per watch and month.
    view = rows(db, "SELECT watch, value, unit, status FROM watch_monthly WHERE period = '2026-03'")
    assert sorted(view) == [
        ("current_account", 1070.0, "US$ million", "P"),
        ("goods_exports", exports["2026-03"][0], "US$ million", "P"),
        ("remittances", stored(db, "remittances")["2026-03"][0], "US$ million", "P"),
    ]

    # Next run: one conditional request per workbook, answered 304 for every watch.
    again = cli("run", env={"ITX_NOW": "2026-04-26T10:00:00"})
    assert again.returncode == 0, again.stderr
    second = loopback.requests_to(BPM6)[-1].headers
    assert second.get("If-None-Match") == '"bpm6-2026-03"'
    assert rows(
        db, "SELECT source, status, http_status FROM fetches WHERE run_id = 2 ORDER BY source"
    ) == [
        ("current_account", "not_modified", 304),
        ("goods_exports", "not_modified", 304),
        ("remittances", "not_modified", 304),
    ]
    assert rows(db, "SELECT count(*) FROM releases") == [(3,)]


def test_real_inspect_snippets_work_pasted_unchanged(
    sbp_files: Path, tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    loopback.serve(BPM6, (sbp_files / "Balancepayment_BPM6-2026-03.xls").read_bytes())
    loopback.serve(EXP_IMP, (sbp_files / "exp_import_BOP-2026-03.xls").read_bytes())
    listing = cli("inspect", loopback.url(BPM6), "--series", "Current Account Balance")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert "    2026-03  P  'Mar / FY26P' at I5" in lines
    assert "    2025-07/2026-03  P  'Jul-Mar / FY26P' at K5" in lines
    assert "    Current Account Balance" in lines and "    Workers' Remittances" in lines
    snippet_a = listing.stdout.split("# Paste into itx.toml:\n")[1]
    assert f'url = "{loopback.url(BPM6)}"' in snippet_a  # the URL inspected

    local = tmp_path / "exp_import_BOP.xls"
    local.write_bytes((sbp_files / "exp_import_BOP-2026-03.xls").read_bytes())
    refused = cli("inspect", str(local), "--series", "Exports (BOP)", "--part", "Cumulative")
    assert refused.returncode == 1, refused.stdout
    assert "is a fiscal year to date" in refused.stderr and "Traceback" not in refused.stderr
    # Without --part: a snippet for each part that can be watched, so not for Cumulative.
    listing = cli(
        "inspect", str(local), "--series", "Exports (BOP)", "--url", loopback.url(EXP_IMP)
    )
    assert listing.returncode == 0, listing.stderr
    assert "  months (141): 2014-07 to 2026-03, latest 2026-03 P" in listing.stdout
    assert "    Exports (BOP)  [parts: Value | Cumulative (fiscal year to date)]" in listing.stdout
    snippet_b = listing.stdout.split("# Paste into itx.toml:\n")[1]

    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n" + snippet_a + snippet_b)
    names = list(tomllib.loads(snippet_a + snippet_b)["watches"])
    assert names == ["current_account_balance", "exports_bop_value"]
    result = cli("run", env={"ITX_NOW": "2026-04-25T10:00:00"})
    assert result.returncode == 0, result.stdout + result.stderr
    db = tmp_path / "itx.db"
    assert stored(db, "current_account_balance")["2026-03"][:2] == (1070, "P")
    assert round(stored(db, "exports_bop_value")["2026-02"][0], 2) == 2480.03
    assert len(stored(db, "exports_bop_value")) == 141


def test_inspect_of_a_file_without_url_gives_a_snippet_the_config_refuses(
    sbp_files: Path, tmp_path: Path, cli: Cli
) -> None:
    path = sbp_files / "Balancepayment_BPM6-2026-03.xls"
    listing = cli("inspect", str(path), "--series", "Workers' Remittances", "--name", "remit")
    assert listing.returncode == 0
    assert "set the snippet's url" in listing.stderr
    snippet = listing.stdout.split("# Paste into itx.toml:\n")[1]
    assert snippet.startswith("[watches.remit]\n")
    write_config(tmp_path / "itx.toml", snippet)
    result = cli("run")
    assert result.returncode == 2
    assert '[watches.remit] url must be an absolute http(s) URL, got "REPLACE-ME' in result.stderr
    assert not (tmp_path / "itx.db").exists()


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--series", "Current Acount Balance"], 1, "no series 'Current Acount Balance'"),
        (["--name", "9 lives", "--series", "GDP"], 2, "must start with a letter"),
        (["--url", "file:///etc/passwd", "--series", "GDP"], 2, "not an absolute http(s) URL"),
    ],
)
def test_inspect_refusals_are_one_line(
    sbp_files: Path, cli: Cli, args: list[str], code: int, words: str
) -> None:
    result = cli("inspect", str(sbp_files / "Balancepayment_BPM6-2026-03.xls"), *args)
    assert result.returncode == code and words in result.stderr
    assert "Traceback" not in result.stderr


def test_inspect_of_an_html_page_and_of_a_refused_redirect(loopback: Loopback, cli: Cli) -> None:
    loopback.serve(
        "/home", b"<!DOCTYPE html><html><body>" + b"<p>SBP</p>" * 600 + b"</body></html>"
    )
    loopback.serve("/away", b"", status=302, headers={"Location": "http://127.0.0.2:1/x.xls"})
    html = cli("inspect", loopback.url("/home"))
    assert html.returncode == 1 and "HTML" in html.stderr and "Traceback" not in html.stderr
    away = cli("inspect", loopback.url("/away"))
    assert away.returncode == 1 and "refused redirect" in away.stderr
    assert loopback.requests_to("/home")[0].headers["User-Agent"].startswith("itx-scraper/")


def test_inspect_fetches_a_url_in_the_form_a_run_requests_it(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    """A space and a non-ASCII letter in the URL: inspect once refused the first ("control
    character") and ended in a traceback on the second (http.client sends ASCII only). It
    fetches the URL as Scrapy would, and its snippet holds that form, which a run fetches."""
    path = "/ecodata/d%C3%A4t%20a.xls"
    loopback.serve(path, build(summary_grid(MAR26)))
    written = f"http://{loopback.host}:{loopback.port}/ecodata/d\u00e4t a.xls"
    listing = cli("inspect", written, "--series", "Current Account Balance", "--name", "ca")
    assert listing.returncode == 0, listing.stderr
    snippet = listing.stdout.split("# Paste into itx.toml:\n")[1]
    assert f'url = "{loopback.url(path)}"' in snippet
    configure(tmp_path, snippet)
    result = cli("run", env={"ITX_NOW": "2026-04-25T10:00:00"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(loopback.requests_to(path)) == 2  # inspect's fetch and the run's
    assert stored(tmp_path / "itx.db", "ca")


# ---------------------------------------------------------------- generated workbooks


def test_generated_workbooks_both_orientations_parts_units_and_july(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    loopback.serve("/bpm6.xls", build(summary_grid(MAR26)), etag='"s-mar"')
    loopback.serve("/fdi.xls", build(fdi_grid(MAR26, unit="thousand")), etag='"f-mar"')
    status = {Month(2026, 2): "R", MAR26: "P"}
    exports, export_rows = down_grid(Month(2019, 7), MAR26, status=status)
    loopback.serve("/exp.xls", build(exports), etag='"e-mar"')
    configure(
        tmp_path,
        watch_block("ca", loopback.url("/bpm6.xls"), "Current Account Balance", record="low"),
        watch_block("fob", loopback.url("/bpm6.xls"), "Exports of Goods FOB"),
        watch_block("china_net", loopback.url("/fdi.xls"), "China", part="Net"),
        watch_block("total_in", loopback.url("/fdi.xls"), "Total", part="Inflow"),
        watch_block("goods", loopback.url("/exp.xls"), EXPORTS, part="Value"),
        watch_block("imports", loopback.url("/exp.xls"), IMPORTS, part="Value"),
    )
    result = cli("run", env={"ITX_NOW": "2026-04-25T10:00:00"})
    assert result.returncode == 0, result.stdout + result.stderr
    db = tmp_path / "itx.db"
    # across, two header rows, US$ million: months, quarters and fiscal years as printed
    for watch, label in (("ca", "Current Account Balance"), ("fob", "Exports of Goods FOB")):
        got = {p: v for p, (v, _, _) in stored(db, watch).items()}
        want = {c.period: total(label, c.start, c.end) for c in summary_columns(MAR26)}
        assert got == pytest.approx(want)
        assert {p: s for p, (_, s, _) in stored(db, watch).items()} == {
            c.period: c.status for c in summary_columns(MAR26)
        }
    # a part of a triplet, in US$ thousand: stored as US$ million
    for watch, label, part in (("china_net", "China", "Net"), ("total_in", "Total", "Inflow")):
        got = {p: v for p, (v, _, _) in stored(db, watch).items()}
        want = {
            (str(s) if s == e else f"{s}/{e}"): part_value(label, part, s, e)
            for _, s, e, _ in fdi_headers(MAR26)
        }
        assert got == pytest.approx(want, rel=1e-12)
    # down the rows, a marker column, a cumulative part kept as fiscal-year-to-date ranges
    goods = stored(db, "goods")
    assert {p: v for p, (v, _, _) in goods.items()} == {
        str(r.month): monthly(EXPORTS, r.month) for r in export_rows
    }
    assert goods["2026-03"][1:] == ("P", f"C{export_rows[-1].row + 1}")
    assert stored(db, "imports")["2026-02"][:2] == (monthly(IMPORTS, Month(2026, 2)), "R")
    # Plain export is the EBOPS/ICT table: watch values (no unit column there) stay out of it.
    for args in (("export",), ("export", "--vintages")):
        plain = cli(*args)
        assert plain.returncode == 0, plain.stderr
        assert len(plain.stdout.splitlines()) == 1, plain.stdout[:300]  # the header alone
    assert len(cli("export", "--watch", "ca").stdout.splitlines()) > 1

    # July: the month and the one-month fiscal year to date are one figure, once.
    loopback.serve("/bpm6.xls", build(summary_grid(JUL26)), etag='"s-jul"')
    loopback.serve("/fdi.xls", build(fdi_grid(JUL26, headers=fdi_headers(JUL26))), etag='"f-jul"')
    july, _ = down_grid(Month(2019, 7), JUL26, status={JUL26: "P"})
    loopback.serve("/exp.xls", build(july), etag='"e-jul"')
    result = cli("run", env={"ITX_NOW": "2026-08-25T10:00:00"})
    assert result.returncode == 0, result.stdout + result.stderr
    for watch, value in (
        ("ca", monthly("Current Account Balance", JUL26)),
        ("fob", monthly("Exports of Goods FOB", JUL26)),
        ("china_net", part_value("China", "Net", JUL26, JUL26)),
        ("goods", monthly(EXPORTS, JUL26)),
        ("imports", monthly(IMPORTS, JUL26)),
    ):
        figures = rows(
            db,
            "SELECT usd_million, status FROM observations o JOIN releases r ON r.id = o.release_id"
            " WHERE o.series = ? AND o.period = '2026-07' AND r.latest_period = '2026-07'",
            watch,
        )
        assert len(figures) == 1 and figures[0][0] == pytest.approx(value), watch
        assert figures[0][1] == "P"


def _text_in_cell(label: str) -> bytes:
    grid = summary_grid(MAR26)
    row = 7 + SUMMARY_LABELS.index(label)
    grid.cells[row][8] = "n.a. (see note)"
    return build(grid)


def _renamed(label: str) -> bytes:
    grid = summary_grid(MAR26)
    grid.cells[7 + SUMMARY_LABELS.index(label)][1] = "Current Acct. Bal."
    return build(grid)


def _unit(text: str) -> bytes:
    grid = summary_grid(MAR26, unit=text)
    return build(grid)


def _bad_period() -> bytes:
    grid, rows_ = down_grid(Month(2025, 7), MAR26)
    grid.cells[rows_[-1].row][0] = "Marchh 2026"
    return build(grid)


def test_damaged_workbooks_fail_per_watch_and_store_nothing(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    good = build(summary_grid(MAR26))
    damaged = {
        "/text.xls": _text_in_cell("Current Account Balance"),
        "/renamed.xls": _renamed("Current Account Balance"),
        "/unit.xls": _unit("(Million Rupees)"),
        "/html.xls": b"<!DOCTYPE html><html><body>" + b"<p>moved</p>" * 600 + b"</body></html>",
        "/truncated.xls": good[: len(good) // 3],
        "/period.xls": _bad_period(),
        "/exp.xls": build(down_grid(Month(2025, 7), MAR26)[0]),
    }
    for path, body in damaged.items():
        loopback.serve(path, body)
    blocks = [
        watch_block(f"ca_{path[1:-4]}", loopback.url(path), "Current Account Balance")
        for path in damaged
        if path not in ("/period.xls", "/exp.xls")
    ]
    blocks.append(watch_block("fob_text", loopback.url("/text.xls"), "Exports of Goods FOB"))
    blocks.append(watch_block("exp_period", loopback.url("/period.xls"), EXPORTS, part="Value"))
    # a fiscal-year-to-date part is not a monthly series: refused, not stored as Julys
    blocks.append(watch_block("exp_ytd", loopback.url("/exp.xls"), EXPORTS, part="Cumulative"))
    configure(tmp_path, *blocks)
    result = cli("run", env={"ITX_NOW": "2026-04-25T10:00:00"})
    assert result.returncode == 1
    db = tmp_path / "itx.db"
    failures = dict(
        rows(db, "SELECT source, error_class FROM fetches WHERE status = 'error' ORDER BY source")
    )
    assert failures == {
        "ca_text": "parse",
        "ca_renamed": "layout",
        "ca_unit": "layout",
        "ca_html": "parse",
        "ca_truncated": "parse",
        "exp_period": "layout",
        "exp_ytd": "layout",
    }
    for watch in failures:
        assert stored(db, watch) == {}, watch
        assert f"error: {watch}: " in result.stderr
    # another watch of the damaged workbook still reads its own row
    assert stored(db, "fob_text")["2026-03"][0] == pytest.approx(
        monthly("Exports of Goods FOB", MAR26)
    )
    assert "is a fiscal year to date" in result.stderr
    assert "Traceback" not in result.stderr
    assert "layout: layout:" not in result.stderr and "parse: parse:" not in result.stderr
    status = json.loads(cli("status", "--json", env={"ITX_NOW": "2026-04-25T11:00:00"}).stdout)
    assert status["sources"]["ca_renamed"]["last_attempt"]["error_class"] == "layout"
    assert status["sources"]["fob_text"]["last_change"]["latest_period"] == "2026-03"


# ---------------------------------------------------------------- alerts: three vintages


def vintage(values: dict[Month, tuple[float, float]], status: dict[Month, str]) -> bytes:
    """A one-row-header summary: 'Jan-26', 'Feb-26 (P)'…, the current account and remittances."""
    ordered = sorted(values)
    headers = [
        f"{MONTH_ABBR[m.month - 1].capitalize()}-{m.year % 100:02d}"
        + (f" ({status[m]})" if m in status else "")
        for m in ordered
    ]
    width = 1 + len(ordered)
    cells: list[list[object]] = [
        ["Summary Balance of Payments", *[""] * (width - 1)],
        [*[""] * (width - 1), "(Million US$)"],
        ["Items", *headers],
        ["Current Account Balance", *[values[m][0] for m in ordered]],
        ["Workers' Remittances", *[values[m][1] for m in ordered]],
    ]
    return build(Grid("BPM6_Summary", cells))


def test_three_vintages_raise_each_alert_once(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    history = tmp_path / "history.csv"
    history.write_text("period,usd_million\n2023-06,250\n")  # the database is not empty
    url = loopback.url(BPM6)
    configure(
        tmp_path,
        watch_block(
            "current_account",
            url,
            "Current Account Balance",
            record="low",
            label="Pakistan's current account balance",
        ),
        watch_block("remittances", url, "Workers' Remittances"),
        extra=f'[notify]\nurls = ["{loopback.hook("/hook")}"]\n',
    )
    assert cli("import-history", str(history)).returncode == 0
    # January 2025 to January 2026: a widening deficit, growing remittances.
    first = {Month(2025, 1).shift(i): (-300.0 - 90 * i, 2500.0 + 40 * i) for i in range(13)}
    lowest, highest = min(v[0] for v in first.values()), max(v[1] for v in first.values())
    feb = Month(2026, 2)

    def publish(values: dict, status: dict, day: str, etag: str) -> list[dict[str, Any]]:
        loopback.serve(BPM6, vintage(values, status), etag=etag)
        before = len(loopback.posts.get("/hook", []))
        result = cli("run", env={"ITX_NOW": day})
        assert result.returncode == 0, result.stdout + result.stderr
        return loopback.posts.get("/hook", [])[before:]

    # 1: the watches' first release is stored and raises nothing, on a database with data.
    assert publish(first, {Month(2026, 1): "P"}, "2026-02-20T10:00:00", '"v1"') == []
    # 2: February is a new month, a record low deficit and a record high for remittances.
    second = {**first, feb: (lowest - 400.0, highest + 150.0)}
    posts = publish(second, {Month(2026, 1): "R", feb: "P"}, "2026-03-20T10:00:00", '"v2"')
    titles = sorted(post["title"] for post in posts)
    assert titles == [
        "Pakistan's current account balance: a deficit of $1,780 million in February 2026",
        (
            "Record low: Pakistan's current account balance a deficit of $1,780 million in"
            " February 2026"
        ),
        "Record: Workers' Remittances $3,130 million in February 2026",
        "Workers' Remittances: $3,130 million in February 2026",
    ]
    record_low = next(p for p in posts if p["title"].startswith("Record low"))
    assert (
        "set a record low with a deficit of $1,780 million in February 2026** (previous record"
        " low a deficit of $1,380 million in January 2026, \u2212$400 million)"
    ) in record_low["message"]
    assert len(record_low["attachments"]) == 1  # the watch's chart
    # 3: January revised for both (to no record); nothing new besides the revisions.
    third = {**second, Month(2026, 1): (-1200.0, 2900.0)}
    posts = publish(third, {Month(2026, 1): "R", feb: "P"}, "2026-03-25T10:00:00", '"v3"')
    assert sorted(post["title"] for post in posts) == [
        (
            "Revised: Pakistan's current account balance for January 2026 a deficit of $1,380"
            " million \u2192 a deficit of $1,200 million"
        ),
        "Revised: Workers' Remittances for January 2026 $2,980 million \u2192 $2,900 million",
    ]
    # The same release again: 304, nothing more.
    assert publish(third, {Month(2026, 1): "R", feb: "P"}, "2026-03-26T10:00:00", '"v3"') == []
    db = tmp_path / "itx.db"
    kinds = rows(db, "SELECT series, kind, period FROM alerts ORDER BY series, id")
    assert kinds == [
        ("current_account", "new_month", "2026-02"),
        ("current_account", "record", "2026-02"),
        ("current_account", "revision", "2026-01"),
        ("remittances", "new_month", "2026-02"),
        ("remittances", "record", "2026-02"),
        ("remittances", "revision", "2026-01"),
    ]
    assert rows(db, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL") == [(0,)]
    assert len(loopback.posts["/hook"]) == 6  # each once

    # show / export / chart --watch read what was stored
    show = cli("show", "--watch", "current_account", "--months", "2")
    assert show.returncode == 0, show.stderr
    assert [line.split() for line in show.stdout.splitlines()] == [
        ["period", "usd_million", "mom_change", "yoy_change", "status", "source"],
        ["-------", "-----------", "----------", "----------", "------", "---------------"],
        ["2026-01", "-1,200.00", "+90.00", "-900.00", "R", "current_account"],
        ["2026-02", "-1,780.00", "-580.00", "-1,390.00", "P", "current_account"],
    ]
    as_of = cli("show", "--watch", "remittances", "--months", "2", "--as-of", "2026-03-21")
    assert as_of.returncode == 0, as_of.stderr
    assert [line.split()[:2] for line in as_of.stdout.splitlines()[3:]] == [
        ["2026-01", "2,980.00"],  # before the revision of 2026-03-25
        ["2026-02", "3,130.00"],
    ]
    unknown = cli("show", "--watch", "curent_account")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == (
        "itx-scraper: no watch named 'curent_account'; configured watches: current_account,"
        " remittances"
    )
    both = cli("export", "--watch", "remittances", "--series", "9")
    assert both.returncode == 2 and "give --watch or --series, not both" in both.stderr
    export = cli("export", "--watch", "remittances", "--vintages")
    lines = export.stdout.splitlines()
    assert lines[0] == (
        "watch,period,period_start,period_end,months,value,unit,status,release_id,source,"
        "retrieved_at,url,sheet,cell"
    )
    january = [line for line in lines if line.startswith("remittances,2026-01,")]
    assert [line.split(",")[5] for line in january] == ["2980.0", "2980.0", "2900.0"]
    chart = cli("chart", "--watch", "current_account", "--output", str(tmp_path / "ca.png"))
    assert chart.returncode == 0, chart.stderr
    records = chart.stdout.split("record months: ")[1].split(";")[0].split(", ")
    assert records == [str(Month(2025, 2).shift(i)) for i in range(11)] + ["2026-02"]
    # record = "none": the chart marks no month as a record (the next run stores the change)
    config = tmp_path / "itx.toml"
    series = 'series = "Workers\' Remittances"\n'
    config.write_text(config.read_text().replace(series, series + 'record = "none"\n'))
    assert cli("run", env={"ITX_NOW": "2026-04-26T10:00:00"}).returncode == 0
    plain = cli("chart", "--watch", "remittances", "--output", str(tmp_path / "r.png"))
    assert plain.returncode == 0, plain.stderr
    assert "record months: none;" in plain.stdout


def test_datasette_canned_query_per_watch(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    import yaml
    from datasette.app import Datasette

    values = {Month(2025, 12).shift(i): (-100.0 * (i + 1), 3000.0 + i) for i in range(3)}
    loopback.serve(BPM6, vintage(values, {}))
    configure(
        tmp_path,
        watch_block("current_account", loopback.url(BPM6), "Current Account Balance"),
        watch_block("remittances", loopback.url(BPM6), "Workers' Remittances", label="Remit"),
    )
    assert cli("run", env={"ITX_NOW": "2026-03-25T10:00:00"}).returncode == 0
    printed = cli("datasette-metadata")
    assert printed.returncode == 0, printed.stderr
    metadata = json.loads(printed.stdout)
    queries = metadata["databases"]["itx"]["queries"]
    assert {"latest_months", "watch_months", "watch_current_account", "watch_remittances"} <= set(
        queries
    )
    assert queries["watch_remittances"]["title"] == "Remit (watch remittances)"
    shipped = yaml.safe_load(
        (Path(__file__).parents[1] / "itx_scraper/datasette/metadata.yml").read_text()
    )
    assert metadata["databases"]["itx"]["tables"] == shipped["databases"]["itx"]["tables"]

    async def fetch(*paths: str) -> list[Any]:
        ds = Datasette([str(tmp_path / "itx.db")], metadata=metadata)
        await ds.invoke_startup()
        bodies = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            bodies.append(response.json())
        return bodies

    own, generic, latest = asyncio.run(
        fetch(
            "/itx/watch_current_account.json?_shape=array",
            "/itx/watch_months.json?watch=current_account&_shape=array",
            "/itx/watches_latest.json?_shape=array",
        )
    )
    assert own == generic
    assert [(r["period"], r["value"], r["mom_change"]) for r in own] == [
        ("2026-02", -300.0, -100.0),
        ("2026-01", -200.0, -100.0),
        ("2025-12", -100.0, None),
    ]
    assert [(r["watch"], r["latest_month"], r["months"]) for r in latest] == [
        ("current_account", "2026-02", 3),
        ("remittances", "2026-02", 3),
    ]
