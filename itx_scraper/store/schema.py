"""The schema: sqlite-utils migrations, the views, and the version check that guards both.

Only writers migrate (``run``, ``import-history``, the daemon); readers check that the file's
schema is the one this code knows and never write. sqlite-utils is imported only to migrate.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from itx_scraper.core.errors import ItxError
from itx_scraper.core.sources import SOURCES

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "itx_scraper"


class SchemaError(ItxError):
    """The database's schema is older or newer than this version of the code."""


def m001_core(db: Database) -> None:
    """Releases, append-only observations, the fetch log, runs, alerts and deliveries."""
    db.executescript(
        """
        CREATE TABLE source_ranks (
            source TEXT PRIMARY KEY,
            rank INTEGER NOT NULL,
            official INTEGER NOT NULL
        );
        CREATE TABLE releases (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            retrieved_at TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT,
            last_modified TEXT,
            content_type TEXT,
            format TEXT,
            parse_status TEXT NOT NULL CHECK (parse_status IN ('ok', 'error')),
            parse_error TEXT,
            latest_period TEXT,
            doc_key TEXT,
            title TEXT,
            published_at TEXT,
            text TEXT,
            body BLOB NOT NULL,
            UNIQUE (source, sha256)
        );
        CREATE INDEX releases_source_url ON releases (source, url, id);
        CREATE TABLE observations (
            id INTEGER PRIMARY KEY,
            release_id INTEGER NOT NULL REFERENCES releases (id),
            series TEXT NOT NULL,
            flow TEXT NOT NULL CHECK (flow IN ('credit', 'debit', 'net')),
            period TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            months INTEGER NOT NULL,
            usd_million REAL NOT NULL,
            status TEXT CHECK (status IN ('P', 'R')),
            sheet TEXT,
            row INTEGER,
            col INTEGER,
            cell TEXT,
            location TEXT,
            label TEXT,
            header TEXT,
            source_url TEXT,
            note TEXT
        );
        CREATE INDEX observations_series ON observations (series, flow, months, period_end);
        CREATE INDEX observations_release ON observations (release_id);
        CREATE TRIGGER observations_no_update BEFORE UPDATE ON observations
        BEGIN SELECT RAISE(ABORT, 'observations are append-only'); END;
        CREATE TRIGGER observations_no_delete BEFORE DELETE ON observations
        BEGIN SELECT RAISE(ABORT, 'observations are append-only'); END;
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            run_id INTEGER,
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('ok', 'not_modified', 'error')),
            http_status INTEGER,
            bytes INTEGER,
            duration_ms INTEGER,
            error_class TEXT,
            error TEXT,
            release_id INTEGER REFERENCES releases (id)
        );
        CREATE INDEX fetches_source ON fetches (source, id);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            exit_code INTEGER,
            pid INTEGER,
            sources TEXT,
            counts TEXT,
            errors TEXT
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            dedup_key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            route TEXT NOT NULL,
            series TEXT,
            period TEXT,
            release_id INTEGER REFERENCES releases (id),
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            markdown TEXT NOT NULL,
            facts TEXT,
            created_at TEXT NOT NULL,
            delivered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts (id),
            destination TEXT NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'given_up')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt_at TEXT,
            next_attempt_at TEXT,
            sent_at TEXT,
            UNIQUE (alert_id, destination)
        );
        CREATE INDEX deliveries_pending ON deliveries (status, next_attempt_at);
        """
    )


def m002_query_views(db: Database) -> None:
    """Added ``ict_fytd``, ``ict_records`` and ``revisions``; views are now (re)created by the
    newest view migration (:func:`replace_views`), so there is nothing left to do here."""


