"""Odd inputs and environments end in one line and an exit code, never a traceback (issue 13 §12)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import migrated_store, write_config
from faultkit import report
from sbp_workbook import published_ict

from itx_scraper.cli import cli
from itx_scraper.ingest import import_history


def sql(db: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def invoke(tmp_path: Path, *args: str, env: Mapping[str, str] | None = None) -> Result:
    """The CLI in this process; an exception that escapes it fails the test."""
    full_env = {"ITX_DB": str(tmp_path / "itx.db"), "ITX_CONFIG": str(tmp_path / "itx.toml")}
    return CliRunner().invoke(cli, list(args), env={**full_env, **(env or {})})


def assert_one_line(result: Result, code: int, *words: str) -> str:
    """Exit ``code`` with a single stderr line holding ``words``; nothing escaped the CLI."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A database with the published ICT months up to April 2024, and a config."""
    lines = ["period,usd_million"]
    lines += [f"{m},{v}" for m, v in sorted(published_ict().items()) if str(m) <= "2024-04"]
    (tmp_path / "history.csv").write_text("\n".join(lines) + "\n")
    store = migrated_store(tmp_path / "itx.db")
    try:
        import_history(store, tmp_path / "history.csv")
    finally:
        store.close()
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    return tmp_path / "itx.db"


def test_a_lock_path_that_is_a_directory(tmp_path: Path) -> None:
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    (tmp_path / "itx.db.lock").mkdir()
    result = invoke(tmp_path, "run")
    assert_one_line(result, 1, "cannot open the lock file", "itx.db.lock")
    report("one_line", case="lock path is a directory", exit=1)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_show_as_of_the_ends_of_the_calendar(history: Path, tmp_path: Path, day: str) -> None:
    """``--as-of`` used to add a day to the date, which overflows on 9999-12-31."""
    result = invoke(tmp_path, "show", "--as-of", day)
    assert result.exception is None, result.exception
    assert result.exit_code == 0, result.output
    if day.startswith("9999"):
        assert f"As known at the end of {day} (UTC):" in result.stdout
        assert "2024-04" in result.stdout
    else:
        assert f"nothing was stored by the end of {day}" in result.stdout
    report("one_line", case=f"show --as-of {day}", exit=0)


def test_show_as_of_counts_the_whole_day(history: Path, tmp_path: Path) -> None:
    """A release retrieved during a day counts for that day, not for the day before."""
    [(retrieved,)] = sql(history, "SELECT retrieved_at FROM releases")
    day = retrieved[:10]
    before = f"{int(day[:4]) - 1}{day[4:]}"
    assert "As known at the end of" in invoke(tmp_path, "show", "--as-of", day).stdout
    assert "nothing was stored" in invoke(tmp_path, "show", "--as-of", before).stdout


FIELD = "x" * 200_000  # csv's default field limit is 131,072 characters


@pytest.mark.parametrize(
    "text",
    [
        f"period,usd_million\n2024-05,300\n2024-06,{FIELD}\n",
        f"period,usd_million,{FIELD}\n2024-05,300\n",
        f'period,usd_million,note\n2024-05,300,"{FIELD}\n',
    ],
    ids=["in-a-row", "in-the-header", "unterminated-quote"],
)
def test_a_csv_field_over_128_kb(history: Path, tmp_path: Path, text: str) -> None:
    before = sql(history, "SELECT count(*) FROM observations")
    (tmp_path / "big.csv").write_text(text)
    result = invoke(tmp_path, "import-history", str(tmp_path / "big.csv"))
    assert_one_line(result, 1, "big.csv", "not a readable CSV file", "field larger than")
    assert sql(history, "SELECT count(*) FROM observations") == before
    report("one_line", case="CSV field over 128 KB", exit=1)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-04-20T25:00", "1e308"])
@pytest.mark.parametrize("command", ["run", "status", "show", "import-history"])
def test_garbage_in_itx_now(tmp_path: Path, command: str, value: str) -> None:
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    (tmp_path / "h.csv").write_text("period,usd_million\n2024-05,300\n")
    args = [command, str(tmp_path / "h.csv")] if command == "import-history" else [command]
    result = invoke(tmp_path, *args, env={"ITX_NOW": value})
    assert_one_line(result, 2, "configuration error: ITX_NOW must be an ISO 8601 time")
    assert not (tmp_path / "itx.db").exists()  # refused before anything was opened
    report("one_line", case=f"garbage in ITX_NOW ({command})", exit=2)


def test_garbage_in_itx_max_page_count(tmp_path: Path) -> None:
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    result = invoke(tmp_path, "run", env={"ITX_MAX_PAGE_COUNT": "lots"})
    assert_one_line(result, 1, "ITX_MAX_PAGE_COUNT must be a whole number of pages", "'lots'")
    report("one_line", case="garbage in ITX_MAX_PAGE_COUNT", exit=1)
