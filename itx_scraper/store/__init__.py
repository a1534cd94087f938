"""All SQL lives here: schema migrations, WAL, appends, and the queries other modules need."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from itx_scraper.core import clock
from itx_scraper.core.errors import ItxError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.sources import ICT, SOURCES
from itx_scraper.store import schema
from itx_scraper.store.schema import SchemaError

logger = logging.getLogger(__name__)


class StoreError(ItxError):
    """The database cannot be opened or written (missing directory, read-only, full)."""


class Obs(NamedTuple):
    """One stored observation with the release facts the event rules need (a tuple: the
    rules read every vintage of a series, thousands of rows with years of history)."""

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
    unit: str | None = None  # None: US$ million; 'percent'


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
    """A SQLite database in WAL mode; every read and write of the project goes through here.

    Plain ``sqlite3``: readers (``show``, ``status``, the conditional-GET middleware...) never
    import sqlite-utils, never migrate and never write.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly
        self._depth = 0  # nesting of transaction()

    @classmethod
    def open(
        cls, path: Path | str, *, readonly: bool = False, create_parent: bool = False
    ) -> Store:
        """Open the database; raise :class:`StoreError` (or SchemaError) with a clear message.

        ``readonly`` needs an existing, migrated file and works without write access to it
        or its folder. Otherwise the file is created when missing; call :meth:`migrate`
        before writing.
        """
        path = Path(path)
        try:
            if readonly:
                store = cls(_open_readonly(path), path, readonly=True)
                pending = schema.check(store.conn, path)
                if pending == schema.SCHEMA_VERSION:
                    store.close()
                    raise SchemaError(f"database {path} is empty; run `itx-scraper run` first")
                if pending:
                    store.close()
                    raise SchemaError(
                        f"database {path} needs an upgrade that only a writer can make: run"
                        " `itx-scraper run` once as the user who owns it"
                    )
                return store
            if not path.parent.exists():
                if not create_parent:
                    raise StoreError(f"database directory does not exist: {path.parent}")
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            # A release (1.5 MB and 1,300 index entries) must fit in the cache: with SQLite's
            # 2 MB it spills to the WAL mid-transaction and reads the history back from disk.
            conn.execute("PRAGMA cache_size = -32000")
            # One checkpoint per run, when the last connection closes, rather than one in the
            # middle of storing a release as well (the WAL passes SQLite's 1,000 pages then).
            conn.execute("PRAGMA wal_autocheckpoint = 4000")
            _test_page_cap(conn)
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            schema.check(conn, path)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot open database {path}: {exc.strerror or exc}") from exc
        return cls(conn, path, readonly=False)

    def migrate(self) -> None:
        """Bring the schema up to date (writers only: ``run``, ``import-history``, the daemon)."""
        try:
            if schema.check(self.conn, self.path) or not self._ranks_current():
                schema.migrate(self.conn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot migrate database {self.path}: {exc}") from exc

    def _ranks_current(self) -> bool:
        stored = {
            (row[0], row[1], row[2])
            for row in self._execute("SELECT source, rank, official FROM source_ranks")
        }
        return stored == {(i.name, i.rank, int(i.official)) for i in SOURCES.values()}

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT, rolled back on any exception; nested calls use savepoints."""
        if self._depth:
            name = f"nested_{self._depth}"
            self._execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                with suppress(sqlite3.Error):
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self._execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        self._execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            self._execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                with suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement; a database error becomes a StoreError naming the file."""
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot {_verb(sql)} database {self.path}: {exc}") from exc

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write database {self.path}: {exc}") from exc

    def _query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        cursor = self._execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- releases and observations -------------------------------------------------------

    def has_observations(self) -> bool:
        """Whether anything is stored; unlike a count, it does not read the whole table."""
        return self._execute("SELECT 1 FROM observations LIMIT 1").fetchone() is not None

    def validators(self, source: str, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the newest parsed release from this URL."""
        row = self._execute(
            """SELECT etag, last_modified FROM releases
               WHERE source = ? AND url = ? AND parse_status = 'ok'
               ORDER BY id DESC LIMIT 1""",
            [source, url],
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def find_release(self, source: str, sha256: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT id, parse_status FROM releases WHERE source = ? AND sha256 = ?",
            [source, sha256],
        )
        return rows[0] if rows else None

    def release_has_observations(self, release_id: int) -> bool:
        return (
            self._execute(
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
        cursor = self._execute(
            f"INSERT INTO releases ({', '.join(record)}) VALUES ({', '.join('?' * len(record))})",
            list(record.values()),
        )
        return int(cursor.lastrowid or 0)

    def mark_release_parsed(self, release_id: int, latest_period: str | None) -> None:
        """A stored document that failed before now parses (fixed parser): record that."""
        self._execute(
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
        self._executemany(sql, [[r.get(c) for c in columns] for r in records])
        return len(records)

    # -- fetch log -----------------------------------------------------------------------

    def add_fetch(self, **fields: Any) -> int:
        cursor = self._execute(
            f"INSERT INTO fetches ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            list(fields.values()),
        )
        return int(cursor.lastrowid or 0)

    # -- robots.txt cache -----------------------------------------------------------------

    def robots_txt(self, origin: str) -> tuple[str, int, bytes] | None:
        """(fetched_at, HTTP status, body) of the stored robots.txt of ``origin``, if any."""
        row = self._execute(
            "SELECT fetched_at, http_status, body FROM robots WHERE origin = ?", [origin]
        ).fetchone()
        return (str(row[0]), int(row[1]), bytes(row[2])) if row else None

    def save_robots_txt(self, origin: str, fetched_at: str, http_status: int, body: bytes) -> None:
        self._execute(
            """INSERT INTO robots (origin, fetched_at, http_status, body) VALUES (?, ?, ?, ?)
               ON CONFLICT (origin) DO UPDATE SET fetched_at = excluded.fetched_at,
               http_status = excluded.http_status, body = excluded.body""",
            [origin, fetched_at, http_status, body],
        )

    # -- history for event rules and display ---------------------------------------------

    def history(self, series: str, flow: str = "credit") -> list[Obs]:
        """Every stored vintage of a series, oldest first (insertion order)."""
        return [
            Obs(*row)  # the columns in the order of Obs's fields: no dict per row
            for row in self._execute(
                """SELECT o.id, o.release_id, r.source, r.retrieved_at, o.series, o.flow,
                          o.period, o.period_start, o.period_end, o.months, o.usd_million,
                          o.status, COALESCE(o.source_url, r.url) AS url, o.unit
                   FROM observations o JOIN releases r ON r.id = o.release_id
                   WHERE o.series = ? AND o.flow = ?
                   ORDER BY o.id""",
                [series, flow],
            )
        ]

    def monthly_series(self, flow: str = "credit") -> list[str]:
        """Series with at least one monthly figure, in EBOPS code order (9, 9.1, 9.2, 10…)."""
        rows = self._execute(
            "SELECT DISTINCT series FROM observations WHERE flow = ? AND months = 1", [flow]
        ).fetchall()
        return sorted((row[0] for row in rows), key=_series_key)

    def best_monthly(self, series: str = ICT, flow: str = "credit") -> list[dict[str, Any]]:
        """The chosen value of each month (best-ranked source, latest vintage)."""
        return self._query(
            """SELECT period, usd_million, status, source, release_id, release_url,
                          source_url
                   FROM best_observations
                   WHERE series = ? AND flow = ? AND months = 1 ORDER BY period""",
            [series, flow],
        )

    def release_info(self, release_id: int) -> dict[str, Any]:
        rows = self._query(
            "SELECT id, source, url, retrieved_at, latest_period FROM releases WHERE id = ?",
            [release_id],
        )
        if not rows:
            raise StoreError(f"no release {release_id}")
        return rows[0]

    # -- watches -------------------------------------------------------------------------

    def sync_watches(self, watches: Iterable[Mapping[str, Any]]) -> None:
        """Record the configured watches (name, url, series, part, sheet, record, label).

        A watch that left the config keeps its row, so that its stored history stays in
        ``watch_monthly``.
        """
        rows = [
            [w["name"], w["url"], w["series"], w["part"], w["sheet"], w["record"], w["label"]]
            for w in watches
        ]
        if not rows:
            return
        with self.transaction():
            self._executemany(
                """INSERT INTO watches (name, url, series, part, sheet, record, label)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET url = excluded.url,
                     series = excluded.series, part = excluded.part, sheet = excluded.sheet,
                     record = excluded.record, label = excluded.label
                   WHERE (url, series, part, sheet, record, label) IS NOT
                     (excluded.url, excluded.series, excluded.part, excluded.sheet,
                      excluded.record, excluded.label)""",
                rows,
            )

    def watch(self, name: str) -> dict[str, Any] | None:
        """A watch's row of the ``watches`` table, or None."""
        rows = self._query(
            "SELECT name, url, series, part, sheet, record, label FROM watches WHERE name = ?",
            [name],
        )
        return rows[0] if rows else None

    def watch_monthly(self, name: str) -> list[dict[str, Any]]:
        """The chosen figure of each month of a watch (``watch_monthly``), oldest first."""
        return self._query(
            """SELECT period, value, unit, status, source, release_id FROM watch_monthly
                   WHERE watch = ? ORDER BY period""",
            [name],
        )

    def export_watch(self, name: str, *, vintages: bool = False) -> list[dict[str, Any]]:
        """A watch's figures for ``export``: the chosen value of every period, or every vintage
        with its provenance; sorted by period (then vintage)."""
        if vintages:
            return self._query(
                """SELECT o.series AS watch, o.period, o.period_start, o.period_end, o.months,
                          o.usd_million AS value, COALESCE(o.unit, 'US$ million') AS unit,
                          o.status, o.release_id, r.source, r.retrieved_at, r.url, o.sheet,
                          o.cell
                   FROM observations o JOIN releases r ON r.id = o.release_id
                   WHERE o.series = ? AND o.flow = 'value'
                   ORDER BY o.period, o.id""",
                [name],
            )
        return self._query(
            """SELECT series AS watch, period, period_start, period_end, months,
                      usd_million AS value, COALESCE(unit, 'US$ million') AS unit, status,
                      source
               FROM best_observations WHERE series = ? AND flow = 'value'
               ORDER BY period""",
            [name],
        )

    # -- alerts and the outbox -----------------------------------------------------------

    def alerts_for(self, kinds: Sequence[str]) -> list[dict[str, Any]]:
        """Stored alerts of these kinds, oldest first, with their facts decoded."""
        marks = ", ".join("?" * len(kinds))
        rows = self._query(
            f"SELECT id, kind, series, period, facts, created_at FROM alerts "
            f"WHERE kind IN ({marks}) ORDER BY id",
            list(kinds),
        )
        return [{**row, "facts": json.loads(row["facts"] or "{}")} for row in rows]

    def add_alert(self, alert: Mapping[str, Any], destinations: Sequence[tuple[str, str]]) -> int:
        """Insert an alert with one pending delivery per destination; 0 if it exists already."""
        record = dict(alert)
        record["facts"] = json.dumps(record.get("facts") or {}, sort_keys=True, default=str)
        cursor = self._execute(
            f"INSERT OR IGNORE INTO alerts ({', '.join(record)}) "
            f"VALUES ({', '.join('?' * len(record))})",
            list(record.values()),
        )
        if not cursor.rowcount:
            return 0
        alert_id = int(cursor.lastrowid or 0)
        for destination, target in destinations:
            self._execute(
                """INSERT OR IGNORE INTO deliveries (alert_id, destination, target, status)
                   VALUES (?, ?, ?, 'pending')""",
                [alert_id, destination, target],
            )
        return alert_id

    def alerts_created_by_run(self, run_id: int) -> int:
        row = self._execute(
            """SELECT count(*) FROM alerts WHERE release_id IN
               (SELECT release_id FROM fetches WHERE run_id = ? AND status = 'ok')""",
            [run_id],
        ).fetchone()
        return int(row[0])

    def alerts_to_print(self) -> list[dict[str, Any]]:
        """Undelivered alerts that have no destination at all: printing is their delivery."""
        return self._query(
            """SELECT * FROM alerts a WHERE a.delivered_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id)
                   ORDER BY a.id"""
        )

    def due_deliveries(self, now: str) -> list[dict[str, Any]]:
        return self._query(
            """SELECT d.*, a.kind, a.route, a.title, a.body, a.markdown, a.facts
                   FROM deliveries d JOIN alerts a ON a.id = d.alert_id
                   WHERE d.status = 'pending'
                     AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)
                   ORDER BY d.alert_id, d.id""",
            [now],
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
            self._execute(
                """UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?,
                       last_attempt_at = ?, next_attempt_at = ?,
                       sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END
                   WHERE id = ?""",
                [status, error, at, next_attempt_at, status, at, delivery_id],
            )
            checkpoint("store.delivery")  # inside the transaction that records the attempt
            alert_id = self._execute(
                "SELECT alert_id FROM deliveries WHERE id = ?", [delivery_id]
            ).fetchone()[0]
            self._roll_up(alert_id, at)

    def _roll_up(self, alert_id: int, at: str) -> None:
        self._execute(
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
        self._execute(
            "UPDATE alerts SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            [at, alert_id],
        )

    def recent_alerts(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._query(
            """SELECT id, kind, series, period, title, created_at, delivered_at, attempts,
                          last_error FROM alerts ORDER BY id DESC LIMIT ?""",
            [limit],
        )

    def deliveries_of(self, alert_id: int) -> list[dict[str, Any]]:
        return self._query(
            """SELECT target, status, attempts, last_error, sent_at FROM deliveries
                   WHERE alert_id = ? ORDER BY id""",
            [alert_id],
        )

    # -- runs ----------------------------------------------------------------------------

    def start_run(self, sources: Sequence[str], pid: int) -> int:
        cursor = self._execute(
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
        self._execute(
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
        return list(self._query("SELECT * FROM fetches WHERE run_id = ? ORDER BY id", [run_id]))

    # -- queries for show/export/views ---------------------------------------------------

    def monthly_as_of(
        self, day: date, series: str = ICT, flow: str = "credit"
    ) -> list[dict[str, Any]]:
        """``best_monthly`` as the database knew it at the end of ``day`` (UTC).

        Only releases retrieved on or before that day (UTC dates) count; the ranking is that of
        ``best_observations`` (source rank, then the latest stored).
        """
        return self._query(
            """SELECT period, usd_million, status, source, release_id, release_url,
                          source_url, retrieved_at, unit
                   FROM (
                       SELECT o.period, o.usd_million, o.status, r.source, o.release_id,
                              r.url AS release_url, o.source_url, r.retrieved_at,
                              COALESCE(o.unit, 'US$ million') AS unit,
                              ROW_NUMBER() OVER (
                                  PARTITION BY o.period
                                  ORDER BY COALESCE(s.rank, 0) DESC, o.id DESC
                              ) AS choice
                       FROM observations o
                       JOIN releases r ON r.id = o.release_id
                       LEFT JOIN source_ranks s ON s.source = r.source
                       WHERE o.series = ? AND o.flow = ? AND o.months = 1
                         AND substr(r.retrieved_at, 1, 10) <= ?
                   ) WHERE choice = 1 ORDER BY period""",
            [series, flow, day.isoformat()],  # the day itself: 9999-12-31 has no next day
        )

    def export_best(self, series: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The chosen value of every period (months and FYTD ranges), in a stable order.
        Watches are not in it: their values need a unit column (``export_watch``)."""
        where, params = _export_filter("series", "flow", series)
        return self._query(
            f"""SELECT series, flow, period, period_start, period_end, months, usd_million,
                           status, source
                    FROM best_observations {where}
                    ORDER BY series, flow, period""",
            params,
        )

    def export_vintages(self, series: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every observation with its provenance, sorted by series, flow, period, vintage
        (watches aside, as in ``export_best``)."""
        where, params = _export_filter("o.series", "o.flow", series)
        return self._query(
            f"""SELECT o.series, o.flow, o.period, o.period_start, o.period_end, o.months,
                           o.usd_million, o.status, o.release_id, r.source, r.retrieved_at,
                           r.url, o.sheet, o.cell
                    FROM observations o JOIN releases r ON r.id = o.release_id {where}
                    ORDER BY o.series, o.flow, o.period, o.id""",
            params,
        )

    def fytd(self) -> list[dict[str, Any]]:
        return list(self._query("SELECT * FROM ict_fytd ORDER BY period_end"))

    def records(self) -> list[dict[str, Any]]:
        return list(self._query("SELECT * FROM ict_records ORDER BY period"))

    def revisions(self) -> list[dict[str, Any]]:
        return list(self._query("SELECT * FROM revisions ORDER BY period"))

    def alert_series(self, alert_id: int) -> str | None:
        row = self._execute("SELECT series FROM alerts WHERE id = ?", [alert_id]).fetchone()
        return row[0] if row else None

    def alerts_after(self, alert_id: int) -> list[dict[str, Any]]:
        """Alerts newer than ``alert_id``, oldest first (the demo lists each step's alerts)."""
        return self._query(
            """SELECT id, kind, series, period, title, body, created_at, delivered_at
                   FROM alerts WHERE id > ? ORDER BY id""",
            [alert_id],
        )

    def last_alert_id(self) -> int:
        return int(self._execute("SELECT COALESCE(max(id), 0) FROM alerts").fetchone()[0])

    # -- health, calendar and status -----------------------------------------------------

    def fetches_newest_first(self, source: str) -> Iterator[dict[str, Any]]:
        """The fetch log of a source, newest first, read lazily (health stops early)."""
        cursor = self._execute(
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

    def last_list_links(self, source: str) -> dict[str, int]:
        """Per list page or feed URL of a source: the candidate links its newest good fetch
        gave (the empty-list monitor names this count when a list suddenly gives none)."""
        # SQLite takes the bare columns from the row where max(id) is found.
        rows = self._execute(
            """SELECT url, links, max(id) FROM fetches
               WHERE source = ? AND links > 0 AND status != 'error' GROUP BY url""",
            [source],
        ).fetchall()
        return {str(url): int(links) for url, links, _ in rows}

    def last_fetch(self, source: str) -> dict[str, Any] | None:
        """The newest fetch of a source."""
        rows = self._query(
            """SELECT id, run_id, url, started_at, status, http_status, error_class, error
               FROM fetches WHERE source = ? ORDER BY id DESC LIMIT 1""",
            [source],
        )
        return rows[0] if rows else None

    def period_first_seen(self, source: str, recent: int | None = None) -> list[tuple[str, str]]:
        """(latest_period, first retrieved_at) per parsed release period, in order of arrival;
        only the ``recent`` last ones when given."""
        rows = self._execute(
            """SELECT latest_period, min(retrieved_at) FROM releases
               WHERE source = ? AND parse_status = 'ok' AND latest_period IS NOT NULL
               GROUP BY latest_period ORDER BY min(id) DESC LIMIT ?""",
            [source, -1 if recent is None else recent],
        ).fetchall()
        return [(row[0], row[1]) for row in reversed(rows)]

    def last_new_release(self, source: str) -> dict[str, Any] | None:
        """The newest parsed release of a source: when its data last changed."""
        rows = self._query(
            """SELECT id, retrieved_at, latest_period FROM releases
                   WHERE source = ? AND parse_status = 'ok' ORDER BY id DESC LIMIT 1""",
            [source],
        )
        return rows[0] if rows else None

    def last_run(self) -> dict[str, Any] | None:
        rows = list(self._query("SELECT * FROM runs ORDER BY id DESC LIMIT 1"))
        return rows[0] if rows else None

    def pending_by_target(self) -> list[dict[str, Any]]:
        """Pending deliveries per destination (privacy form), with how many were tried."""
        return self._query(
            """SELECT target, count(*) AS pending, sum(attempts > 0) AS retrying,
                          min(last_attempt_at) AS oldest_attempt, max(last_error) AS last_error
                   FROM deliveries WHERE status = 'pending' GROUP BY target ORDER BY target"""
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
                self._query(
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
        except StoreError as exc:
            raise StoreError(f"invalid search query {query!r}: {exc.__cause__}") from exc

    def document_versions(self, source: str, doc_key: str) -> list[dict[str, Any]]:
        """Every stored version of one statement, oldest first."""
        return self._query(
            """SELECT id, url, retrieved_at, sha256, title, published_at FROM releases
                   WHERE source = ? AND doc_key = ? ORDER BY id""",
            [source, doc_key],
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
        return self._query(
            f"""SELECT o.id, o.release_id, o.period, o.period_start, o.period_end, o.months,
                           o.usd_million, o.note, o.location, r.source, r.url, r.title,
                           r.doc_key, r.published_at
                    FROM observations o JOIN releases r ON r.id = o.release_id
                    WHERE {" AND ".join(where)} ORDER BY o.id""",
            params,
        )

    def official_vintages(
        self, series: str, periods: Sequence[str], sources: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Every vintage of these periods from ``sources`` (the official ones), oldest first."""
        if not periods or not sources:
            return []
        return self._query(
            f"""SELECT o.id, o.release_id, o.period, o.months, o.usd_million, o.status,
                           r.source, COALESCE(o.source_url, r.url) AS url
                    FROM observations o JOIN releases r ON r.id = o.release_id
                    WHERE o.series = ? AND o.flow = 'credit'
                      AND o.period IN ({", ".join("?" * len(periods))})
                      AND r.source IN ({", ".join("?" * len(sources))})
                    ORDER BY o.id""",
            [series, *periods, *sources],
        )

    def period_last_modified(self, source: str) -> dict[str, str]:
        """Last-Modified of the first parsed copy of each period, where the server sent one
        (the release calendar learns publication hours from it)."""
        return dict(
            self._execute(
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


def _export_filter(column: str, flow: str, series: Sequence[str]) -> tuple[str, list[str]]:
    where = f"WHERE {flow} != 'value'"  # a watch's flow
    if not series:
        return where, []
    return f"{where} AND {column} IN ({', '.join('?' * len(series))})", list(series)


def _open_readonly(path: Path) -> sqlite3.Connection:
    """Open read-only; when SQLite cannot create the WAL index (a read-only folder), fall back
    to ``immutable=1``, which reads the file as it is and must not be used while it changes."""
    if not path.is_file():
        raise StoreError(f"no database at {path.absolute()} (set --db, ITX_DB or db in the config)")
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        logger.info(
            "cannot open %s for shared reading (%s): reading it as an immutable file instead",
            path,
            exc,
        )
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _test_page_cap(conn: sqlite3.Connection) -> None:
    """TEST ONLY: ``ITX_MAX_PAGE_COUNT`` caps the file's size to simulate a full disk."""
    cap = os.environ.get("ITX_MAX_PAGE_COUNT")
    if not cap:
        return
    if not cap.isdigit():
        raise StoreError(f"ITX_MAX_PAGE_COUNT must be a whole number of pages, got {cap!r}")
    conn.execute(f"PRAGMA max_page_count = {int(cap)}")


def _verb(sql: str) -> str:
    return "read" if sql.lstrip().upper().startswith(("SELECT", "WITH", "PRAGMA")) else "write"


def _series_key(series: str) -> tuple[tuple[int, int | str], ...]:
    """EBOPS codes sort numerically part by part; names (``services``) after them."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in series.split("."))