def m003_release_search(db: Database) -> None:
    """Full-text index (FTS5) of release titles and texts, kept in sync by triggers."""
    db.execute(
        """CREATE VIRTUAL TABLE releases_fts USING fts5(
               title, text, content='releases', content_rowid='id',
               tokenize='unicode61 remove_diacritics 2')"""
    )
    # Only releases with a title or text (statements) are indexed; workbooks have neither.
    indexed = "{row}.title IS NOT NULL OR {row}.text IS NOT NULL"
    db.execute(
        f"""CREATE TRIGGER releases_fts_insert AFTER INSERT ON releases
            WHEN {indexed.format(row="new")} BEGIN
              INSERT INTO releases_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
            END"""
    )
    db.execute(
        f"""CREATE TRIGGER releases_fts_delete AFTER DELETE ON releases
            WHEN {indexed.format(row="old")} BEGIN
              INSERT INTO releases_fts (releases_fts, rowid, title, text)
              VALUES ('delete', old.id, old.title, old.text);
            END"""
    )
    db.execute(
        f"""CREATE TRIGGER releases_fts_update AFTER UPDATE OF title, text ON releases BEGIN
              INSERT INTO releases_fts (releases_fts, rowid, title, text)
              SELECT 'delete', old.id, old.title, old.text WHERE {indexed.format(row="old")};
              INSERT INTO releases_fts (rowid, title, text)
              SELECT new.id, new.title, new.text WHERE {indexed.format(row="new")};
            END"""
    )
    db.execute(
        f"""INSERT INTO releases_fts (rowid, title, text)
            SELECT id, title, text FROM releases WHERE {indexed.format(row="releases")}"""
    )
    db.execute("CREATE INDEX releases_doc_key ON releases (source, doc_key, id)")


def m004_rank_by_storage_order(db: Database) -> None:
    """Rank vintages by the order they were stored (observation id), not by ``retrieved_at``:
    a clock that went backwards must not make a newer release lose."""
    replace_views(db)


def m005_fetch_links(db: Database) -> None:
    """How many candidate links a list page or feed gave, so that a list that suddenly gives
    none can name its last good count (the empty-list monitor, issue 15)."""
    db.execute("ALTER TABLE fetches ADD COLUMN links INTEGER")


OBSERVATION_COLUMNS = (
    "id, release_id, series, flow, period, period_start, period_end, months, usd_million,"
    " status, sheet, row, col, cell, location, label, header, source_url, note"
)


