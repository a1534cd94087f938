"""Source health: pure rules over the fetch log, and the check that runs after each crawl."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from itx_scraper import clock, release_calendar
from itx_scraper.events import Event
from itx_scraper.faults import checkpoint
from itx_scraper.sources import SOURCES

if TYPE_CHECKING:
    from itx_scraper.config import Config
    from itx_scraper.store import Store

logger = logging.getLogger(__name__)
HEALTH_KINDS = ("source_error", "source_recovered")


@dataclass(frozen=True)
class HealthRules:
    """``[health]`` settings."""

    failures: int = 3  # consecutive failed attempts before source_error
    remind_days: float = 7.0  # a reminder while the source keeps failing
    overdue: bool = True
    overdue_days: int = 5

    @classmethod
    def from_config(cls, config: Config) -> HealthRules:
        section = config.section("health")
        return cls(
            failures=max(1, int(section["failures"])),
            remind_days=float(section["remind_days"]),
            overdue=bool(section["overdue"]),
            overdue_days=int(section["overdue_days"]),
        )


@dataclass(frozen=True)
class Attempt:
    """One try at a source: all its fetches in one run (a single fetch outside a run)."""

    key: str
    started_at: str
    failed: bool
    url: str
    error_class: str | None = None
    error: str | None = None
    http_status: int | None = None


def attempts(rows: Iterable[Mapping[str, Any]]) -> Iterator[Attempt]:
    """Group fetch rows (newest first) into attempts; any error fails the attempt.

    A 404 on a configured file is as much a failure as a parse error: the data is not there.
    """

    def key(row: Mapping[str, Any]) -> str:
        return f"run {row['run_id']}" if row["run_id"] is not None else f"fetch {row['id']}"

    for group_key, group in itertools.groupby(rows, key=key):
        fetches = list(group)
        errors = [f for f in fetches if f["status"] == "error"]
        shown = errors[0] if errors else fetches[0]
        yield Attempt(
            key=group_key,
            started_at=str(fetches[-1]["started_at"]),
            failed=bool(errors),
            url=str(shown["url"]),
            error_class=shown.get("error_class"),
            error=shown.get("error"),
            http_status=shown.get("http_status"),
        )


@dataclass(frozen=True)
class Streak:
    """The current run of failures, read from the newest attempt back to the last success."""

    failures: int = 0
    last_attempt: Attempt | None = None
    last_success: Attempt | None = None
    first_failure: Attempt | None = None  # oldest attempt of the current streak
    failures_before: int = 0  # when the newest attempt succeeded: the streak it ended


def streak(newest_first: Iterable[Attempt]) -> Streak:
    """Consume attempts only as far as needed, so the cost follows the streak, not the log."""
    items = iter(newest_first)
    last = next(items, None)
    if last is None:
        return Streak()
    if not last.failed:
        before = 0
        for attempt in items:
            if not attempt.failed:
                break
            before += 1
        return Streak(0, last, last, None, before)
    failures, first = 1, last
    for attempt in items:
        if not attempt.failed:
            return Streak(failures, last, attempt, first)
        failures, first = failures + 1, attempt
    return Streak(failures, last, None, first)


@dataclass(frozen=True)
class Incident:
    """An open source_error: its key, when it was last announced and how many reminders."""

    key: str
    since: str
    last_alert_at: str
    reminders: int


def open_incident(source: str, prior: Sequence[Mapping[str, Any]]) -> Incident | None:
    """The source's source_error without a source_recovered, from earlier alerts (by id)."""
    incidents: dict[str, Incident] = {}
    for alert in prior:
        facts = alert["facts"]
        key = facts.get("incident")
        if alert["series"] != source or not key:
            continue
        if alert["kind"] == "source_error":
            known = incidents.get(key)
            incidents[key] = Incident(
                key,
                facts.get("since", key),
                str(alert["created_at"]),
                known.reminders + 1 if known else 0,
            )
        elif alert["kind"] == "source_recovered":
            incidents.pop(key, None)
    return list(incidents.values())[-1] if incidents else None


