"""All SQL lives here: schema migrations, WAL, appends, and the queries other modules need."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from itx_scraper import clock
from itx_scraper.errors import ItxError
from itx_scraper.faults import checkpoint
from itx_scraper.sources import SOURCES

migrations = Migrations("itx_scraper")


class StoreError(ItxError):
    """The database cannot be opened or written (missing directory, read-only, full)."""


@migrations()
def m001_core(db: Database) -> None:
    """Releases, append-only observations, fetch log, source ranks and ``ict_monthly``."""
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
    db.execute(
        """
        CREATE VIEW best_observations AS
        SELECT * FROM (
            SELECT o.*, r.source, r.retrieved_at, r.url AS release_url,
                   COALESCE(s.rank, 0) AS source_rank,
                   ROW_NUMBER() OVER (
                       PARTITION BY o.series, o.flow, o.period
                       ORDER BY COALESCE(s.rank, 0) DESC, r.retrieved_at DESC, o.id DESC
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


@migrations()
def m002_query_views(db: Database) -> None:
    """Views for questions people ask: ``ict_fytd``, ``ict_records`` and ``revisions``."""
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
                       ORDER BY COALESCE(s.official, 0) DESC, r.retrieved_at, o.id
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


@migrations()
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


@dataclass(frozen=True)
class Obs:
    """One stored observation with the release facts the event rules need."""

    id: int
    release_id: int
    source: str
    retrieved_at: str
    series: str
    flow: str
    period: str
    period_start: str
    period_end: str
    months: int
    usd_million: float
    status: str | None
    url: str


@dataclass(frozen=True)
class NewRelease:
    """A document version about to be stored."""

    source: str
    url: str
    body: bytes
    retrieved_at: str
    parse_status: str
    parse_error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    format: str | None = None
    latest_period: str | None = None
    doc_key: str | None = None
    title: str | None = None
    published_at: str | None = None
    text: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class Store:
    """A migrated SQLite database in WAL mode; every read and write goes through here."""

    def __init__(self, db: Database, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: Path | str, *, create_parent: bool = False) -> Store:
        """Open (creating and migrating when needed); raise :class:`StoreError` clearly."""
        path = Path(path)
        if not path.parent.exists():
            if not create_parent:
                raise StoreError(f"database directory does not exist: {path.parent}")
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(str(path), timeout=30)
            db = Database(conn)
            db.execute("PRAGMA foreign_keys = ON")
            if os.environ.get("ITX_MAX_PAGE_COUNT"):  # TEST ONLY: a full disk (tests/faults)
                db.execute(f"PRAGMA max_page_count = {int(os.environ['ITX_MAX_PAGE_COUNT'])}")
            if db.journal_mode != "wal":
                db.enable_wal()
            migrations.apply(db)
            store = cls(db, path)
            store._sync_ranks()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        return store

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT, rolled back on any exception; nested calls use savepoints."""
        with self.db.atomic():
            yield

    def _sync_ranks(self) -> None:
        rows = [
            {"source": info.name, "rank": info.rank, "official": int(info.official)}
            for info in SOURCES.values()
        ]
        with self.transaction():
            self.db["source_ranks"].upsert_all(rows, pk="source")

    # -- releases and observations -------------------------------------------------------

    def observation_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM observations").fetchone()[0])

    def validators(self, source: str, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the newest parsed release from this URL."""
        row = self.db.execute(
            """SELECT etag, last_modified FROM releases
               WHERE source = ? AND url = ? AND parse_status = 'ok'
               ORDER BY id DESC LIMIT 1""",
            [source, url],
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def find_release(self, source: str, sha256: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT id, parse_status FROM releases WHERE source = ? AND sha256 = ?",
                [source, sha256],
            )
        )
        return rows[0] if rows else None

    def release_has_observations(self, release_id: int) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM observations WHERE release_id = ? LIMIT 1", [release_id]
            ).fetchone()
            is not None
        )

    def add_release(self, release: NewRelease) -> int:
        record = {
            key: getattr(release, key)
            for key in (
                "source",
                "url",
                "retrieved_at",
                "etag",
                "last_modified",
                "content_type",
                "format",
                "parse_status",
                "parse_error",
                "latest_period",
                "doc_key",
                "title",
                "published_at",
                "text",
                "body",
            )
        }
        record.update(sha256=release.sha256, size=len(release.body))
        cursor = self.db.execute(
            f"INSERT INTO releases ({', '.join(record)}) VALUES ({', '.join('?' * len(record))})",
            list(record.values()),
        )
        return int(cursor.lastrowid or 0)

    def mark_release_parsed(self, release_id: int, latest_period: str | None) -> None:
        """A stored document that failed before now parses (fixed parser): record that."""
        self.db.execute(
            """UPDATE releases SET parse_status = 'ok', parse_error = NULL, latest_period = ?
               WHERE id = ?""",
            [latest_period, release_id],
        )

    def add_observations(self, release_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        records = [{**row, "release_id": release_id} for row in rows]
        if not records:
            return 0
        columns = sorted({key for record in records for key in record})
        sql = (
            f"INSERT INTO observations ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        self.db.conn.executemany(sql, [[r.get(c) for c in columns] for r in records])
        return len(records)

    def release_body(self, release_id: int) -> bytes:
        row = self.db.execute("SELECT body FROM releases WHERE id = ?", [release_id]).fetchone()
        if row is None:
            raise StoreError(f"no release {release_id}")
        return bytes(row[0])

    # -- fetch log -----------------------------------------------------------------------

    def add_fetch(self, **fields: Any) -> int:
        cursor = self.db.execute(
            f"INSERT INTO fetches ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            list(fields.values()),
        )
        return int(cursor.lastrowid or 0)

    # -- history for event rules and display ---------------------------------------------

    def history(self, series: str, flow: str = "credit") -> list[Obs]:
        """Every stored vintage of a series, oldest first (insertion order)."""
        return [
            Obs(**row)
            for row in self.db.query(
                """SELECT o.id, o.release_id, r.source, r.retrieved_at, o.series, o.flow,
                          o.period, o.period_start, o.period_end, o.months, o.usd_million,
                          o.status, COALESCE(o.source_url, r.url) AS url
                   FROM observations o JOIN releases r ON r.id = o.release_id
                   WHERE o.series = ? AND o.flow = ?
                   ORDER BY o.id""",
                [series, flow],
            )
        ]

    def best_monthly(self, series: str = "9", flow: str = "credit") -> list[dict[str, Any]]:
        """The chosen value of each month (best-ranked source, latest vintage)."""
        return list(
            self.db.query(
                """SELECT period, usd_million, status, source, release_id, release_url,
                          source_url
                   FROM best_observations
                   WHERE series = ? AND flow = ? AND months = 1 ORDER BY period""",
                [series, flow],
            )
        )

    def max_official_period(self, series: str) -> str | None:
        """Newest month stored for a series from any source except statements."""
        row = self.db.execute(
            """SELECT max(o.period_end) FROM observations o
               JOIN releases r ON r.id = o.release_id
               JOIN source_ranks s ON s.source = r.source
               WHERE o.series = ? AND o.months = 1 AND (s.official = 1 OR r.source IN (?, ?))""",
            [series, "baseline", "import"],
        ).fetchone()
        return row[0] if row else None

    def release_info(self, release_id: int) -> dict[str, Any]:
        rows = list(
            self.db.query(
                "SELECT id, source, url, retrieved_at, latest_period FROM releases WHERE id = ?",
                [release_id],
            )
        )
        if not rows:
            raise StoreError(f"no release {release_id}")
        return rows[0]

    # -- alerts and the outbox -----------------------------------------------------------

    def alerts_for(self, kinds: Sequence[str]) -> list[dict[str, Any]]:
        marks = ", ".join("?" * len(kinds))
        return list(
            self.db.query(
                f"SELECT id, kind, series, period, facts, created_at FROM alerts "
                f"WHERE kind IN ({marks}) ORDER BY id",
                list(kinds),
            )
        )

    def add_alert(self, alert: Mapping[str, Any], destinations: Sequence[tuple[str, str]]) -> int:
        """Insert an alert with one pending delivery per destination; 0 if it exists already."""
        record = dict(alert)
        record["facts"] = json.dumps(record.get("facts") or {}, sort_keys=True, default=str)
        cursor = self.db.execute(
            f"INSERT OR IGNORE INTO alerts ({', '.join(record)}) "
            f"VALUES ({', '.join('?' * len(record))})",
            list(record.values()),
        )
        if not cursor.rowcount:
            return 0
        alert_id = int(cursor.lastrowid or 0)
        for destination, target in destinations:
            self.db.execute(
                """INSERT OR IGNORE INTO deliveries (alert_id, destination, target, status)
                   VALUES (?, ?, ?, 'pending')""",
                [alert_id, destination, target],
            )
        return alert_id

    def alerts_created_by_run(self, run_id: int) -> int:
        row = self.db.execute(
            """SELECT count(*) FROM alerts WHERE release_id IN
               (SELECT release_id FROM fetches WHERE run_id = ? AND status = 'ok')""",
            [run_id],
        ).fetchone()
        return int(row[0])

    def undelivered_alerts(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM alerts WHERE delivered_at IS NULL ORDER BY id"))

    def due_deliveries(self, now: str) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """SELECT d.*, a.kind, a.route, a.title, a.body, a.markdown, a.facts
                   FROM deliveries d JOIN alerts a ON a.id = d.alert_id
                   WHERE d.status = 'pending'
                     AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)
                   ORDER BY d.alert_id, d.id""",
                [now],
            )
        )

    def record_delivery(
        self,
        delivery_id: int,
        *,
        status: str,
        at: str,
        error: str | None = None,
        next_attempt_at: str | None = None,
    ) -> None:
        """Store one attempt's outcome and roll it up onto the alert, atomically."""
        with self.transaction():
            self.db.execute(
                """UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?,
                       last_attempt_at = ?, next_attempt_at = ?,
                       sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END
                   WHERE id = ?""",
                [status, error, at, next_attempt_at, status, at, delivery_id],
            )
            checkpoint("store.delivery")  # inside the transaction that records the attempt
            alert_id = self.db.execute(
                "SELECT alert_id FROM deliveries WHERE id = ?", [delivery_id]
            ).fetchone()[0]
            self._roll_up(alert_id, at)

    def _roll_up(self, alert_id: int, at: str) -> None:
        self.db.execute(
            """UPDATE alerts SET
                 attempts = (SELECT COALESCE(sum(attempts), 0) FROM deliveries
                             WHERE alert_id = :id),
                 last_error = (SELECT last_error FROM deliveries WHERE alert_id = :id
                               AND last_error IS NOT NULL
                               ORDER BY last_attempt_at DESC, id DESC LIMIT 1),
                 delivered_at = CASE
                   WHEN NOT EXISTS (SELECT 1 FROM deliveries WHERE alert_id = :id
                                    AND status != 'sent') THEN COALESCE(delivered_at, :at)
                   ELSE NULL END
               WHERE id = :id""",
            {"id": alert_id, "at": at},
        )

    def mark_alert_printed(self, alert_id: int, at: str) -> None:
        """No destination is configured: printing the alert is its delivery."""
        self.db.execute(
            "UPDATE alerts SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            [at, alert_id],
        )

    def alert_destinations_missing(self, alert_id: int) -> bool:
        row = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE alert_id = ?", [alert_id]
        ).fetchone()
        return int(row[0]) == 0

    def recent_alerts(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """SELECT id, kind, series, period, title, created_at, delivered_at, attempts,
                          last_error FROM alerts ORDER BY id DESC LIMIT ?""",
                [limit],
            )
        )

    def deliveries_of(self, alert_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """SELECT target, status, attempts, last_error, sent_at FROM deliveries
                   WHERE alert_id = ? ORDER BY id""",
                [alert_id],
            )
        )

    def pending_delivery_count(self) -> int:
        row = self.db.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'")
        return int(row.fetchone()[0])

    # -- runs ----------------------------------------------------------------------------

    def start_run(self, sources: Sequence[str], pid: int) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (started_at, status, pid, sources) VALUES (?, 'running', ?, ?)",
            [clock.iso(), pid, json.dumps(list(sources))],
        )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        exit_code: int,
        counts: Mapping[str, Any],
        errors: Mapping[str, Any],
    ) -> None:
        self.db.execute(
            """UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, counts = ?, errors = ?
               WHERE id = ?""",
            [
                clock.iso(),
                status,
                exit_code,
                json.dumps(counts, sort_keys=True),
                json.dumps(errors, sort_keys=True),
                run_id,
            ],
        )

    def run_fetches(self, run_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM fetches WHERE run_id = ? ORDER BY id", [run_id]))

    # -- queries for show/export/views ---------------------------------------------------

    def monthly_as_of(
        self, day: date, series: str = "9", flow: str = "credit"
    ) -> list[dict[str, Any]]:
        """``best_monthly`` as the database knew it at the end of ``day`` (UTC).

        Only releases retrieved before the next midnight count; the ranking is that of
        ``best_observations`` (source rank, then the newest retrieval).
        """
        return list(
            self.db.query(
                """SELECT period, usd_million, status, source, release_id, release_url,
                          source_url, retrieved_at
                   FROM (
                       SELECT o.period, o.usd_million, o.status, r.source, o.release_id,
                              r.url AS release_url, o.source_url, r.retrieved_at,
                              ROW_NUMBER() OVER (
                                  PARTITION BY o.period
                                  ORDER BY COALESCE(s.rank, 0) DESC, r.retrieved_at DESC,
                                           o.id DESC
                              ) AS choice
                       FROM observations o
                       JOIN releases r ON r.id = o.release_id
                       LEFT JOIN source_ranks s ON s.source = r.source
                       WHERE o.series = ? AND o.flow = ? AND o.months = 1
                         AND r.retrieved_at < ?
                   ) WHERE choice = 1 ORDER BY period""",
                [series, flow, (day + timedelta(days=1)).isoformat()],
            )
        )

    def export_best(self, series: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The chosen value of every period (months and FYTD ranges), in a stable order."""
        where, params = _series_filter("series", series)
        return list(
            self.db.query(
                f"""SELECT series, flow, period, period_start, period_end, months, usd_million,
                           status, source
                    FROM best_observations {where}
                    ORDER BY series, flow, period""",
                params,
            )
        )

    def export_vintages(self, series: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every observation with its provenance, sorted by series, flow, period, vintage."""
        where, params = _series_filter("o.series", series)
        return list(
            self.db.query(
                f"""SELECT o.series, o.flow, o.period, o.period_start, o.period_end, o.months,
                           o.usd_million, o.status, o.release_id, r.source, r.retrieved_at,
                           r.url, o.sheet, o.cell
                    FROM observations o JOIN releases r ON r.id = o.release_id {where}
                    ORDER BY o.series, o.flow, o.period, r.retrieved_at, o.id""",
                params,
            )
        )

    def fytd(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM ict_fytd ORDER BY period_end"))

    def records(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM ict_records ORDER BY period"))

    def revisions(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM revisions ORDER BY period"))

    def alert_series(self, alert_id: int) -> str | None:
        row = self.db.execute("SELECT series FROM alerts WHERE id = ?", [alert_id]).fetchone()
        return row[0] if row else None

    def alerts_after(self, alert_id: int) -> list[dict[str, Any]]:
        """Alerts newer than ``alert_id``, oldest first (the demo lists each step's alerts)."""
        return list(
            self.db.query(
                """SELECT id, kind, series, period, title, body, created_at, delivered_at
                   FROM alerts WHERE id > ? ORDER BY id""",
                [alert_id],
            )
        )

    def last_alert_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(max(id), 0) FROM alerts").fetchone()[0])

    # -- health, calendar and status -----------------------------------------------------

    def fetches_newest_first(self, source: str) -> Iterator[dict[str, Any]]:
        """The fetch log of a source, newest first, read lazily (health stops early)."""
        cursor = self.db.execute(
            """SELECT id, run_id, url, started_at, status, http_status, bytes, duration_ms,
                      error_class, error
               FROM fetches WHERE source = ? ORDER BY id DESC""",
            [source],
        )
        names = [column[0] for column in cursor.description]
        try:
            for row in cursor:
                yield dict(zip(names, row, strict=True))
        finally:
            cursor.close()

    def last_fetch(self, source: str, *, success: bool = False) -> dict[str, Any] | None:
        """The newest fetch of a source; with ``success``, the newest that did not fail."""
        rows = list(
            self.db.query(
                f"""SELECT id, run_id, url, started_at, status, http_status, error_class, error
                    FROM fetches WHERE source = ? {"AND status != 'error'" if success else ""}
                    ORDER BY id DESC LIMIT 1""",
                [source],
            )
        )
        return rows[0] if rows else None

    def period_first_seen(self, source: str) -> list[tuple[str, str]]:
        """(latest_period, first retrieved_at) per parsed release period, in order of arrival."""
        return [
            (row[0], row[1])
            for row in self.db.execute(
                """SELECT latest_period, min(retrieved_at) FROM releases
                   WHERE source = ? AND parse_status = 'ok' AND latest_period IS NOT NULL
                   GROUP BY latest_period ORDER BY min(id)""",
                [source],
            )
        ]

    def last_new_release(self, source: str) -> dict[str, Any] | None:
        """The newest parsed release of a source: when its data last changed."""
        rows = list(
            self.db.query(
                """SELECT id, retrieved_at, latest_period FROM releases
                   WHERE source = ? AND parse_status = 'ok' ORDER BY id DESC LIMIT 1""",
                [source],
            )
        )
        return rows[0] if rows else None

    def last_run(self) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM runs ORDER BY id DESC LIMIT 1"))
        return rows[0] if rows else None

    def pending_by_target(self) -> list[dict[str, Any]]:
        """Pending deliveries per destination (privacy form), with how many were tried."""
        return list(
            self.db.query(
                """SELECT target, count(*) AS pending, sum(attempts > 0) AS retrying,
                          min(last_attempt_at) AS oldest_attempt, max(last_error) AS last_error
                   FROM deliveries WHERE status = 'pending' GROUP BY target ORDER BY target"""
            )
        )

    # -- statements and search -------------------------------------------------------------

    def search(self, query: str, *, limit: int = 20, raw: bool = False) -> list[dict[str, Any]]:
        """Releases whose title or text match, best first, with a snippet and version number.

        Words are matched as given (each quoted) unless ``raw``, which passes FTS5 syntax
        (``"IT exports" NEAR record``, ``export*``) through.
        """
        match = query.strip() if raw else fts_query(query)
        try:
            return list(
                self.db.query(
                    """SELECT r.id AS release_id, r.source, r.doc_key, r.title, r.published_at,
                              r.retrieved_at, r.url,
                              snippet(releases_fts, 1, '[', ']', '…', 16) AS snippet,
                              (SELECT count(*) FROM releases v WHERE v.source = r.source
                               AND v.doc_key = r.doc_key AND v.id <= r.id) AS version
                       FROM releases_fts JOIN releases r ON r.id = releases_fts.rowid
                       WHERE releases_fts MATCH ?
                       ORDER BY bm25(releases_fts, 5.0, 1.0), r.id DESC LIMIT ?""",
                    [match, limit],
                )
            )
        except sqlite3.OperationalError as exc:
            raise StoreError(f"invalid search query {query!r}: {exc}") from exc

    def document_versions(self, source: str, doc_key: str) -> list[dict[str, Any]]:
        """Every stored version of one statement, oldest first."""
        return list(
            self.db.query(
                """SELECT id, url, retrieved_at, sha256, title, published_at FROM releases
                   WHERE source = ? AND doc_key = ? ORDER BY id""",
                [source, doc_key],
            )
        )

    def statement_claims(
        self,
        series: str,
        sources: Sequence[str],
        *,
        release_id: int | None = None,
        periods: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Figures that statements (``sources``) give, with their release's title and URL."""
        where = [
            "o.series = ?",
            "o.flow = 'credit'",
            f"r.source IN ({', '.join('?' * len(sources))})",
        ]
        params: list[Any] = [series, *sources]
        if release_id is not None:
            where.append("o.release_id = ?")
            params.append(release_id)
        if periods:
            where.append(f"o.period IN ({', '.join('?' * len(periods))})")
            params.extend(periods)
        if not sources:
            return []
        return list(
            self.db.query(
                f"""SELECT o.id, o.release_id, o.period, o.period_start, o.period_end, o.months,
                           o.usd_million, o.note, o.location, r.source, r.url, r.title,
                           r.doc_key, r.published_at
                    FROM observations o JOIN releases r ON r.id = o.release_id
                    WHERE {" AND ".join(where)} ORDER BY o.id""",
                params,
            )
        )

    def official_vintages(
        self, series: str, periods: Sequence[str], sources: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Every vintage of these periods from ``sources`` (the official ones), oldest first."""
        if not periods or not sources:
            return []
        return list(
            self.db.query(
                f"""SELECT o.id, o.release_id, o.period, o.months, o.usd_million, o.status,
                           r.source, COALESCE(o.source_url, r.url) AS url
                    FROM observations o JOIN releases r ON r.id = o.release_id
                    WHERE o.series = ? AND o.flow = 'credit'
                      AND o.period IN ({", ".join("?" * len(periods))})
                      AND r.source IN ({", ".join("?" * len(sources))})
                    ORDER BY o.id""",
                [series, *periods, *sources],
            )
        )

    def period_last_modified(self, source: str) -> dict[str, str]:
        """Last-Modified of the first parsed copy of each period, where the server sent one
        (the release calendar learns publication hours from it)."""
        return dict(
            self.db.execute(
                """SELECT latest_period, last_modified FROM releases
                   WHERE id IN (SELECT min(id) FROM releases
                                WHERE source = ? AND parse_status = 'ok'
                                  AND latest_period IS NOT NULL GROUP BY latest_period)
                     AND last_modified IS NOT NULL""",
                [source],
            ).fetchall()
        )


def fts_query(query: str) -> str:
    """Plain words to an FTS5 query that matches all of them (quoted: no operators)."""
    words = re.findall(r"\w+", query)
    if not words:
        raise StoreError(f"nothing to search for in {query!r}")
    return " ".join(f'"{word}"' for word in words)


def _series_filter(column: str, series: Sequence[str]) -> tuple[str, list[str]]:
    if not series:
        return "", []
    return f"WHERE {column} IN ({', '.join('?' * len(series))})", list(series)