def m006_watches(db: Database) -> None:
    """Watches: observations also hold flow 'value' and a ``unit`` (NULL = US$ million);
    a ``watches`` table describes each configured watch for the views.

    SQLite cannot change a CHECK constraint in place, so the table is rebuilt with its ids,
    indexes and append-only triggers; the views that read it are dropped first and recreated.
    """
    for view in VIEWS:
        db.execute(f"DROP VIEW IF EXISTS {view}")
    db.execute("DROP TRIGGER IF EXISTS observations_no_update")
    db.execute("DROP TRIGGER IF EXISTS observations_no_delete")
    db.execute(
        """CREATE TABLE observations_new (
            id INTEGER PRIMARY KEY,
            release_id INTEGER NOT NULL REFERENCES releases (id),
            series TEXT NOT NULL,
            flow TEXT NOT NULL CHECK (flow IN ('credit', 'debit', 'net', 'value')),
            period TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            months INTEGER NOT NULL,
            usd_million REAL NOT NULL,
            status TEXT CHECK (status IN ('P', 'R')),
            sheet TEXT,
            row INTEGER,
            col INTEGER,
            cell TEXT,
            location TEXT,
            label TEXT,
            header TEXT,
            source_url TEXT,
            note TEXT,
            unit TEXT CHECK (unit IS NULL OR unit = 'percent')
        )"""
    )
    db.execute(
        f"INSERT INTO observations_new ({OBSERVATION_COLUMNS})"
        f" SELECT {OBSERVATION_COLUMNS} FROM observations ORDER BY id"
    )
    db.execute("DROP TABLE observations")
    db.execute("ALTER TABLE observations_new RENAME TO observations")
    db.execute(
        "CREATE INDEX observations_series ON observations (series, flow, months, period_end)"
    )
    db.execute("CREATE INDEX observations_release ON observations (release_id)")
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER observations_no_{action.lower()} BEFORE {action} ON observations
                BEGIN SELECT RAISE(ABORT, 'observations are append-only'); END"""
        )
    db.execute(
        """CREATE TABLE watches (
            name TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            series TEXT NOT NULL,
            part TEXT,
            sheet TEXT,
            record TEXT NOT NULL CHECK (record IN ('high', 'low', 'none')),
            label TEXT
        )"""
    )
    replace_views(db)


VIEWS = (
    "watch_monthly",
    "revisions",
    "ict_records",
    "ict_fytd",
    "ict_monthly",
    "best_observations",
)


def replace_views(db: Database) -> None:
    """Drop and create every view from its current definition (a view holds no data)."""
    for view in VIEWS:
        db.execute(f"DROP VIEW IF EXISTS {view}")
    db.execute(
        """
        CREATE VIEW best_observations AS
        SELECT * FROM (
            SELECT o.*, r.source, r.retrieved_at, r.url AS release_url,
                   COALESCE(s.rank, 0) AS source_rank,
                   ROW_NUMBER() OVER (
                       PARTITION BY o.series, o.flow, o.period
                       ORDER BY COALESCE(s.rank, 0) DESC, o.id DESC
                   ) AS choice
            FROM observations o
            JOIN releases r ON r.id = o.release_id
            LEFT JOIN source_ranks s ON s.source = r.source
        ) WHERE choice = 1
        """
    )
    db.execute(
        """
        CREATE VIEW ict_monthly AS
        SELECT period, usd_million, status, source, release_id
        FROM best_observations
        WHERE series = '9' AND flow = 'credit' AND months = 1
        ORDER BY period
        """
    )

    # One figure per watch and month: the best-ranked source, then the latest stored (as
    # ict_monthly). Watches stay listed after they leave the config: their history is kept.
    db.execute(
        """
        CREATE VIEW watch_monthly AS
        SELECT w.name AS watch, b.period, b.usd_million AS value,
               COALESCE(b.unit, 'US$ million') AS unit, b.status, b.source, b.release_id
        FROM watches w
        JOIN best_observations b ON b.series = w.name AND b.flow = 'value' AND b.months = 1
        ORDER BY w.name, b.period
        """
    )

    # Fiscal year of a 'YYYY-MM' text: the calendar year, plus one from July on (FY24 ends Jun-24).
    fiscal_year = "CAST(substr({p}, 1, 4) AS INTEGER) + (CAST(substr({p}, 6, 2) AS INTEGER) >= 7)"
    # FYTD per fiscal year and month count: a stored FYTD figure when one exists (SBP's own
    # column, which carries SBP's revisions of earlier months; best-ranked source, latest
    # vintage), else the sum of ict_monthly when no month is missing. Same rule as events.fytd.
    db.execute(
        f"""
        CREATE VIEW ict_fytd AS
        WITH monthly AS (
            SELECT period, usd_million, {fiscal_year.format(p="period")} AS fy,
                   (CAST(substr(period, 6, 2) AS INTEGER) + 5) % 12 + 1 AS fm
            FROM ict_monthly
        ),
        reported AS (
            SELECT {fiscal_year.format(p="period_end")} AS fy, months, period_start, period_end,
                   usd_million, 'reported' AS basis, source
            FROM best_observations
            WHERE series = '9' AND flow = 'credit' AND months BETWEEN 2 AND 12
              AND substr(period_start, 6, 2) = '07'
        ),
        summed AS (
            SELECT a.fy, a.fm AS months, min(b.period) AS period_start, a.period AS period_end,
                   sum(b.usd_million) AS usd_million, 'sum' AS basis, NULL AS source
            FROM monthly a JOIN monthly b ON b.fy = a.fy AND b.fm <= a.fm
            GROUP BY a.period
            HAVING count(*) = a.fm
        ),
        fytd AS (
            SELECT * FROM reported
            UNION ALL
            SELECT * FROM summed s
            WHERE NOT EXISTS (SELECT 1 FROM reported r WHERE r.fy = s.fy AND r.months = s.months)
        )
        SELECT printf('FY%02d', cur.fy % 100) AS fiscal_year, cur.months, cur.period_start,
               cur.period_end, cur.usd_million, cur.basis, cur.source,
               prior.usd_million AS prior_usd_million, prior.basis AS prior_basis,
               cur.usd_million - prior.usd_million AS delta,
               (cur.usd_million / prior.usd_million - 1) * 100 AS growth_pct
        FROM fytd cur
        LEFT JOIN fytd prior ON prior.fy = cur.fy - 1 AND prior.months = cur.months
        ORDER BY cur.period_end
        """
    )
    # Same rule as events.is_record: strictly above every earlier month; on a tie for the
    # previous high, the later month is named.
    db.execute(
        """
        CREATE VIEW ict_records AS
        WITH running AS (
            SELECT period, usd_million,
                   max(usd_million) OVER (
                       ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ) AS previous_max
            FROM ict_monthly
        )
        SELECT r.period, r.usd_million,
               (SELECT max(p.period) FROM ict_monthly p
                WHERE p.period < r.period AND p.usd_million = r.previous_max)
                   AS previous_record_period,
               r.previous_max AS previous_record_usd_million,
               r.usd_million - r.previous_max AS margin
        FROM running r
        WHERE r.previous_max IS NOT NULL AND r.usd_million > r.previous_max + 1e-9
        ORDER BY r.period
        """
    )
    # First print: the earliest official observation of the month, or the earliest of any
    # source when no official one exists (baseline figures are compilations, not prints).
    db.execute(
        """
        CREATE VIEW revisions AS
        WITH vintages AS (
            SELECT o.period, o.usd_million, o.status, o.release_id, r.source, r.retrieved_at,
                   ROW_NUMBER() OVER (
                       PARTITION BY o.period
                       ORDER BY COALESCE(s.official, 0) DESC, o.id
                   ) AS print_order,
                   count(*) OVER (PARTITION BY o.period) AS vintages
            FROM observations o
            JOIN releases r ON r.id = o.release_id
            LEFT JOIN source_ranks s ON s.source = r.source
            WHERE o.series = '9' AND o.flow = 'credit' AND o.months = 1
        )
        SELECT v.period,
               v.usd_million AS first_usd_million, v.status AS first_status,
               v.source AS first_source, v.release_id AS first_release_id,
               v.retrieved_at AS first_retrieved_at,
               m.usd_million AS latest_usd_million, m.status AS latest_status,
               m.source AS latest_source, m.release_id AS latest_release_id,
               m.usd_million - v.usd_million AS delta, v.vintages
        FROM vintages v JOIN ict_monthly m ON m.period = v.period
        WHERE v.print_order = 1
        ORDER BY v.period
        """
    )


def m007_speed(db: Database) -> None:
    """robots.txt per origin, kept a day so that a run does not fetch it every time; the
    fetch log by run, which every run reads back (it was a full scan of the log); and the
    series index by storage order: a new release's rows go to the end of each series
    instead of four places in it (by months and period end), which halves the index pages
    a release writes once years of history are stored, and the rules read a series in the
    order they need (by id) without sorting."""
    db.executescript(
        """
        CREATE TABLE robots (
            origin TEXT PRIMARY KEY,
            fetched_at TEXT NOT NULL,
            http_status INTEGER NOT NULL,
            body BLOB NOT NULL
        );
        CREATE INDEX fetches_run ON fetches (run_id);
        DROP INDEX observations_series;
        CREATE INDEX observations_history ON observations (series, flow, id);
        """
    )


MIGRATIONS = (
    m001_core,
    m002_query_views,
    m003_release_search,
    m004_rank_by_storage_order,
    m005_fetch_links,
    m006_watches,
    m007_speed,
)
SCHEMA_VERSION = len(MIGRATIONS)
NAMES = tuple(migration.__name__ for migration in MIGRATIONS)


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations this database has had (read only)."""
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
            [MIGRATION_SET],
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return [row[0] for row in rows]


def check(conn: sqlite3.Connection, path: object) -> int:
    """Refuse a schema newer than this code; return how many migrations are pending."""
    names = applied(conn)
    version = max(int(conn.execute("PRAGMA user_version").fetchone()[0]), len(names))
    unknown = [name for name in names if name not in NAMES]
    if unknown or version > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema {version} of {path} is newer than this version"
            f" ({SCHEMA_VERSION}); upgrade itx-scraper"
        )
    return len([name for name in NAMES if name not in names])


def migrate(conn: sqlite3.Connection) -> None:
    """Apply pending migrations, record the schema version and the source ranks."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for function in MIGRATIONS:
        migrations()(function)
    db = Database(conn)
    migrations.apply(db)
    with conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.executemany(
            """INSERT INTO source_ranks (source, rank, official) VALUES (?, ?, ?)
               ON CONFLICT (source) DO UPDATE SET rank = excluded.rank,
               official = excluded.official""",
            [(info.name, info.rank, int(info.official)) for info in SOURCES.values()],
        )
