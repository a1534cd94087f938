"""The outbox: alerts written with their cause, then drained to Apprise with retries."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from itx_scraper.alerts import events, notify, reconcile
from itx_scraper.alerts.messages import render
from itx_scraper.core import clock
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.sources import OFFICIAL, SOURCES, STATEMENTS

if TYPE_CHECKING:
    from itx_scraper.alerts.events import Event
    from itx_scraper.core.config import Config
    from itx_scraper.ingest import EventsHook
    from itx_scraper.store import Store

logger = logging.getLogger(__name__)
KNOWN_SOURCES = (*OFFICIAL, "baseline", "import")
Echo = Callable[[str], None]


def rules_from(config: Config) -> events.Rules:
    section = config.section("alerts")
    return events.Rules(
        thresholds=tuple(float(v) for v in section["thresholds"]),
        projection_targets=tuple(float(v) for v in section["projection_targets"]),
        revision_tolerance=float(section["revision_tolerance"]),
    )


def events_hook(config: Config, *, silent: bool) -> EventsHook:
    """The function that ingest calls inside each release's transaction."""
    rules = rules_from(config)
    series_list = tuple(config.section("alerts")["series"])
    tolerance = reconcile.Tolerance(
        float(config.section("alerts")["mismatch_tolerance"]),
        float(config.section("alerts")["mismatch_tolerance_pct"]),
    )
    all_destinations = notify.destinations(config)

    def hook(store: Store, release_id: int) -> int:
        if silent:
            return 0
        source = store.release_info(release_id)["source"]
        official = SOURCES[source].official if source in SOURCES else False
        raised: list[Event] = []
        for series in series_list:
            # Statements never shape official alerts (records, MoM): reconcile.py handles them.
            history = [o for o in store.history(series) if o.source not in STATEMENTS]
            raised += events.evaluate(
                series,
                [o for o in history if o.release_id != release_id],
                [o for o in history if o.release_id == release_id],
                official=official,
                official_sources=OFFICIAL,
                known_sources=KNOWN_SOURCES,
                prior_alerts=_prior_alerts(store),
                rules=rules,
            )
            raised += reconcile.check(
                store,
                series,
                release_id,
                source,
                official_sources=OFFICIAL,
                statement_sources=STATEMENTS,
                known_sources=KNOWN_SOURCES,
                tolerance=tolerance,
            )
        return record(store, raised, release_id, config, all_destinations)

    return hook


def _prior_alerts(store: Store) -> list[dict[str, Any]]:
    rows = store.alerts_for(("record", "record_revoked", "projection"))
    return [{**row, "facts": json.loads(row["facts"] or "{}")} for row in rows]


def record(
    store: Store,
    raised: Sequence[Event],
    release_id: int | None,
    config: Config,
    all_destinations: Sequence[notify.Destination],
) -> int:
    """Write alerts and one pending delivery per routed destination; returns alerts added."""
    added = 0
    for event in raised:
        message = render(event.kind, event.series, event.facts, config.templates)
        key = "|".join(
            str(part)
            for part in (
                event.kind,
                event.series,
                event.period,
                release_id or "",
                event.discriminator,
            )
        )
        routed = notify.for_route(all_destinations, event.route)
        alert_id = store.add_alert(
            {
                "dedup_key": key,
                "kind": event.kind,
                "route": event.route,
                "series": event.series,
                "period": event.period or None,
                "release_id": release_id,
                "title": message.title,
                "body": message.body,
                "markdown": message.markdown,
                "facts": dict(event.facts),
                "created_at": clock.iso(),
            },
            [(d.key, d.target) for d in routed],
        )
        added += bool(alert_id)
        checkpoint("outbox.alert")
    return added


def count_created_in_run(store: Store, run_id: int) -> int:
    return store.alerts_created_by_run(run_id)


def deliver(
    store: Store, config: Config, *, echo: Echo = print, dry_run: bool = False
) -> dict[str, int]:
    """Drain the outbox once. Each success is committed right after its send."""
    with RecordCharts(store) as charts:
        return _deliver(store, config, echo=echo, dry_run=dry_run, charts=charts)


