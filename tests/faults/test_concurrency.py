"""Concurrency: readers during a run (WAL), two runs at once, a daemon next to a manual run."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import Loopback, migrated_store, write_config
from faultkit import report, run_cli, sql, start_cli
from pausing import Pause, wait_for
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month
from itx_scraper.ingest import history_observations, import_history
from itx_scraper.spiders.sbp_ebops import parse_workbook

PATH = "/ecodata/dt.xls"
RELEASE = Month(2023, 12)
LOCKED = 75


@pytest.fixture
def setup(tmp_path: Path, loopback: Loopback) -> tuple[Path, bytes, int]:
    """History up to November in the database; December's workbook on the server."""
    lines = ["period,usd_million"]
    lines += [f"{m},{v}" for m, v in sorted(published_ict().items()) if m < RELEASE]
    csv = tmp_path / "history.csv"
    csv.write_text("\n".join(lines) + "\n")
    store = migrated_store(tmp_path / "itx.db")
    try:
        import_history(store, csv)
    finally:
        store.close()
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        "[history]\nbaseline = false\n",
    )
    body = build_dt(RELEASE, published_ict())
    loopback.serve(PATH, body)
    return tmp_path / "itx.db", body, len(history_observations(csv.read_bytes(), label="h")[0])


class Poller(threading.Thread):
    """Reads the database in a loop, each time in its own read transaction."""

    def __init__(self, db: Path, expected: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.db, self.expected = db, expected
        self.stop = threading.Event()
        self.polls = 0
        self.saw_new_release = False
        self.violations: list[tuple] = []

    def run(self) -> None:
        conn = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            while not self.stop.is_set():
                conn.execute("BEGIN")
                rows = conn.execute(
                    """SELECT r.id, r.source, count(o.id) FROM releases r
                       LEFT JOIN observations o ON o.release_id = r.id
                       WHERE r.parse_status = 'ok' GROUP BY r.id"""
                ).fetchall()
                conn.execute("COMMIT")
                self.polls += 1
                for release_id, source, count in rows:
                    self.saw_new_release |= source == "sbp_ebops"
                    if count != self.expected[source]:
                        self.violations.append((release_id, source, count))
        finally:
            conn.close()


def test_readers_never_see_half_a_release_and_do_not_block_the_run(
    setup: tuple[Path, bytes, int], tmp_path: Path
) -> None:
    db, body, history_count = setup
    expected = {"import": history_count, "sbp_ebops": len(parse_workbook(body).observations)}
    # A long read transaction, open for the whole run (as Datasette or a notebook would).
    long_reader = sqlite3.connect(db, isolation_level=None)
    long_reader.execute("BEGIN")
    before = long_reader.execute("SELECT count(*) FROM releases").fetchone()[0]
    poller = Poller(db, expected)
    poller.start()
    # The run sits inside its write transaction, right after inserting the release row and
    # before its observations, until the pollers have read 20 more times: they must never
    # see that state.
    pause = Pause(tmp_path / "pause", "ingest.release")
    proc = start_cli(tmp_path, "run", **pause.env)
    pause.wait(proc)
    seen = poller.polls
    wait_for(lambda: poller.polls > seen + 20, "20 reads during the transaction", proc=proc)
    pause.release()
    _, err = proc.communicate(timeout=120)
    seen = poller.polls
    wait_for(lambda: poller.polls > seen, "a read after the commit")
    poller.stop.set()
    poller.join(timeout=30)
    assert proc.returncode == 0, err
    assert poller.violations == []
    assert poller.saw_new_release  # the poller kept reading through the commit
    assert poller.polls > 20
    # The long transaction still sees its snapshot; after it ends it sees the release.
    assert long_reader.execute("SELECT count(*) FROM releases").fetchone()[0] == before
    long_reader.execute("COMMIT")
    assert long_reader.execute("SELECT count(*) FROM releases").fetchone()[0] == before + 1
    long_reader.close()
    assert sql(db, "PRAGMA journal_mode") == [("wal",)]
    assert sql(db, "PRAGMA integrity_check") == [("ok",)]
    report(
        "concurrency",
        case="long reader + polling reader during a run",
        polls=poller.polls,
        violations=len(poller.violations),
    )


def test_two_runs_at_once_the_lock_holds(setup: tuple[Path, bytes, int], tmp_path: Path) -> None:
    db = setup[0]
    pause = Pause(tmp_path / "pause", "crawl.before")
    first = start_cli(tmp_path, "run", **pause.env)
    pause.wait(first)
    second = run_cli(tmp_path, "run")
    history = run_cli(tmp_path, "import-history", str(tmp_path / "history.csv"))
    assert first.poll() is None, "the first run ended before the others tried"
    pause.release()
    assert second.returncode == LOCKED
    assert "another itx-scraper run holds" in second.stderr
    assert history.returncode == LOCKED
    assert sql(db, "SELECT count(*) FROM runs") == [(1,)]  # the second run wrote nothing
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert sql(db, "SELECT status FROM runs") == [("ok",)]
    report("concurrency", case="two runs at once", second_exit=second.returncode)


def daemon_available() -> bool:
    from itx_scraper.cli import cli

    return "daemon" in cli.commands


@pytest.mark.skipif(not daemon_available(), reason="no `daemon` command in this build yet")
def test_daemon_and_a_manual_run_share_the_lock(
    setup: tuple[Path, bytes, int], tmp_path: Path
) -> None:
    db = setup[0]
    # The daemon's first cycle holds the lock (its child inherits the pause).
    pause = Pause(tmp_path / "pause-daemon", "crawl.before")
    daemon = start_cli(tmp_path, "daemon", "--interval", "3600", **pause.env)
    try:
        pause.wait(daemon)
        manual = run_cli(tmp_path, "run")
        assert manual.returncode == LOCKED, manual.stderr
    finally:
        daemon.send_signal(signal.SIGTERM)  # finish the cycle, then exit 0
        pause.release()
        _, err = daemon.communicate(timeout=120)
    assert daemon.returncode == 0, err
    assert sql(db, "SELECT status FROM runs") == [("ok",)]

    # A manual run holds the lock: the daemon's cycle is skipped and the daemon goes on.
    pause = Pause(tmp_path / "pause-manual", "crawl.before")
    manual_proc = start_cli(tmp_path, "run", **pause.env)
    pause.wait(manual_proc)
    daemon = start_cli(tmp_path, "daemon", "--interval", "3600")
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(daemon.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("75" in line for line in log) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert manual_proc.poll() is None, "the manual run ended before the daemon's cycle"
        assert any("75" in line for line in log), log
        time.sleep(0.3)
        assert daemon.poll() is None, "the daemon stopped when its cycle found the lock held"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)
        reader.join(timeout=10)
        daemon.communicate()  # closes the pipes
        pause.release()
    manual_proc.communicate(timeout=120)
    assert manual_proc.returncode == 0
    assert daemon.returncode == 0, log
    assert sql(db, "SELECT count(*) FROM runs") == [(2,)]  # the skipped cycle added none
    report("concurrency", case="daemon and manual run", ok=True)
