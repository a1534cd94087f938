"""A newcomer's first hour (issue 10): the database is where they think, failures are one line.

In-process through the CLI; tests/test_newcomer_e2e.py runs the same cases as real processes
of an unprivileged user, and the unreachable-host case.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cli_in_process

READERS = [
    ("show",),
    ("status",),
    ("alerts",),
    ("export",),
    ("chart",),
    ("search", "exports"),
]
NO_DATABASE = "(set --db, ITX_DB or db in the config)"


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_read_command_never_creates_a_database(command: tuple[str, ...], tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cli_in_process(command, {}, None, elsewhere)  # no --db, ITX_DB or config
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"no database at {elsewhere / 'state' / 'itx.db'}" in result.stderr
    assert NO_DATABASE in result.stderr
    assert list(elsewhere.iterdir()) == []  # nothing created


def test_a_typo_in_a_source_key_is_an_error_even_when_quiet(tmp_path: Path) -> None:
    (tmp_path / "itx.toml").write_text(
        '[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nulr = "http://127.0.0.1:9/x"\n'
    )
    env = {"ITX_DB": str(tmp_path / "itx.db"), "ITX_CONFIG": str(tmp_path / "itx.toml")}
    # In-process: the run must stop before crawling (cli_in_process refuses a crawl).
    result = cli_in_process(("run", "--quiet"), env, None, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "ulr" in result.stderr and "did you mean `url`?" in result.stderr
    assert "Traceback" not in result.stderr
