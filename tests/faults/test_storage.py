"""Storage faults: a full database, a read-only file or folder, a missing folder.

Each run must fail with one clear line and exit 1, leave the database intact (integrity
check, earlier data untouched), and the next healthy run must catch up, alerts included.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import HANG_GUARD, Loopback, migrated_store, write_config
from faultkit import (
    Done,
    cli_env,
    file_modes_can_bind,
    integrity,
    report,
    run_cli,
    sql,
    without_root_override,
)
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month
from itx_scraper.ingest import history_observations, import_history
from itx_scraper.spiders.sbp_ebops import parse_workbook

PATH = "/ecodata/dt.xls"
RELEASE = Month(2023, 12)
NOW = "2024-01-20T10:00:00"


class Seeded:
    def __init__(self, folder: Path, loopback: Loopback, db: Path | None = None) -> None:
        self.folder, self.loopback = folder, loopback
        self.db = db or folder / "itx.db"
        write_config(
            folder / "itx.toml",
            f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
            f'[history]\nbaseline = false\n[notify]\nurls = ["{loopback.hook("/hook")}"]\n',
        )
        self.body = build_dt(RELEASE, published_ict())
        loopback.serve(PATH, self.body, etag='"dec"')
        lines = ["period,usd_million"]
        lines += [f"{m},{v}" for m, v in sorted(published_ict().items()) if m < RELEASE]
        self.csv = folder / "history.csv"
        self.csv.write_text("\n".join(lines) + "\n")
        self.history = len(history_observations(self.csv.read_bytes(), label="h")[0])

    def seed(self) -> None:
        store = migrated_store(self.db)
        try:
            import_history(store, self.csv)
        finally:
            store.close()

    def run(self, preexec: Callable[[], None] | None = None, **env: str) -> Done:
        """The real CLI; ``preexec`` runs in a fresh child before it starts."""
        environment = {"ITX_DB": str(self.db), "ITX_NOW": NOW, **env}
        if preexec is None:
            return run_cli(self.folder, "run", **environment)
        proc = subprocess.run(
            [sys.executable, "-m", "itx_scraper", "run"],
            capture_output=True,
            text=True,
            env=cli_env(self.folder, **environment),
            cwd=self.folder,
            timeout=HANG_GUARD,
            preexec_fn=preexec,
            check=False,
        )
        return Done(proc.returncode, proc.stdout, proc.stderr, 0.0)

    def assert_intact(self) -> None:
        assert integrity(self.db) == "ok"
        assert sql(self.db, "SELECT count(*) FROM observations") == [(self.history,)]
        assert sql(self.db, "SELECT source, parse_status FROM releases") == [("import", "ok")]

    def assert_caught_up(self) -> None:
        done = self.run()
        assert done.returncode == 0, done.stderr
        assert integrity(self.db) == "ok"
        expected = self.history + len(parse_workbook(self.body).observations)
        assert sql(self.db, "SELECT count(*) FROM observations") == [(expected,)]
        assert sql(self.db, "SELECT max(period) FROM ict_monthly WHERE source = 'sbp_ebops'") == [
            (str(RELEASE),)
        ]
        titles = [t for (t,) in sql(self.db, "SELECT title FROM alerts")]
        assert titles and sql(
            self.db, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL"
        ) == [(0,)]
        posted = Counter(p["title"] for p in self.loopback.posts.get("/hook", []))
        assert posted == Counter(titles)  # each alert exactly once


def one_clear_error(done: Done, *needles: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert all(n in done.stderr for n in needles), done.stderr


@pytest.fixture
def seeded(tmp_path: Path, loopback: Loopback) -> Seeded:
    setup = Seeded(tmp_path, loopback)
    setup.seed()
    return setup


def test_database_full_while_storing_a_release(seeded: Seeded) -> None:
    pages = sql(seeded.db, "PRAGMA page_count")[0][0]
    # A few pages of headroom: run bookkeeping fits, a 15 KB workbook and its figures do not.
    done = seeded.run(ITX_MAX_PAGE_COUNT=str(pages + 2))
    one_clear_error(done, "error: sbp_ebops: storage:", "database or disk is full")
    seeded.assert_intact()
    assert sql(seeded.db, "SELECT status, error_class FROM fetches") == [("error", "storage")]
    seeded.assert_caught_up()
    report(
        "storage",
        case="database full (document does not fit)",
        exit=done.returncode,
        corrupt=0,
        lost=0,
    )


def fill_up(db: Path) -> None:
    """Use the last free byte: fill the run and fetch logs' pages until SQLite refuses."""
    conn = sqlite3.connect(db)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    for table, row in (
        ("fetches", "(source, url, started_at, status) VALUES ('filler', 'x', '2000', 'ok')"),
        ("runs", "(started_at, status) VALUES ('2000-01-01', 'filler')"),
    ):
        try:
            while True:
                conn.execute(f"INSERT INTO {table} {row}")
                conn.commit()
        except sqlite3.OperationalError as exc:
            assert "full" in str(exc)
            conn.rollback()
    conn.close()


