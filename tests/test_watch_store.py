"""The watch storage: migration m006 (watches) on a database that holds data, the watches table and the
watch_monthly view."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import migrated_store

from itx_scraper.store import NewRelease, Store, StoreError, schema

OLD_ROWS = [  # (id, release, series, flow, period, value, status, cell)
    (5, 1, "9", "credit", "2024-03", 306.0, "R", "I59"),
    (9, 1, "9", "credit", "2024-04", 310.0, "P", "L59"),
    (12, 1, "9", "debit", "2024-04", 20.5, "P", "M59"),
    (40, 2, "9", "credit", "2024-04", 311.0, "R", "I59"),
    (41, 2, "9", "credit", "2023-07/2024-04", 2593.0, "P", "O59"),
]


def schema_4_database(path: Path) -> None:
    """A database as the code before watches left it (migrations 1-4), holding data."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    migrations = Migrations(schema.MIGRATION_SET)
    for function in schema.MIGRATIONS[:4]:
        migrations()(function)
    migrations.apply(Database(conn))
    conn.execute("DROP VIEW watch_monthly")  # m004 today also makes the new view
    conn.execute("PRAGMA user_version = 4")
    for release in (1, 2):
        conn.execute(
            "INSERT INTO releases (id, source, url, retrieved_at, sha256, size, parse_status,"
            " body) VALUES (?, 'sbp_ebops', 'https://x/dt.xls', ?, ?, 1, 'ok', x'00')",
            [release, f"2024-0{release + 4}-20T10:00:00+00:00", f"sha{release}"],
        )
    for id_, release, series, flow, period, value, status, cell in OLD_ROWS:
        start, _, end = period.partition("/")
        conn.execute(
            "INSERT INTO observations (id, release_id, series, flow, period, period_start,"
            " period_end, months, usd_million, status, sheet, cell, label) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'EBOPS ', ?, 'label')",
            [
                id_,
                release,
                series,
                flow,
                period,
                start,
                end or start,
                10 if end else 1,
                value,
                status,
                cell,
            ],
        )
    conn.close()


def test_migration_keeps_rows_ids_and_the_append_only_rule(tmp_path: Path) -> None:
    path = tmp_path / "itx.db"
    schema_4_database(path)
    with pytest.raises(schema.SchemaError, match="needs an upgrade"):
        Store.open(path, readonly=True)
    before = sqlite3.connect(path).execute("SELECT * FROM observations ORDER BY id").fetchall()
    ict_before = sqlite3.connect(path).execute("SELECT * FROM ict_monthly").fetchall()
    store = migrated_store(path)
    try:
        conn = store.conn
        after = conn.execute(
            "SELECT id, release_id, series, flow, period, period_start, period_end, months,"
            " usd_million, status, sheet, row, col, cell, location, label, header, source_url,"
            " note FROM observations ORDER BY id"
        ).fetchall()
        assert after == before and [row[0] for row in after] == [5, 9, 12, 40, 41]
        assert conn.execute("SELECT DISTINCT unit FROM observations").fetchall() == [(None,)]
        assert conn.execute("SELECT * FROM ict_monthly").fetchall() == ict_before
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for sql in ("UPDATE observations SET usd_million = 1", "DELETE FROM observations"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(observations)")}
        assert {"observations_history", "observations_release"} <= indexes
        # new rows: flow 'value' with a unit; other flows and units are still refused
        with store.transaction():
            store.add_observations(
                2,
                [
                    {
                        "series": "ca",
                        "flow": "value",
                        "period": "2024-04",
                        "period_start": "2024-04",
                        "period_end": "2024-04",
                        "months": 1,
                        "usd_million": -4.5,
                        "unit": "percent",
                    }
                ],
            )
        assert conn.execute("SELECT max(id) FROM observations").fetchone()[0] == 42
        for flow, unit in (("value2", None), ("value", "US$")):
            with pytest.raises(StoreError, match="CHECK constraint"):
                store.add_observations(
                    2,
                    [
                        {
                            "series": "ca",
                            "flow": flow,
                            "period": "2024-05",
                            "period_start": "2024-05",
                            "period_end": "2024-05",
                            "months": 1,
                            "usd_million": 1.0,
                            "unit": unit,
                        }
                    ],
                )
        store.migrate()  # nothing left to do: a second migrate changes nothing
        assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 6
    finally:
        store.close()
    Store.open(path, readonly=True).close()  # readers accept it now


def _release(store: Store, source: str, values: dict[str, float], sha: str) -> int:
    with store.transaction():
        release_id = store.add_release(
            NewRelease(source, "https://x/b.xls", sha.encode(), "2026-04-20T10:00:00", "ok")
        )
        store.add_observations(
            release_id,
            [
                {
                    "series": source,
                    "flow": "value",
                    "period": period,
                    "period_start": period,
                    "period_end": period,
                    "months": 1,
                    "usd_million": value,
                }
                for period, value in values.items()
            ],
        )
    return release_id


def test_watch_monthly_picks_the_latest_vintage_per_watch(tmp_path: Path) -> None:
    store = migrated_store(tmp_path / "itx.db")
    try:
        row = {
            "name": "ca",
            "url": "https://x/b.xls",
            "series": "Current Account Balance",
            "part": None,
            "sheet": None,
            "record": "low",
            "label": "CA",
        }
        store.sync_watches([row, {**row, "name": "remit", "series": "Workers' Remittances"}])
        first = _release(store, "ca", {"2026-01": -100.0, "2026-02": -50.0}, "a")
        second = _release(store, "ca", {"2026-02": -70.0, "2026-03": 20.0}, "b")
        _release(store, "remit", {"2026-03": 3000.0}, "c")
        assert [
            (r["period"], r["value"], r["unit"], r["release_id"]) for r in store.watch_monthly("ca")
        ] == [
            ("2026-01", -100.0, "US$ million", first),
            ("2026-02", -70.0, "US$ million", second),
            ("2026-03", 20.0, "US$ million", second),
        ]
        # A watch that leaves the config keeps its row and its history; a changed one updates.
        store.sync_watches([{**row, "record": "high", "label": "Current account"}])
        assert store.watch("ca") == {**row, "record": "high", "label": "Current account"}
        assert [r["value"] for r in store.watch_monthly("remit")] == [3000.0]
        assert store.watch("nope") is None
        vintages = store.export_watch("ca", vintages=True)
        assert [(r["period"], r["value"]) for r in vintages] == [
            ("2026-01", -100.0),
            ("2026-02", -50.0),
            ("2026-02", -70.0),
            ("2026-03", 20.0),
        ]
    finally:
        store.close()