def evaluate(
    source: str,
    title: str,
    current: Streak,
    prior: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    rules: HealthRules,
) -> list[Event]:
    """source_error after N consecutive failures, a reminder every M days, one recovery."""
    incident = open_incident(source, prior)
    last = current.last_attempt
    if last is None:
        return []
    if not last.failed:
        if incident is None:
            return []
        return [
            Event(
                "source_recovered",
                source,
                "",
                {
                    "incident": incident.key,
                    "source": source,
                    "since": incident.since,
                    "failures": current.failures_before,
                    "title": f"{title} works again",
                    "text": (
                        f"{title} ({source}) works again: the attempt at {last.started_at} "
                        f"succeeded after {current.failures_before} failed attempt(s) since "
                        f"{incident.since}."
                    ),
                },
                discriminator=incident.key,
            )
        ]
    if current.failures < rules.failures:
        return []
    facts = {
        "source": source,
        "failures": current.failures,
        "url": last.url,
        "error_class": last.error_class,
        "http_status": last.http_status,
        "error": last.error,
    }
    detail = (
        f"The last error ({last.error_class or 'unknown'}"
        + (f", HTTP {last.http_status}" if last.http_status else "")
        + f") at {last.started_at}: {last.error} ({last.url})."
    )
    if incident is None:
        since = current.first_failure.started_at if current.first_failure else last.started_at
        return [
            Event(
                "source_error",
                source,
                "",
                {
                    **facts,
                    "incident": since,
                    "since": since,
                    "title": f"{title} is failing",
                    "text": (
                        f"{title} ({source}) failed {current.failures} times in a row since "
                        f"{since}. {detail} Other sources are not affected."
                    ),
                },
                discriminator=since,
            )
        ]
    age = now - datetime.fromisoformat(incident.last_alert_at)
    if age < timedelta(days=rules.remind_days):
        return []
    number = incident.reminders + 1
    return [
        Event(
            "source_error",
            source,
            "",
            {
                **facts,
                "incident": incident.key,
                "since": incident.since,
                "reminder": number,
                "title": f"{title} is still failing",
                "text": (
                    f"Reminder {number}: {title} ({source}) has failed {current.failures} times "
                    f"in a row since {incident.since}. {detail}"
                ),
            },
            discriminator=f"{incident.key} reminder {number}",
        )
    ]


def title_of(source: str) -> str:
    info = SOURCES.get(source)
    return info.description if info else source


# -- glue: read the store, apply the rules, record alerts in the outbox ----------------------


def _with_facts(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "facts": json.loads(row["facts"] or "{}")} for row in rows]


def source_streak(store: Store, source: str) -> Streak:
    return streak(attempts(store.fetches_newest_first(source)))


def calendar_sources(sources: Iterable[str]) -> list[str]:
    """Sources with a release calendar: the official ones."""
    return [s for s in sources if s in SOURCES and SOURCES[s].official]


def source_forecast(
    store: Store, source: str, first_seen: Sequence[tuple[str, str]]
) -> release_calendar.Forecast | None:
    """A source's forecast from its stored history: first sightings and Last-Modified."""
    return release_calendar.forecast(source, first_seen, store.period_last_modified(source))


def forecasts(store: Store, sources: Iterable[str]) -> dict[str, release_calendar.Forecast]:
    found = {}
    for source in calendar_sources(sources):
        predicted = source_forecast(store, source, store.period_first_seen(source))
        if predicted is not None:
            found[source] = predicted
    return found


def check(store: Store, config: Config, sources: Sequence[str]) -> int:
    """After a crawl: health and overdue alerts for ``sources``; returns alerts added."""
    from itx_scraper import notify, outbox

    rules = HealthRules.from_config(config)
    now = clock.now()
    prior_health = _with_facts(store.alerts_for(HEALTH_KINDS))
    prior_overdue = _with_facts(store.alerts_for(("overdue",)))
    raised: list[Event] = []
    for source in sources:
        current = source_streak(store, source)
        raised += evaluate(source, title_of(source), current, prior_health, now=now, rules=rules)
        if rules.overdue and source in calendar_sources([source]):
            first_seen = store.period_first_seen(source)
            raised += release_calendar.overdue_events(
                source,
                title_of(source),
                source_forecast(store, source, first_seen),
                dict(first_seen),
                prior_overdue,
                today=now.date(),
                overdue_days=rules.overdue_days,
                checked=current.last_attempt is not None and not current.last_attempt.failed,
            )
    checkpoint("health.evaluated")
    if not raised:
        return 0
    for event in raised:
        logger.info("%s: %s", event.kind, event.facts.get("title"))
    with store.transaction():
        return outbox.record(store, raised, None, config, notify.destinations(config))
