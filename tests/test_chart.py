"""`chart` through the CLI: a real PNG; and record alerts that carry it as an Apprise attachment."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from conftest import Cli, Loopback, migrated_store, write_config
from png_check import check_png
from query_fixture import build
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month
from itx_scraper.ingest import load_baseline
from itx_scraper.query.chart import plan

PATH = "/ecodata/dt.xls"


@pytest.fixture
def blocked_matplotlib(tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess in which `import matplotlib` fails, as without the extra."""
    fake = tmp_path / "no-matplotlib" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('matplotlib is not installed')\n")
    return {"PYTHONPATH": str(fake.parent)}


def test_chart_writes_a_real_png(tmp_path: Path, cli: Cli) -> None:
    build(tmp_path / "itx.db")
    result = cli("chart", "--output", "ict.png", "--months", "24")
    assert result.returncode == 0, result.stderr
    # 24 months up to Oct-23; Aug-22, Sep-23 and Oct-23 beat every earlier month.
    assert result.stdout.strip() == (
        "wrote ict.png (2021-11 to 2023-10, 24 months; record months: 2022-08, 2023-09, 2023-10;"
        " sources: SBP EBOPS workbook (2022-09 … 2023-10); bundled history (2022-07 … 2023-07);"
        " imported history (2023-06))"
    )
    check_png((tmp_path / "ict.png").read_bytes())

    short = cli("chart", "--months", "12")
    assert short.returncode == 0, short.stderr
    assert "record months: 2023-09, 2023-10;" in short.stdout  # Aug-22 falls outside
    check_png((tmp_path / "itx-chart.png").read_bytes())


def test_chart_errors_are_clear(tmp_path: Path, cli: Cli, blocked_matplotlib: dict) -> None:
    nothing = cli("chart")
    assert nothing.returncode == 1
    assert f"no database at {tmp_path / 'itx.db'}" in nothing.stderr
    assert not (tmp_path / "itx.db").exists()  # a reader never creates one
    build(tmp_path / "itx.db")
    other = cli("chart", "--series", "9.2")
    assert other.returncode == 1
    assert "series 9.2 has no monthly figures; stored series: 9" in other.stderr
    missing = cli("chart", env=blocked_matplotlib, cold=True)
    assert missing.returncode == 1
    assert "pip install 'itx-scraper[chart]'" in missing.stderr
    assert not (tmp_path / "itx-chart.png").exists()
    nowhere = cli("chart", "--output", str(tmp_path / "no" / "dir.png"))
    assert nowhere.returncode == 1 and "does not exist" in nowhere.stderr


def test_plan_marks_fiscal_years_and_the_12_month_average(tmp_path: Path) -> None:
    store = migrated_store(tmp_path / "itx.db")
    try:
        load_baseline(store)
        rows = [r for r in store.best_monthly() if r["period"] <= "2024-06"]
    finally:
        store.close()
    chart = plan(rows, 24)
    assert (chart.window[0], chart.window[-1], len(chart.window)) == (
        Month(2022, 7),
        Month(2024, 6),
        24,
    )
    assert chart.boundaries == (Month(2023, 7),)  # the first July opens the window: no line
    assert chart.records == (Month(2023, 12), Month(2024, 3), Month(2024, 4), Month(2024, 5))
    # FY24 (Jul-23..Jun-24) adds up to 3,223; FY23 to 2,594.
    assert chart.average[Month(2024, 6)] == pytest.approx(3223 / 12)
    assert chart.average[Month(2023, 6)] == pytest.approx(2594 / 12)


def _history_until(path: Path, last: Month) -> Path:
    rows = [f"{m},{v}" for m, v in sorted(published_ict().items()) if m <= last]
    path.write_text("period,usd_million\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def april_2024(tmp_path: Path, loopback: Loopback, cli: Cli) -> Loopback:
    """History to Mar-24 imported; SBP's Apr-24 release (a record, 310 > 306) being served."""
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[run]\nsources = ["sbp_ebops"]\n'
        "[history]\nbaseline = false\n",
    )
    imported = cli("import-history", str(_history_until(tmp_path / "h.csv", Month(2024, 3))))
    assert imported.returncode == 0, imported.stderr
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    return loopback


def test_record_alert_carries_the_chart(april_2024: Loopback, cli: Cli) -> None:
    result = cli("run", env={"ITX_NOTIFY": april_2024.hook("/hook")})
    assert result.returncode == 0, result.stderr
    posts = {post["title"].split(":")[0]: post for post in april_2024.posts["/hook"]}
    assert len(april_2024.posts["/hook"]) == 2, [p["title"] for p in april_2024.posts["/hook"]]
    record = posts["Record"]
    assert "$310 million in April 2024" in record["message"]
    [attachment] = record["attachments"]
    assert attachment["mimetype"] == "image/png"
    assert attachment["filename"].endswith(".png")
    check_png(base64.b64decode(attachment["base64"]))
    new_month = next(p for t, p in posts.items() if t != "Record")
    assert new_month["attachments"] == []  # only record alerts carry the chart


def test_record_alert_without_matplotlib_goes_out_plain(
    april_2024: Loopback, cli: Cli, blocked_matplotlib: dict
) -> None:
    hook = {"ITX_NOTIFY": april_2024.hook("/hook")}
    result = cli("run", "-v", env={**hook, **blocked_matplotlib}, cold=True)
    assert result.returncode == 0, result.stderr
    assert len(april_2024.posts["/hook"]) == 2
    assert all(post["attachments"] == [] for post in april_2024.posts["/hook"])
    assert "matplotlib is not installed; record alerts go out without the chart" in result.stderr
