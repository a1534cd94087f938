"""The outbox: alerts stored with their cause, then drained to Apprise with retries.

It only stores and delivers; which alerts a release raises is decided in ``rules.py``.
Apprise is imported only when a destination has to be read or a message sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from itx_scraper.alerts import notify
from itx_scraper.alerts.events import Event
from itx_scraper.alerts.messages import render
from itx_scraper.core import clock, interrupt
from itx_scraper.core.faults import checkpoint

if TYPE_CHECKING:
    from itx_scraper.core.config import Config
    from itx_scraper.store import Store

logger = logging.getLogger(__name__)
Echo = Callable[[str], None]
# Files to attach to one delivery (the record chart), given the delivery row and destination.
Attachments = Callable[[dict[str, Any], notify.Destination], list[str]]


class Outbox:
    """Stores alerts with one pending delivery per routed destination, and drains them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._destinations: list[notify.Destination] | None = None

    @property
    def destinations(self) -> list[notify.Destination]:
        """Read once, when first needed: a run that raises nothing never imports Apprise."""
        if self._destinations is None:
            self._destinations = notify.destinations(self.config)
        return self._destinations

    def record(
        self,
        store: Store,
        raised: Sequence[Event],
        release_id: int | None,
        destinations: Sequence[notify.Destination] | None = None,
    ) -> int:
        """Write alerts and their pending deliveries; returns how many alerts are new."""
        added = 0
        for event in raised:
            message = render(event.kind, event.series, event.facts, self.config.templates)
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
            routed = notify.for_route(
                self.destinations if destinations is None else destinations, event.route
            )
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

    def deliver(
        self,
        store: Store,
        *,
        echo: Echo = print,
        dry_run: bool = False,
        attachments: Attachments | None = None,
    ) -> dict[str, int]:
        """Drain the outbox. Each success is committed right after its send. The ops alerts
        that giving up raises are drained too, in the same call, not an hour later."""
        counts = {"sent": 0, "failed": 0, "given_up": 0, "printed": 0, "pending": 0}
        # Bounded: an ops alert about a give-up never raises another (see _give_up). Later
        # passes send only what was never tried: a failure waits for the next run.
        fresh_only = False
        while self._drain(store, counts, echo, dry_run, attachments, fresh_only=fresh_only):
            fresh_only = True
        return counts

    def _drain(
        self,
        store: Store,
        counts: dict[str, int],
        echo: Echo,
        dry_run: bool,
        attachments: Attachments | None,
        *,
        fresh_only: bool,
    ) -> bool:
        """One pass over what is due; True when giving up raised new ops alerts."""
        raised = False
        now = clock.now()
        for alert in store.alerts_to_print():
            echo(f"[{alert['kind']}] {alert['title']}\n{alert['body']}\n")
            if not dry_run:
                store.mark_alert_printed(alert["id"], clock.iso())
            counts["printed"] += 1
        due = store.due_deliveries(clock.iso(now))
        if fresh_only:
            due = [delivery for delivery in due if int(delivery["attempts"]) == 0]
        if not due:
            return raised
        available = {d.key: d for d in self.destinations}
        section = self.config.section("alerts")
        max_attempts = int(section["max_attempts"])
        backoff = float(section["backoff_seconds"])
        for delivery in due:
            if dry_run:
                echo(
                    f"[{delivery['kind']} → {delivery['target']}] {delivery['title']}\n"
                    f"{delivery['markdown']}\n"
                )
                counts["pending"] += 1
                continue
            destination = available.get(delivery["destination"])
            if destination is None:  # removed, or its URL changed (a rotated token)
                logger.warning(
                    "alert %s: its destination %s is no longer configured; given up",
                    delivery["alert_id"],
                    delivery["target"],
                )
                raised |= self._give_up(store, delivery, "destination no longer configured")
                counts["given_up"] += 1
                continue
            interrupt.check()  # a signal stops between messages: the rest stay pending
            checkpoint("deliver.before_send")
            result = notify.send(
                destination,
                delivery["title"],
                delivery["body"],
                delivery["markdown"],
                attachments=attachments(delivery, destination) if attachments else (),
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
                raised |= self._give_up(store, delivery, result.error)
                counts["given_up"] += 1
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
        return raised

    def _give_up(self, store: Store, delivery: dict[str, Any], error: str | None) -> bool:
        """Mark the delivery given up and tell the ops route (but not about itself), in one
        transaction: a crash between the two would leave a give-up nobody hears of. True
        when a new ops alert was recorded (to send, or to print where it has nowhere to go)."""
        with store.transaction():
            store.record_delivery(delivery["id"], status="given_up", at=clock.iso(), error=error)
            checkpoint("deliver.given_up")
            if delivery["kind"] == "source_error" and delivery["route"] == "ops":
                return False
            event = self._give_up_event(delivery, error)
            return bool(self.record(store, [event], None, self._others(delivery)))

    def _others(self, delivery: dict[str, Any]) -> list[notify.Destination]:
        return [d for d in self.destinations if d.key != delivery["destination"]]

    @staticmethod
    def _give_up_event(delivery: dict[str, Any], error: str | None) -> Event:
        target = delivery["target"]
        return Event(
            "source_error",
            "delivery",
            "",
            {
                "title": f"Alert delivery to {target} given up",
                "text": (
                    f"Alert {delivery['alert_id']} ({delivery['kind']}: {delivery['title']}) "
                    f"could not be delivered to {target}: {error}"
                ),
            },
            discriminator=f"delivery-{delivery['id']}",
        )