def test_database_completely_full(seeded: Seeded) -> None:
    fill_up(seeded.db)
    pages = sql(seeded.db, "PRAGMA page_count")[0][0]
    done = seeded.run(ITX_MAX_PAGE_COUNT=str(pages))
    one_clear_error(done, "itx-scraper: cannot write database", "database or disk is full")
    assert integrity(seeded.db) == "ok"
    assert sql(seeded.db, "SELECT count(*) FROM observations") == [(seeded.history,)]
    assert sql(seeded.db, "SELECT count(*) FROM runs WHERE status != 'filler'") == [(0,)]
    seeded.assert_caught_up()
    report("storage", case="database completely full", exit=done.returncode, corrupt=0, lost=0)


@pytest.mark.skipif(not file_modes_can_bind(), reason="root without CAP_SETPCAP ignores chmod")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_database(what: str, tmp_path: Path, loopback: Loopback) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    setup = Seeded(tmp_path, loopback, db=folder / "itx.db")
    setup.seed()
    target = setup.db if what == "file" else folder
    mode = target.stat().st_mode
    target.chmod(0o444 if what == "file" else 0o555)
    try:
        done = setup.run(preexec=without_root_override)
    finally:
        target.chmod(mode)
    one_clear_error(done, "itx-scraper: cannot ", "readonly database", str(setup.db))
    setup.assert_intact()
    setup.assert_caught_up()
    report("storage", case=f"read-only database {what}", exit=done.returncode, corrupt=0, lost=0)


def test_missing_database_folder(tmp_path: Path, loopback: Loopback) -> None:
    setup = Seeded(tmp_path, loopback, db=tmp_path / "gone" / "itx.db")
    done = setup.run()
    one_clear_error(done, "database directory does not exist", str(tmp_path / "gone"))
    assert not (tmp_path / "gone").exists()  # nothing created behind the user's back
    (tmp_path / "gone").mkdir()
    setup.seed()  # the user restores the folder (and their history) ...
    setup.assert_intact()
    setup.assert_caught_up()  # ... and the next run catches up
    report("storage", case="missing database folder", exit=done.returncode, corrupt=0, lost=0)


READ_COMMANDS = [
    ("show",),
    ("show", "--as-of", "2024-02-18"),
    ("status", "--json"),
    ("alerts",),
    ("export", "--vintages"),
    ("search", "exports"),
    ("chart", "--output", "{out}/chart.png"),
]


@pytest.mark.skipif(not file_modes_can_bind(), reason="root without CAP_SETPCAP ignores chmod")
def test_read_commands_on_a_read_only_database(tmp_path: Path) -> None:
    """An analyst who may read the file but not write it or its folder can query it."""
    from query_fixture import build

    writable, locked = tmp_path / "writable", tmp_path / "locked"
    for folder in (writable, locked):
        folder.mkdir()
        build(folder / "itx.db")
    out = tmp_path / "out"
    out.mkdir()
    (locked / "itx.db").chmod(0o444)
    locked.chmod(0o555)
    try:
        for command in READ_COMMANDS:
            args = [arg.format(out=out) for arg in command]
            expected = reader(args, writable / "itx.db", preexec=None)
            assert expected.returncode in (0, 1) and expected.stdout, (command, expected.stderr)
            got = reader(args, locked / "itx.db", preexec=without_root_override)
            assert "Traceback" not in got.stderr, (command, got.stderr)
            assert (got.returncode, got.stdout) == (expected.returncode, expected.stdout), (
                command,
                got.stderr,
            )
        assert sorted(p.name for p in locked.iterdir()) == ["itx.db"]  # no -wal, -shm, lock
    finally:
        locked.chmod(0o755)


def reader(args: list[str], db: Path, preexec: Callable[[], None] | None) -> Done:
    proc = subprocess.run(
        [sys.executable, "-m", "itx_scraper", *args],
        capture_output=True,
        text=True,
        env=cli_env(db.parent, ITX_DB=str(db), ITX_NOW="2024-03-01T10:00:00", ITX_CONFIG=""),
        cwd=db.parent.parent,
        timeout=HANG_GUARD,
        preexec_fn=preexec,
        check=False,
    )
    return Done(proc.returncode, proc.stdout, proc.stderr, 0.0)
