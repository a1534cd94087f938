"""Turn fetched documents and history files into releases and observations (via the store)."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from itx_scraper.core import clock
from itx_scraper.core.errors import ItxError
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.periods import Month, parse_range
from itx_scraper.core.sources import ICT
from itx_scraper.items import Document, Observation
from itx_scraper.parsers.common import ICT_MONTHLY_BOUNDS
from itx_scraper.store import NewRelease, Store, StoreError

if TYPE_CHECKING:
    from itx_scraper.alerts.rules import AlertStep

logger = logging.getLogger(__name__)

BASELINE_URL = "package:itx_scraper/data/ict_monthly.csv"
# A document may carry the month after the clock's (a release dated ahead), never later ones.
FUTURE_SLACK_MONTHS = 1
MAX_LISTED_ERRORS = 10  # bad rows named in one import-history error
EARLIEST_YEAR = 1947  # no Pakistani statistic is older
ANY_SERIES_MONTHLY_MAX = 1e6  # US$ million a month: a sanity cap for series other than ICT


@dataclass(frozen=True)
class IngestResult:
    """What one document did to the database."""

    status: str  # ok | not_modified | error
    release_id: int | None = None
    observations: int = 0
    alerts: int = 0
    error: str | None = None


def ingest_document(
    store: Store, doc: Document, *, run_id: int | None = None, alerts: AlertStep | None = None
) -> IngestResult:
    """Store one fetch attempt: the fetch row, and the release and its figures when new.

    ``alerts`` records what the new release raises, inside the same transaction.
    """
    refuse_future(doc, clock.now())
    fetch = _fetch_row(doc, run_id)
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
        count = store.add_observations(release_id, [o.as_row() for o in doc.observations])
        checkpoint("ingest.observations")
        store.add_fetch(**fetch, status="ok", release_id=release_id)
        raised = alerts(store, release_id) if alerts else 0
        checkpoint("ingest.events")  # the last moment before COMMIT
    checkpoint("ingest.committed")
    return IngestResult("ok", release_id, count, raised)


def refuse_future(doc: Document, now: datetime) -> None:
    """A figure for a month that has not happened is a misread: fail the whole document."""
    limit = Month(now.year, now.month).shift(FUTURE_SLACK_MONTHS)
    for obs in doc.observations:
        if obs.end > limit:
            where = obs.cell or obs.location or obs.header or "the document"
            doc.error_class = "parse"
            doc.error = (
                f"period {obs.end} is in the future (clock {now:%Y-%m}) at {where[:120]}"
                f" ({obs.label or obs.series})"
            )
            doc.observations = []
            return


def _fetch_row(doc: Document, run_id: int | None) -> dict[str, object]:
    return {
        "run_id": run_id,
        "source": doc.source,
        "url": doc.url,
        "started_at": doc.started_at or clock.iso(),
        "finished_at": clock.iso(),
        "http_status": doc.http_status,
        "bytes": len(doc.body),
        "duration_ms": doc.duration_ms,
        "links": doc.links,  # a list page's candidate links: the empty-list monitor's history
    }


def record_storage_error(
    store: Store, doc: Document, exc: Exception, *, run_id: int | None = None
) -> None:
    """The database refused a document (full, read-only), or storing it failed on the way
    (an alert with an unusable destination): log the fetch as a storage error.

    The failed transaction was rolled back, so nothing of the document is stored; the next
    run fetches it again. If even this small row cannot be written, the log says why.
    """
    error = f"cannot store the document: {exc}"
    try:
        store.add_fetch(
            **_fetch_row(doc, run_id), status="error", error_class="storage", error=error
        )
    except StoreError as again:
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


def load_baseline(store: Store) -> tuple[int, list[Observation]]:
    """Load the bundled history as source ``baseline``; returns (observations added, them).

    Months after the clock's are left out: a replay at an earlier date knows only the past.
    """
    rows, skipped = history_observations(baseline_bytes(), label=BASELINE_URL, future="skip")
    if skipped:
        logger.info("baseline: left out %d month(s) after the clock's month", skipped)
    return _load_history(store, baseline_bytes(), rows, source="baseline", url=BASELINE_URL), rows


def import_history(store: Store, path: Path) -> int:
    """Import ``period,usd_million[,series,source_url]`` rows as source ``import``."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise HistoryFileError(f"cannot read {path}: {exc.strerror}") from exc
    rows, _ = history_observations(body, label=str(path), future="refuse")
    return _load_history(store, body, rows, source="import", url=str(path.resolve()))


