"""A newcomer's first hour (issue 10): the database is where they think, failures are one line.

These tests state the behaviour that issue 10 asks of the product; where this branch does
not have it yet they are strict xfails naming the missing piece, so that they start to
fail (XPASS) the moment the product changes land and the marker must go.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANG_GUARD, HTTP_TIMEOUT, cli_in_process

READERS = [
    ("show",),
    ("status",),
    ("alerts",),
    ("export",),
    ("chart",),
    ("search", "exports"),
]
NO_DATABASE = "(set --db, ITX_DB or db in the config)"


@pytest.mark.xfail(
    strict=True,
    reason="issue 10 §4 (lead, on main): read commands create an empty state/itx.db instead "
    "of saying 'no database at PATH'",
)
@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_read_command_never_creates_a_database(command: tuple[str, ...], tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cli_in_process(command, {}, None, elsewhere)  # no --db, ITX_DB or config
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"no database at {Path('state/itx.db')}" in result.stderr
    assert NO_DATABASE in result.stderr
    assert list(elsewhere.iterdir()) == []  # nothing created


@pytest.mark.xfail(
    strict=True,
    reason="issue 10 §4 (lead, on main): `show` from another folder creates ./state/itx.db",
)
def test_show_from_another_folder_as_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITX_")}
    proc = subprocess.run(
        [sys.executable, "-m", "itx_scraper", "show"],
        capture_output=True,
        text=True,
        env={**env, "HOME": str(tmp_path)},
        cwd=tmp_path,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "no database at" in proc.stderr and NO_DATABASE in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.xfail(
    strict=True,
    reason="issue 10 §5 (lead, on main): an unknown key under [sources.<name>] only warns, "
    "and --quiet hides the warning",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="issue 10 §3 (lead, on main): a refused connection and a failed DNS lookup are "
    "retried with backoff, and Scrapy prints tracebacks at the default log level",
)
def test_unreachable_hosts_fail_at_once_with_one_line_per_source(
    tmp_path: Path, cli: object
) -> None:
    (tmp_path / "itx.toml").write_text(
        '[run]\nsources = ["sbp_ebops", "pid"]\n[history]\nbaseline = false\n'
        f"[http]\ndelay = 0.0\ntimeout = {HTTP_TIMEOUT}\nretries = 2\n"
        '[sources.sbp_ebops]\nurl = "http://127.0.0.1:9/dt.xls"\n'  # nothing listens: refused
        '[sources.pid]\nurl = "http://itx-test.invalid/news"\n'  # .invalid never resolves
    )
    result = cli("run")  # type: ignore[operator]
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert sorted(line.split(":")[1].strip() for line in errors) == ["pid", "sbp_ebops"]
    assert "refused" in result.stderr.lower() and "itx-test.invalid" in result.stderr
    # Retries are for 5xx answers and timeouts: Scrapy's stats count none here.
    verbose = cli("run", "-vv")  # type: ignore[operator]
    assert "'retry/count'" not in verbose.stderr
    assert "Dumping Scrapy stats" in verbose.stderr  # the stats were printed, without retries
