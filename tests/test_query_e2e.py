"""`show --as-of` and `export` through the real CLI in a subprocess, on a hand-made history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli
from query_fixture import build


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build(tmp_path / "itx.db")  # the `cli` fixture points ITX_DB here


def table(stdout: str) -> dict[str, list[str]]:
    """Rows of the show table keyed by period (header and rule skipped)."""
    lines = [line for line in stdout.splitlines() if line[:4].isdigit()]
    return {line.split()[0]: line.split()[1:] for line in lines}


def test_show_as_of_replays_what_was_known(db: Path, cli: Cli) -> None:
    result = cli("show", "--as-of", "2024-02-18")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "As known at the end of 2024-02-18 (UTC):"
    rows = table(result.stdout)
    assert list(rows) == [
        "2022-07",
        "2022-08",
        "2022-09",
        "2023-06",
        "2023-07",
        "2023-08",
        "2023-09",
    ]
    # Sep-23 was first printed at 125 (P); MoM against Aug-23's 119: +5.0%.
    assert rows["2023-09"] == ["125.00", "+5.0%", "+13.6%", "P", "sbp_ebops"]
    assert rows["2023-07"] == ["120.00", "+33.3%", "+20.0%", "baseline"]

    later = table(cli("show", "--as-of", "2024-02-19").stdout)
    assert later["2023-09"] == ["127.00", "+6.7%", "+15.5%", "R", "sbp_ebops"]
    assert later["2023-10"] == ["130.00", "+2.4%", "+23.8%", "P", "sbp_ebops"]
    assert table(cli("show").stdout) == later  # today = everything stored

    empty = cli("show", "--as-of", "2024-01-02")
    assert empty.returncode == 0
    assert empty.stdout.strip() == "nothing was stored by the end of 2024-01-02 (UTC)"
    bad = cli("show", "--as-of", "20-05-2024")
    assert bad.returncode == 2
    assert "--as-of" in bad.stderr


EXPECTED_CSV = """\
series,flow,period,period_start,period_end,months,usd_million,status,source
9,credit,2022-07,2022-07,2022-07,1,100.0,,baseline
9,credit,2022-07/2022-09,2022-07,2022-09,3,331.0,,sbp_ebops
9,credit,2022-07/2022-10,2022-07,2022-10,4,436.0,,sbp_ebops
9,credit,2022-08,2022-08,2022-08,1,120.0,,baseline
9,credit,2022-09,2022-09,2022-09,1,110.0,R,sbp_ebops
9,credit,2022-10,2022-10,2022-10,1,105.0,R,sbp_ebops
9,credit,2023-06,2023-06,2023-06,1,90.0,,import
9,credit,2023-07,2023-07,2023-07,1,120.0,,baseline
9,credit,2023-07/2023-09,2023-07,2023-09,3,360.0,P,sbp_ebops
9,credit,2023-07/2023-10,2023-07,2023-10,4,497.0,P,sbp_ebops
9,credit,2023-08,2023-08,2023-08,1,119.0,R,sbp_ebops
9,credit,2023-09,2023-09,2023-09,1,127.0,R,sbp_ebops
9,credit,2023-10,2023-10,2023-10,1,130.0,P,sbp_ebops
9,debit,2023-07/2023-10,2023-07,2023-10,4,50.0,P,sbp_ebops
9,debit,2023-09,2023-09,2023-09,1,20.0,P,sbp_ebops
services,credit,2023-09,2023-09,2023-09,1,600.0,P,sbp_ebops
"""


def test_export_csv_is_the_chosen_value_per_period(db: Path, cli: Cli) -> None:
    result = cli("export")
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED_CSV
    only = cli("export", "--series", "services", "--format", "csv")
    assert only.stdout.splitlines()[1:] == [EXPECTED_CSV.splitlines()[-1]]


def test_export_of_an_absent_series_names_the_stored_ones(db: Path, cli: Cli) -> None:
    """A typo in a cron job's --series must not commit an empty file (issue 10 §6)."""
    for args in (("--series", "9.9"), ("--series", "9", "--series", "99", "--vintages")):
        result = cli("export", *args)
        assert result.returncode == 1, result.stdout
        assert result.stdout == ""
        bad = args[-2] if args[-1] == "--vintages" else args[-1]
        assert result.stderr.strip() == (
            f"itx-scraper: series {bad} has no monthly figures; stored series: 9, services"
        )


def test_export_json_vintages_to_a_file_is_stable(db: Path, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "git" / "ict.json"
    out.parent.mkdir()
    result = cli(
        "export",
        "--format",
        "json",
        "--series",
        "9",
        "--vintages",
        "--output",
        str(out),
        process=True,
    )  # once as a real process
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "wrote 18 rows" in result.stderr
    first = out.read_bytes()
    records = json.loads(first)
    assert len(records) == 18  # every series-9 observation of the fixture
    key = [(r["series"], r["flow"], r["period"], r["retrieved_at"]) for r in records]
    assert key == sorted(key)
    aug = [
        (r["usd_million"], r["source"], r["release_id"], r["status"], r["cell"])
        for r in records
        if r["period"] == "2023-08"
    ]
    assert aug == [(118.0, "baseline", 2, None, "C13"), (119.0, "sbp_ebops", 3, "R", "C10")]
    sep = [r for r in records if r["period"] == "2023-09" and r["flow"] == "credit"]
    assert [(r["usd_million"], r["status"], r["retrieved_at"]) for r in sep] == [
        (125.0, "P", "2024-01-18T10:00:00+00:00"),
        (127.0, "R", "2024-02-19T10:00:00+00:00"),
    ]
    assert sep[0]["url"] == "https://example.org/sbp_ebops/3"
    assert set(records[0]) == {
        "series",
        "flow",
        "period",
        "period_start",
        "period_end",
        "months",
        "usd_million",
        "status",
        "release_id",
        "source",
        "retrieved_at",
        "url",
        "sheet",
        "cell",
    }
    # An existing file is replaced only with --force (an export never destroys a file
    # by accident); same database, same bytes: safe to commit from cron.
    args = ("export", "--format", "json", "--series", "9", "--vintages", "--output", str(out))
    refused = cli(*args)
    assert refused.returncode == 1 and "give --force to replace it" in refused.stderr
    assert out.read_bytes() == first
    assert cli(*args, "--force").returncode == 0
    assert out.read_bytes() == first
    assert not list(out.parent.glob("*.partial"))
    again = cli("export", "--format", "json", "--series", "9", "--vintages")
    assert again.stdout.encode() == first


def test_export_to_a_missing_directory_fails_clearly(db: Path, cli: Cli, tmp_path: Path) -> None:
    result = cli("export", "--output", str(tmp_path / "nope" / "x.csv"))
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "nope" in result.stderr


def test_new_commands_have_help(cli: Cli) -> None:
    for command, words in (
        ("export", "--vintages"),
        ("chart", "--months"),
        ("demo", "--notify"),
        ("show", "--as-of"),
    ):
        result = cli(command, "--help")
        assert result.returncode == 0
        assert words in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("show", "--months", "0"),
        ("show", "--months", "-2"),
        ("alerts", "--limit", "0"),
        ("search", "IT", "--limit", "-1"),
    ],
)
def test_counts_below_one_are_usage_errors(db: Path, cli: Cli, args: tuple[str, ...]) -> None:
    """`show --months 0` printed the whole history and `--limit -1` everything."""
    result = cli(*args)
    assert result.returncode == 2, result.stdout
    assert "is not in the range x>=1" in result.stderr
