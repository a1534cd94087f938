"""Months that have not happened never enter the history; vintages rank by storage order (§5).

Before: an official workbook labelled Mar-36 while the clock said 2026-04 sent 4 alerts and
left 2036-03 in ``ict_monthly`` for good, so the real March 2026 release then raised nothing;
``import-history`` took future months, duplicates, 1e300 and year 0001; and with the clock
going backwards a revising release lost to the older vintage in ``ict_monthly``.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Cli, Loopback, migrated_store, write_config
from faultkit import report
from sbp_workbook import build_dt, published_ict

from itx_scraper.cli import cli as itx_cli
from itx_scraper.core.periods import Month
from itx_scraper.ingest import import_history

PATH = "/ecodata/dt.xls"
HOOK = "/hook"
# Every header of the real March 2026 release moved ten years on, consistently: the parser's
# own checks (FYTD end = latest month) pass, only the calendar can tell.
SHIFTED = [
    (b"Mar-26 (P)", b"Mar-36 (P)"),
    (b"Feb-26 (R)", b"Feb-36 (R)"),
    (b"Mar-25 (R)", b"Mar-35 (R)"),
    (b"FY26 (P)", b"FY36 (P)"),
    (b"FY25 (R)", b"FY35 (R)"),
]


def rows(db: Path, query: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(query, params).fetchall()


def mar_36(real_march: bytes) -> bytes:
    body = real_march
    for old, new in SHIFTED:
        assert body.count(old) == 1, old
        body = body.replace(old, new)
    return body


def configure(tmp_path: Path, loopback: Loopback) -> Path:
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        f'[history]\nbaseline = false\n[notify]\nurls = ["{loopback.hook(HOOK)}"]\n',
    )
    return tmp_path / "itx.db"


def test_the_mar_36_workbook_is_refused_and_march_2026_alerts_after_it(
    tmp_path: Path, loopback: Loopback, cli: Cli, sbp_files: Path
) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(PATH, (sbp_files / "dt-2026-02.xls").read_bytes())
    first = cli("run", env={"ITX_NOW": "2026-03-20T10:00:00"})  # silent: a new database
    assert first.returncode == 0, first.stderr

    real_march = (sbp_files / "dt-2026-03.xls").read_bytes()
    loopback.serve(PATH, mar_36(real_march))
    refused = cli("run", env={"ITX_NOW": "2026-04-20T10:00:00"})
    assert refused.returncode == 1, refused.stderr
    line = next(x for x in refused.stderr.splitlines() if x.startswith("error: sbp_ebops"))
    assert "parse: period 2035-03 is in the future (clock 2026-04) at C9" in line, line
    # The whole document is refused: its bytes are kept as evidence, no figure from it.
    [(release_id, status)] = rows(
        db, "SELECT id, parse_status FROM releases WHERE parse_status = 'error'"
    )
    assert status == "error"
    assert rows(db, "SELECT count(*) FROM observations WHERE release_id = ?", release_id) == [(0,)]
    assert rows(db, "SELECT count(*) FROM observations WHERE period_end > '2026-05'") == [(0,)]
    assert rows(db, "SELECT max(period) FROM ict_monthly") == [("2026-02",)]
    data_alerts = "SELECT count(*) FROM alerts WHERE kind IN ('new_month', 'record', 'revision')"
    assert rows(db, data_alerts) == [(0,)]

    loopback.serve(PATH, real_march)
    real = cli("run", env={"ITX_NOW": "2026-04-20T11:00:00"})
    assert real.returncode == 0, real.stderr
    assert rows(db, "SELECT period FROM alerts WHERE kind = 'new_month'") == [("2026-03",)]
    titles = [post["title"] for post in loopback.posts.get(HOOK, [])]
    assert any("March 2026" in title or "2026-03" in title for title in titles), titles
    assert rows(db, "SELECT max(period), source FROM ict_monthly") == [("2026-03", "sbp_ebops")]
    report("future", case="Mar-36 workbook refused, then March 2026 alerts", alerts_from_it=0)


# -- import-history -------------------------------------------------------------------------

NOW = "2026-04-20T10:00:00"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    store = migrated_store(tmp_path / "itx.db")
    try:
        (tmp_path / "good.csv").write_text("period,usd_million\n2024-01,265.0\n2024-02,258.6\n")
        import_history(store, tmp_path / "good.csv")
    finally:
        store.close()
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    return tmp_path / "itx.db"


def import_csv(tmp_path: Path, text: str) -> Result:
    (tmp_path / "more.csv").write_text(text)
    env = {"ITX_DB": str(tmp_path / "itx.db"), "ITX_CONFIG": str(tmp_path / "itx.toml")}
    return CliRunner().invoke(
        itx_cli, ["import-history", str(tmp_path / "more.csv")], env={**env, "ITX_NOW": NOW}
    )


@pytest.mark.parametrize(
    ("bad_row", "words"),
    [
        ("2026-06,300", "line 3: period 2026-06 is in the future (clock 2026-04)"),
        ("2036-03,300", "line 3: period 2036-03 is in the future (clock 2026-04)"),
        ("2024-03,310", "line 3: period 2024-03 also on line 2"),
        ("2024-04,nan", "line 3: value 'nan' is outside"),
        ("2024-04,inf", "line 3: value 'inf' is outside"),
        ("2024-04,-inf", "line 3: value '-inf' is outside"),
        ("2024-04,1e300", "line 3: value '1e300' is outside 10-5,000 US$ million"),
        ("2024-04,-5", "line 3: value '-5' is outside"),
        ("0001-01,300", "line 3: period 0001-01 is before 1947"),
        ("2024-13,300", "line 3:"),
        ("2024-04,lots", "line 3:"),
    ],
    ids=lambda value: value if "," in value and len(value) < 20 else None,
)
def test_import_history_refuses_a_bad_row_and_imports_nothing(
    store_path: Path, tmp_path: Path, bad_row: str, words: str
) -> None:
    before = rows(store_path, "SELECT count(*) FROM observations")
    result = import_csv(tmp_path, f"period,usd_million\n2024-03,306.2\n{bad_row}\n2024-05,290\n")
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert "more.csv: 1 bad row(s), nothing imported: " in line, line
    assert words in line, line
    assert rows(store_path, "SELECT count(*) FROM observations") == before
    assert rows(store_path, "SELECT count(*) FROM releases") == [(1,)]
    report("future", case=f"import-history row {bad_row}", imported=0)


def test_import_history_lists_ten_bad_rows_at_most(store_path: Path, tmp_path: Path) -> None:
    future = [f"20{30 + n}-01" for n in range(12)]  # twelve Januaries of the 2030s
    result = import_csv(tmp_path, "period,usd_million\n" + "".join(f"{p},300\n" for p in future))
    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert "12 bad row(s), nothing imported" in line and "(and 2 more)" in line, line
    assert line.count("is in the future") == 10
    assert rows(store_path, "SELECT count(*) FROM releases") == [(1,)]


def test_a_good_file_still_imports(store_path: Path, tmp_path: Path) -> None:
    result = import_csv(tmp_path, "period,usd_million\n2024-03,306.2\n2026-05,350\n")
    assert result.exit_code == 0, result.output
    assert "imported 2 observations" in result.stdout
    assert rows(store_path, "SELECT count(*) FROM observations") == [(4,)]


# -- a clock that goes backwards --------------------------------------------------------------


def test_a_clock_going_backwards_cannot_make_a_newer_release_lose(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    """The second release revises March; it is retrieved with the clock three weeks earlier
    than the first. ``ict_monthly`` must show the revised value (the newer stored vintage)."""
    db = configure(tmp_path, loopback)
    ict = published_ict()
    april = Month(2024, 4)
    loopback.serve(PATH, build_dt(april, ict))
    first = cli("run", env={"ITX_NOW": "2024-05-20T10:00:00"})
    assert first.returncode == 0, first.stderr
    march = rows(db, "SELECT usd_million, source FROM ict_monthly WHERE period = '2024-03'")
    assert march == [(pytest.approx(ict[Month(2024, 3)]), "sbp_ebops")]

    revised = dict(ict)
    revised[Month(2024, 3)] = ict[Month(2024, 3)] + 10
    loopback.serve(PATH, build_dt(april, revised))
    second = cli("run", env={"ITX_NOW": "2024-04-28T10:00:00"})  # the clock went back
    assert second.returncode == 0, second.stderr
    retrieved = [r for (r,) in rows(db, "SELECT retrieved_at FROM releases ORDER BY id")]
    assert retrieved[0] > retrieved[1]  # the newer release looks older by its timestamp
    assert rows(db, "SELECT usd_million FROM ict_monthly WHERE period = '2024-03'") == [
        (pytest.approx(revised[Month(2024, 3)]),)
    ]
    assert rows(db, "SELECT kind, period FROM alerts WHERE kind = 'revision'") == [
        ("revision", "2024-03")
    ]
    shown = cli("show", "--months", "3", env={"ITX_NOW": "2024-04-28T10:00:00"})
    assert f"{revised[Month(2024, 3)]:,.2f}"[:5] in shown.stdout, shown.stdout

    # A clock stuck in 1970 makes every month "future": the run fails loudly, stores nothing.
    loopback.serve(PATH, build_dt(april, ict))
    stuck = cli("run", env={"ITX_NOW": "1970-01-01T00:00:00"})
    assert stuck.returncode == 1, stuck.stderr
    assert "is in the future (clock 1970-01)" in stuck.stderr
    report("future", case="clock going backwards, then stuck in 1970", stale=0)
    assert rows(db, "SELECT usd_million FROM ict_monthly WHERE period = '2024-03'") == [
        (pytest.approx(revised[Month(2024, 3)]),)
    ]
