"""Turn fetched documents and history files into releases and observations (via the store)."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from itx_scraper.core import clock
from itx_scraper.core.errors import ItxError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.periods import Month, format_range, parse_range
from itx_scraper.items import Document
from itx_scraper.store import NewRelease, Store

logger = logging.getLogger(__name__)

BASELINE_URL = "package:itx_scraper/data/ict_monthly.csv"
# Called inside the transaction that stored a release, so that alerts commit with their cause.
EventsHook = Callable[[Store, int], int]


@dataclass(frozen=True)
class IngestResult:
    """What one document did to the database."""

    status: str  # ok | not_modified | error
    release_id: int | None = None
    observations: int = 0
    alerts: int = 0
    error: str | None = None


def ingest_document(
    store: Store, doc: Document, *, run_id: int | None = None, events: EventsHook | None = None
) -> IngestResult:
    """Store one fetch attempt: the fetch row, and the release and its figures when new."""
    fetch = {
        "run_id": run_id,
        "source": doc.source,
        "url": doc.url,
        "started_at": clock.iso(),
        "finished_at": clock.iso(),
        "http_status": doc.http_status,
        "bytes": len(doc.body),
        "duration_ms": doc.duration_ms,
    }
    if doc.not_modified:
        store.add_fetch(**fetch, status="not_modified")
        return IngestResult("not_modified")
    if not doc.body:
        store.add_fetch(**fetch, status="error", error_class=doc.error_class, error=doc.error)
        return IngestResult("error", error=doc.error)
    if not doc.failed and not doc.observations:
        doc.error_class, doc.error = "layout", "document parsed but yielded no figures"

    sha256 = hashlib.sha256(doc.body).hexdigest()
    with store.transaction():
        existing = store.find_release(doc.source, sha256)
        if doc.failed:
            release_id = existing["id"] if existing else store.add_release(_release(doc, "error"))
            store.add_fetch(
                **fetch,
                status="error",
                error_class=doc.error_class,
                error=doc.error,
                release_id=release_id,
            )
            return IngestResult("error", release_id, error=doc.error)
        if existing and store.release_has_observations(existing["id"]):
            store.add_fetch(**fetch, status="not_modified", release_id=existing["id"])
            return IngestResult("not_modified", existing["id"])
        if existing:  # the same bytes failed before and parse now: the parser was fixed
            release_id = existing["id"]
            store.mark_release_parsed(release_id, doc.latest_period)
        else:
            release_id = store.add_release(_release(doc, "ok"))
        checkpoint("ingest.release")
        count = store.add_observations(release_id, doc.observations)
        checkpoint("ingest.observations")
        store.add_fetch(**fetch, status="ok", release_id=release_id)
        alerts = events(store, release_id) if events else 0
        checkpoint("ingest.events")  # the last moment before COMMIT
    checkpoint("ingest.committed")
    return IngestResult("ok", release_id, count, alerts)


def record_storage_error(
    store: Store, doc: Document, exc: sqlite3.Error, *, run_id: int | None = None
) -> None:
    """The database refused a document (full, read-only): log the fetch as a storage error.

    The failed transaction was rolled back, so nothing of the document is stored; the next
    run fetches it again. If even this small row cannot be written, the log says why.
    """
    error = f"cannot store the document in {store.path}: {exc}"
    try:
        store.add_fetch(
            run_id=run_id,
            source=doc.source,
            url=doc.url,
            started_at=clock.iso(),
            finished_at=clock.iso(),
            http_status=doc.http_status,
            bytes=len(doc.body),
            duration_ms=doc.duration_ms,
            status="error",
            error_class="storage",
            error=error,
        )
    except sqlite3.Error as again:
        logger.error("%s: %s; recording that failed too: %s", doc.source, error, again)
    else:
        logger.info("%s: %s (%s)", doc.source, error, doc.url)


def _release(doc: Document, parse_status: str) -> NewRelease:
    return NewRelease(
        source=doc.source,
        url=doc.url,
        body=doc.body,
        retrieved_at=clock.iso(),
        parse_status=parse_status,
        parse_error=doc.error if parse_status == "error" else None,
        etag=doc.etag,
        last_modified=doc.last_modified,
        content_type=doc.content_type,
        format=doc.format,
        latest_period=doc.latest_period,
        doc_key=doc.doc_key,
        title=doc.title,
        published_at=doc.published_at,
        text=doc.text,
    )


# -- history files --------------------------------------------------------------------------


class HistoryFileError(ItxError):
    """A history CSV is malformed; the message names the line."""


def baseline_bytes() -> bytes:
    return resources.files("itx_scraper").joinpath("data/ict_monthly.csv").read_bytes()


def load_baseline(store: Store) -> int:
    """Load the bundled history as source ``baseline``; returns observations added."""
    return _load_history(store, baseline_bytes(), source="baseline", url=BASELINE_URL)


def import_history(store: Store, path: Path) -> int:
    """Import ``period,usd_million[,series,source_url]`` rows as source ``import``."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise HistoryFileError(f"cannot read {path}: {exc.strerror}") from exc
    return _load_history(store, body, source="import", url=str(path.resolve()))


def _load_history(store: Store, body: bytes, *, source: str, url: str) -> int:
    rows = history_rows(body, label=url)
    release = NewRelease(
        source=source,
        url=url,
        body=body,
        retrieved_at=clock.iso(),
        parse_status="ok",
        format="csv",
        latest_period=max((row["period_end"] for row in rows), default=None),
    )
    with store.transaction():
        if store.find_release(source, release.sha256):
            return 0
        release_id = store.add_release(release)
        checkpoint("history.release")
        added = store.add_observations(release_id, rows)
        checkpoint("history.observations")
    return added


def history_rows(body: bytes, *, label: str) -> list[dict[str, Any]]:
    """Validate a history CSV and return observation rows; empty values mean unknown."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryFileError(f"{label}: not UTF-8 text") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"period", "usd_million"} - set(reader.fieldnames or ())
    if missing:
        raise HistoryFileError(f"{label}: missing column(s) {', '.join(sorted(missing))}")
    rows = []
    for line, record in enumerate(reader, start=2):
        value_text = (record.get("usd_million") or "").strip()
        if not value_text:
            continue
        try:
            start, end = parse_range((record.get("period") or "").strip())
            value = float(value_text.replace(",", ""))
        except ValueError as exc:
            raise HistoryFileError(f"{label}, line {line}: {exc}") from exc
        if not math.isfinite(value) or value < 0 or start > end:
            raise HistoryFileError(f"{label}, line {line}: implausible row {record!r}")
        rows.append(_history_row(record, start, end, value))
    if not rows:
        raise HistoryFileError(f"{label}: no rows with a value")
    return rows


def _history_row(record: dict[str, str], start: Month, end: Month, value: float) -> dict[str, Any]:
    note = " ".join(filter(None, (record.get("kind"), record.get("note")))).strip() or None
    return {
        "series": (record.get("series") or "").strip() or "9",
        "flow": "credit",
        "period": format_range(start, end),
        "period_start": str(start),
        "period_end": str(end),
        "months": end.index - start.index + 1,
        "usd_million": value,
        "status": None,
        "source_url": (record.get("source_url") or "").strip() or None,
        "note": note,
    }
