"""A 304 on first contact is an error (issue 13 §10); a newer schema is refused (§12).

Before, a 304 to a request that carried no validator was logged as "not modified" with exit 0,
and ``status`` then exited 0 with no release stored; a database with an unknown migration or
``user_version`` 99 was used silently.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import Cli, Loopback, migrated_store, write_config
from faultkit import report

from itx_scraper.store.schema import SCHEMA_VERSION

PATH = "/ecodata/dt.xls"


def rows(db: Path, query: str) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(query).fetchall()


def test_a_304_without_a_prior_fetch_is_an_error(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    loopback.serve(PATH, b"", status=304)
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        "[history]\nbaseline = false\n",
    )
    db = tmp_path / "itx.db"
    for _ in range(2):  # no validator is ever stored, so the second contact is a first too
        result = cli("run")
        assert result.returncode == 1, result.stderr
        assert "error: sbp_ebops: http: 304 without a prior fetch from" in result.stderr
        assert "not modified" not in result.stdout
        assert "If-None-Match" not in loopback.requests_to(PATH)[-1].headers
    assert rows(db, "SELECT status, error_class, http_status FROM fetches") == [
        ("error", "http", 304),
        ("error", "http", 304),
    ]
    assert rows(db, "SELECT count(*) FROM releases") == [(0,)]
    status = cli("status")
    assert status.returncode == 1, status.stdout
    assert "sbp_ebops" in status.stdout and "http" in status.stdout
    report("contact", case="304 without a prior fetch", exit=1, status_exit=status.returncode)


def schema_db(tmp_path: Path) -> Path:
    store = migrated_store(tmp_path / "itx.db")
    store.close()
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    return tmp_path / "itx.db"


def newer_by_version(db: Path) -> None:
    with closing(sqlite3.connect(db)) as conn, conn:  # closed: the WAL is checkpointed
        conn.execute("PRAGMA user_version = 99")


def newer_by_migration(db: Path) -> None:
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('itx_scraper', 'm999_from_the_future', '2030-01-01')"
        )


@pytest.mark.parametrize(
    ("make_newer", "shown"),
    [(newer_by_version, "99"), (newer_by_migration, str(SCHEMA_VERSION + 1))],
    ids=["user_version-99", "unknown-migration"],
)
@pytest.mark.parametrize("command", ["run", "status", "show", "export", "import-history"])
def test_a_newer_schema_is_refused(
    tmp_path: Path, cli: Cli, make_newer: object, shown: str, command: str
) -> None:
    db = schema_db(tmp_path)
    make_newer(db)  # type: ignore[operator]
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    (tmp_path / "h.csv").write_text("period,usd_million\n2024-01,300\n")
    args = [command, str(tmp_path / "h.csv")] if command == "import-history" else [command]
    result = cli(*args)
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"database schema {shown} of {db}" in line, line
    assert f"is newer than this version ({SCHEMA_VERSION}); upgrade itx-scraper" in line, line
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # not migrated, not written
    report("schema", case=f"{command}: schema {shown}", exit=1)
