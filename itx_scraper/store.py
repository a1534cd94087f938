"""All SQL lives here: schema migrations, WAL, appends, and the queries other modules need."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from itx_scraper import clock
from itx_scraper.errors import ItxError
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
                "source", "url", "retrieved_at", "etag", "last_modified", "content_type",
                "format", "parse_status", "parse_error", "latest_period", "doc_key", "title",
                "published_at", "text", "body",
            )
        }  # fmt: skip
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
        self, run_id: int, *, status: str, exit_code: int, counts: Mapping[str, Any],
        errors: Mapping[str, Any],
    ) -> None:  # fmt: skip
        self.db.execute(
            """UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, counts = ?, errors = ?
               WHERE id = ?""",
            [
                clock.iso(), status, exit_code, json.dumps(counts, sort_keys=True),
                json.dumps(errors, sort_keys=True), run_id,
            ],
        )  # fmt: skip

    def run_fetches(self, run_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM fetches WHERE run_id = ? ORDER BY id", [run_id]))


