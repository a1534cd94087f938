"""A newcomer's first hour, end to end (issue 10): one clear line per problem, readers that never
write, and a database that is where the user thinks it is — as an unprivileged user."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Loopback, write_config
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

PATH = "/ecodata/dt.xls"
READERS = (
    ("show",),
    ("status", "--json"),
    ("alerts",),
    ("export", "--series", "9"),
    ("search", "exports"),
)


def unprivileged() -> list[str]:
    """The prefix that runs a command as a user who owns nothing here, or skip the test."""
    if os.geteuid() != 0:
        return []  # already an ordinary user
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot become an unprivileged user")
    prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import itx_scraper.cli"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"user nobody cannot run this Python: {probe.stderr.strip()[-200:]}")
    return prefix


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, user: list[str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ITX_")}
    return subprocess.run(
        [*(user or []), sys.executable, "-m", "itx_scraper", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder that another user can reach (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="itx-newcomer-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):  # give write access back before removing
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_readers_work_on_a_database_whose_file_and_folder_are_read_only(
    shared_dir: Path, loopback: Loopback
) -> None:
    user = unprivileged()
    state = shared_dir / "state"
    state.mkdir()
    config = write_config(
        shared_dir / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n',
    )
    db = state / "itx.db"
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    written = cli("run", "--config", str(config), "--db", str(db), cwd=shared_dir)
    assert written.returncode == 0, written.stderr
    assert not (state / "itx.db-wal").exists()  # the writer closed: no WAL index left behind
    before = {p.name: p.read_bytes() for p in state.iterdir()}
    db.chmod(0o444)
    state.chmod(0o555)
    config.chmod(0o444)
    for args in READERS:
        done = cli(*args, "--config", str(config), "--db", str(db), cwd=shared_dir, user=user)
        assert "readonly" not in done.stderr and "Traceback" not in done.stderr, (args, done)
        assert done.returncode in (0, 1), (args, done)  # status exits 1 when attention is needed
        if args[0] != "status":
            assert done.returncode == 0, (args, done.stderr)
    shown = cli("show", "-v", "--config", str(config), "--db", str(db), cwd=shared_dir, user=user)
    assert "2024-04" in shown.stdout
    assert "reading it as an immutable file" in shown.stderr
    assert {p.name: p.read_bytes() for p in state.iterdir()} == before  # nothing was written


def test_show_from_another_folder_names_the_database_and_creates_nothing(
    shared_dir: Path,
) -> None:
    user = unprivileged()
    elsewhere = shared_dir / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o777)  # the user could create state/ here: it must not
    done = cli("show", cwd=elsewhere, user=user)
    assert done.returncode == 1
    assert done.stderr == (
        f"itx-scraper: no database at {elsewhere / 'state' / 'itx.db'}"
        " (set --db, ITX_DB or db in the config)\n"
    )
    assert list(elsewhere.iterdir()) == []


def test_a_typo_in_a_source_key_stops_a_quiet_run(shared_dir: Path, loopback: Loopback) -> None:
    user = unprivileged()
    work = shared_dir / "work"
    work.mkdir()
    work.chmod(0o777)
    config = write_config(work / "itx.toml", f'[sources.sbp_ebops]\nulr = "{loopback.url(PATH)}"\n')
    config.chmod(0o644)
    done = cli(
        "run", "--quiet", "--config", str(config), "--db", str(work / "itx.db"), cwd=work, user=user
    )
    assert done.returncode == 2
    assert done.stderr == (
        "itx-scraper: configuration error: [sources.sbp_ebops] has no key 'ulr'; did you mean"
        " `url`? (it reads: url, enabled)\n"
    )
    assert loopback.requests == []  # nothing was fetched, from the default URL or any other
    assert not (work / "itx.db").exists()


def test_unreachable_hosts_fail_in_one_line_each_without_retrying(tmp_path: Path) -> None:
    """A refused connection and failed DNS lookups: no traceback, one `error:` line per
    source, and no retry even with `retries = 2` (retries are for 5xx answers and timeouts)."""
    host = "http://itx-scraper-test.invalid"  # .invalid never resolves (RFC 2606)
    config = tmp_path / "itx.toml"
    config.write_text(
        "[http]\ndelay = 0.0\nretries = 2\n[history]\nbaseline = false\n"  # retries allowed
        '[run]\nsources = ["sbp_ebops", "sbp_headline", "pid"]\n'
        '[sources.sbp_ebops]\nurl = "http://127.0.0.1:9/ecodata/dt.xls"\n'  # refused
        f'[sources.sbp_headline]\nurl = "{host}/a.pdf"\nfallback_url = "{host}/b.pdf"\n'
        f'[sources.pid]\nurl = "{host}/"\n'
    )
    db = tmp_path / "itx.db"
    done = cli("run", "--config", str(config), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert sorted(line.split(":")[1].strip() for line in errors) == [
        "pid",
        "sbp_ebops",
        "sbp_headline",
    ]
    assert all(": network: " in line and "retries" not in line for line in errors), errors
    assert "refused" in next(e for e in errors if "sbp_ebops" in e).lower()
    assert "(after 1 other URL(s) failed)" in next(e for e in errors if "sbp_headline" in e)
    with sqlite3.connect(db) as conn:
        fetched = conn.execute("SELECT source, error FROM fetches ORDER BY id").fetchall()
    assert len(fetched) == 4  # one attempt per URL: nothing retried
    assert all("after" not in error for _, error in fetched)


def test_read_only_helpers_really_refuse_writes(shared_dir: Path) -> None:
    """The mode bits the reader tests rely on do stop the unprivileged user."""
    user = unprivileged()
    folder = shared_dir / "locked"
    folder.mkdir()
    (folder / "f").write_text("x")
    folder.chmod(0o555)
    mode = stat.S_IMODE(folder.stat().st_mode)
    done = subprocess.run(
        [*user, "touch", str(folder / "g")], capture_output=True, timeout=60, check=False
    )
    assert mode == 0o555 and done.returncode != 0


def test_a_5xx_is_retried_and_the_error_says_how_often(tmp_path: Path, loopback: Loopback) -> None:
    """The other side of the rule above: server errors are retried (with backoff)."""
    config = tmp_path / "itx.toml"
    config.write_text(
        '[http]\ndelay = 0.0\ntimeout = 120.0\nretries = 2\n[run]\nsources = ["sbp_ebops"]\n'
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n'
    )
    loopback.serve(PATH, b"busy", status=503, headers={"Content-Type": "text/plain"})
    done = cli("run", "--config", str(config), "--db", str(tmp_path / "itx.db"), cwd=tmp_path)
    assert done.returncode == 1
    assert len(loopback.requests_to(PATH)) == 3
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith("error: sbp_ebops: 5xx: HTTP 503 from") and "(after 2 retries)" in line


def test_scrapy_crawl_exits_non_zero_after_a_failed_fetch(
    tmp_path: Path, loopback: Loopback
) -> None:
    """`scrapy crawl NAME` tells cron about a failure the way `itx-scraper run` does."""
    from conftest import REPO

    loopback.serve(PATH, b"gone", status=404, headers={"Content-Type": "text/plain"})
    db = tmp_path / "crawl.db"
    crawl = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "sbp_ebops",
        "-a",
        f"url={loopback.url(PATH)}",
    ]
    settings = ["-s", f"ITX_DB={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]
    failed = subprocess.run(
        [*crawl, *settings], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert failed.returncode == 1, failed.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, error_class FROM fetches").fetchall() == [
            ("error", "4xx")
        ]
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    worked = subprocess.run(
        [*crawl, *settings], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert worked.returncode == 0, worked.stderr