class RecordCharts:
    """Record alerts carry the chart where Apprise can attach it; drawn once per drain."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.scratch: tempfile.TemporaryDirectory[str] | None = None
        self.paths: dict[str, str | None] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.scratch is not None:
            self.scratch.cleanup()

    def attachments(self, delivery: dict[str, Any], destination: notify.Destination) -> list[str]:
        if delivery["kind"] != "record" or not destination.service.attachment_support:
            return []
        series = self.store.alert_series(delivery["alert_id"]) or "9"
        if series not in self.paths:
            self.paths[series] = self._draw(series)
        path = self.paths[series]
        return [path] if path else []

    def _draw(self, series: str) -> str | None:
        from itx_scraper.query import chart

        if self.scratch is None:
            self.scratch = tempfile.TemporaryDirectory(prefix="itx-chart-")
        output = Path(self.scratch.name) / f"itx-scraper-{series}.png"
        try:
            chart.render(self.store, output, series=series)
        except chart.ChartUnavailable:
            logger.info("matplotlib is not installed; record alerts go out without the chart")
            return None
        except Exception:  # a chart must never hold back an alert
            logger.exception("drawing the chart for a record alert failed; sending without it")
            return None
        return str(output)


def _deliver(
    store: Store, config: Config, *, echo: Echo, dry_run: bool, charts: RecordCharts
) -> dict[str, int]:
    counts = {"sent": 0, "failed": 0, "given_up": 0, "printed": 0, "pending": 0}
    now = clock.now()
    for alert in store.undelivered_alerts():
        if store.alert_destinations_missing(alert["id"]):
            echo(f"[{alert['kind']}] {alert['title']}\n{alert['body']}\n")
            if not dry_run:
                store.mark_alert_printed(alert["id"], clock.iso())
            counts["printed"] += 1
    available = {d.key: d for d in notify.destinations(config)}
    section = config.section("alerts")
    max_attempts = int(section["max_attempts"])
    backoff = float(section["backoff_seconds"])
    for delivery in store.due_deliveries(clock.iso(now)):
        if dry_run:
            echo(
                f"[{delivery['kind']} → {delivery['target']}] {delivery['title']}\n"
                f"{delivery['markdown']}\n"
            )
            counts["pending"] += 1
            continue
        destination = available.get(delivery["destination"])
        if destination is None:
            store.record_delivery(
                delivery["id"],
                status="given_up",
                at=clock.iso(),
                error="destination no longer configured",
            )
            counts["given_up"] += 1
            continue
        checkpoint("deliver.before_send")
        result = notify.send(
            destination,
            delivery["title"],
            delivery["body"],
            delivery["markdown"],
            attachments=charts.attachments(delivery, destination),
        )
        if result.ok:
            checkpoint("deliver.acked")  # a SIGKILL from here to the commit resends this one
            store.record_delivery(delivery["id"], status="sent", at=clock.iso())
            checkpoint("deliver.recorded")
            counts["sent"] += 1
            continue
        attempts = int(delivery["attempts"]) + 1
        counts["failed"] += 1
        logger.error(
            "delivery of alert %s to %s failed (attempt %d): %s",
            delivery["alert_id"],
            destination.target,
            attempts,
            result.error,
        )
        if attempts >= max_attempts:
            store.record_delivery(
                delivery["id"], status="given_up", at=clock.iso(), error=result.error
            )
            counts["given_up"] += 1
            _raise_give_up(store, config, delivery, destination, result.error)
            continue
        # The first failure is retried on the next run; backoff starts with the second.
        wait = 0.0 if attempts == 1 else backoff * 2 ** (attempts - 2)
        store.record_delivery(
            delivery["id"],
            status="pending",
            at=clock.iso(),
            error=result.error,
            next_attempt_at=clock.iso(now + timedelta(seconds=wait)) if wait else None,
        )
        checkpoint("deliver.failed")
    return counts


def _raise_give_up(
    store: Store,
    config: Config,
    delivery: dict[str, Any],
    destination: notify.Destination,
    error: str | None,
) -> None:
    """Tell the ops route that a destination was given up on (but not about itself)."""
    if delivery["kind"] == "source_error" and delivery["route"] == "ops":
        return
    event = events.Event(
        "source_error",
        "delivery",
        "",
        {
            "title": f"Alert delivery to {destination.target} given up",
            "text": (
                f"Alert {delivery['alert_id']} ({delivery['kind']}: {delivery['title']}) "
                f"could not be delivered to {destination.target}: {error}"
            ),
        },
        discriminator=f"delivery-{delivery['id']}",
    )
    others = [d for d in notify.destinations(config) if d.key != destination.key]
    with store.transaction():
        record(store, [event], None, config, others)
