"""After a crawl: read the fetch log and release history, apply the health and calendar rules,
record ``source_error``, ``source_recovered`` and ``overdue`` alerts in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from itx_scraper.alerts.outbox import Outbox
from itx_scraper.core import clock
from itx_scraper.core.faults import checkpoint
from itx_scraper.core.sources import SOURCES
from itx_scraper.ops import calendar
from itx_scraper.ops.health import (
    HEALTH_KINDS,
    HealthRules,
    Streak,
    attempts,
    evaluate,
    streak,
    title_of,
)

if TYPE_CHECKING:
    from itx_scraper.alerts.events import Event
    from itx_scraper.core.config import Config
    from itx_scraper.store import Store

logger = logging.getLogger(__name__)
# Periods the release calendar learns from: it reads its 24 latest publications (and the
# median step between them all); ten years is plenty, and 30 years cost three times as much.
CALENDAR_PERIODS = 120


def source_streak(store: Store, source: str) -> Streak:
    """The source's current run of failures (and its last success), read lazily newest first."""
    return streak(attempts(source, store.fetches_newest_first(source)))


def calendar_sources(sources: Iterable[str], watches: Collection[str] = ()) -> list[str]:
    """Sources with a release calendar: the official ones, and the watches."""
    return [s for s in sources if (s in SOURCES and SOURCES[s].official) or s in watches]


def source_title(config: Config, source: str) -> str:
    """How health and calendar alerts name a source; a watch by its label and workbook."""
    watch = config.watches.get(source)
    if watch is None:
        return title_of(source)
    return f"{watch.title} (watch {source}, {watch.url.rsplit('/', 1)[-1]})"


def source_forecast(
    store: Store, source: str, first_seen: Sequence[tuple[str, str]]
) -> calendar.Forecast | None:
    """A source's forecast from its stored history: first sightings and Last-Modified."""
    return calendar.forecast(source, first_seen, store.period_last_modified(source))


def forecasts(
    store: Store, sources: Iterable[str], watches: Collection[str] = ()
) -> dict[str, calendar.Forecast]:
    found = {}
    for source in calendar_sources(sources, watches):
        predicted = source_forecast(
            store, source, store.period_first_seen(source, CALENDAR_PERIODS)
        )
        if predicted is not None:
            found[source] = predicted
    return found


def check(store: Store, config: Config, sources: Sequence[str], outbox: Outbox) -> int:
    """Health and overdue alerts for ``sources``; returns alerts added."""
    rules = HealthRules.from_config(config)
    now = clock.now()
    prior_health = store.alerts_for(HEALTH_KINDS)
    prior_overdue = store.alerts_for(("overdue",))
    raised: list[Event] = []
    for source in sources:
        current = source_streak(store, source)
        title = source_title(config, source)
        raised += evaluate(source, title, current, prior_health, now=now, rules=rules)
        if rules.overdue and source in calendar_sources([source], config.watches):
            first_seen = store.period_first_seen(source, CALENDAR_PERIODS)
            raised += calendar.overdue_events(
                source,
                title,
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
        return outbox.record(store, raised, None)