def _load_history(
    store: Store, body: bytes, rows: list[Observation], *, source: str, url: str
) -> int:
    release = NewRelease(
        source=source,
        url=url,
        body=body,
        retrieved_at=clock.iso(),
        parse_status="ok",
        format="csv",
        latest_period=str(max(row.end for row in rows)) if rows else None,
    )
    with store.transaction():
        if store.find_release(source, release.sha256):
            return 0
        release_id = store.add_release(release)
        checkpoint("history.release")
        added = store.add_observations(release_id, [row.as_row() for row in rows])
        checkpoint("history.observations")
    return added


def history_observations(
    body: bytes, *, label: str, future: str = "refuse"
) -> tuple[list[Observation], int]:
    """Validate a history CSV; return its observations and how many future rows were skipped.

    Every bad row is named (up to ten) and nothing is imported: unreadable periods or values,
    non-finite or implausible values, months after the clock's (``future="refuse"``; with
    ``"skip"`` they are left out), and a period given twice. Empty values mean unknown.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryFileError(f"{label}: not UTF-8 text") from exc
    reader = csv.DictReader(io.StringIO(text))
    try:  # the header is read here too: an oversized field in it is a csv.Error as well
        columns = set(reader.fieldnames or ())
        records = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise HistoryFileError(
            f"{label}: not a readable CSV file (line {reader.line_num}): {exc}"
        ) from exc
    missing = {"period", "usd_million"} - columns
    if missing:
        raise HistoryFileError(f"{label}: missing column(s) {', '.join(sorted(missing))}")
    now = clock.now()
    latest = Month(now.year, now.month).shift(FUTURE_SLACK_MONTHS)
    rows: list[Observation] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    skipped = 0
    for line, record in records:
        value_text = (record.get("usd_million") or "").strip()
        if not value_text:
            continue
        try:
            obs = _history_observation(record, value_text)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if obs.end > latest:
            if future == "skip":
                skipped += 1
                continue
            problems.append(
                f"line {line}: period {obs.period} is in the future (clock {now:%Y-%m})"
            )
            continue
        key = (obs.series, obs.period)
        if key in seen:
            problems.append(f"line {line}: period {obs.period} also on line {seen[key]}")
            continue
        seen[key] = line
        rows.append(obs)
    if problems:
        shown = "; ".join(problems[:MAX_LISTED_ERRORS])
        more = f" (and {len(problems) - MAX_LISTED_ERRORS} more)" if len(problems) > 10 else ""
        raise HistoryFileError(
            f"{label}: {len(problems)} bad row(s), nothing imported: {shown}{more}"
        )
    if not rows:
        raise HistoryFileError(f"{label}: no rows with a value")
    return rows, skipped


def _history_observation(record: dict[str, str], value_text: str) -> Observation:
    """One row; ValueError names what is wrong with it."""
    start, end = parse_range((record.get("period") or "").strip())
    if start > end:
        raise ValueError(f"period {start}/{end} ends before it starts")
    if start.year < EARLIEST_YEAR:
        raise ValueError(f"period {start} is before {EARLIEST_YEAR}")
    value = float(value_text.replace(",", ""))
    series = (record.get("series") or "").strip() or ICT
    months = end.index - start.index + 1
    low, high = ICT_MONTHLY_BOUNDS if series == ICT else (0.0, ANY_SERIES_MONTHLY_MAX)
    if not (math.isfinite(value) and low <= value <= high * months):
        raise ValueError(
            f"value {value_text!r} is outside {low:,.0f}-{high * months:,.0f} US$ million"
            f" for {months} month(s) of series {series}"
        )
    note = " ".join(filter(None, (record.get("kind"), record.get("note")))).strip() or None
    return Observation(
        series=series,
        flow="credit",
        start=start,
        end=end,
        value=value,
        source_url=(record.get("source_url") or "").strip() or None,
        note=note,
    )
