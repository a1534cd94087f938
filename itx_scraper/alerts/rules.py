"""The rules step: which alerts a newly stored release raises, decided in one place.

Ingest calls :func:`alert_step`'s function inside the transaction that stored the release, so
the alerts commit with their cause. This module reads the store once per series and hands
plain values to the pure rules in ``events.py`` (official data and watches) and
``reconcile.py`` (statements against SBP's figures); the outbox only stores and delivers what
they raise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from itx_scraper.alerts import events, reconcile
from itx_scraper.alerts.outbox import Outbox
from itx_scraper.core.config import WATCH_FLOW
from itx_scraper.core.periods import Month
from itx_scraper.core.sources import OFFICIAL, SOURCES, STATEMENTS

if TYPE_CHECKING:
    from itx_scraper.alerts.events import Event
    from itx_scraper.core.config import Config
    from itx_scraper.store import Obs, Store

# Months from these sources count as known: a statement about them is old news.
KNOWN_SOURCES = (*OFFICIAL, "baseline", "import")
PRIOR_KINDS = ("record", "record_revoked", "projection", "reported", "mismatch")

# Records the alerts a stored release raises (inside its transaction); returns how many.
AlertStep = Callable[["Store", int], int]


@dataclass(frozen=True)
class WatchRule:
    """What the rules need of a ``[watches.<name>]``: its record direction and its wording."""

    name: str
    record: str  # high, low or none
    label: str  # the name in alert texts
    series: str  # the series label in the workbook


@dataclass(frozen=True)
class RuleSettings:
    """``[alerts]`` and ``[watches]`` as the rules need them."""

    series: tuple[str, ...]
    events: events.Rules
    tolerance: reconcile.Tolerance
    watches: Mapping[str, WatchRule] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Config) -> RuleSettings:
        section = config.section("alerts")
        return cls(
            series=tuple(section["series"]),
            events=events.Rules(
                thresholds=tuple(float(v) for v in section["thresholds"]),
                projection_targets=tuple(float(v) for v in section["projection_targets"]),
                revision_tolerance=float(section["revision_tolerance"]),
            ),
            tolerance=reconcile.Tolerance(
                float(section["mismatch_tolerance"]), float(section["mismatch_tolerance_pct"])
            ),
            watches={
                name: WatchRule(name, watch.record, watch.title, watch.series)
                for name, watch in config.watches.items()
            },
        )


def alert_step(config: Config, *, silent: bool) -> AlertStep:
    """Rules, then the outbox; ``silent`` (the first crawl of an empty database) raises nothing."""
    settings = RuleSettings.from_config(config)
    outbox = Outbox(config)

    def step(store: Store, release_id: int) -> int:
        if silent:
            return 0
        return outbox.record(store, evaluate_release(store, release_id, settings), release_id)

    return step


def evaluate_release(store: Store, release_id: int, settings: RuleSettings) -> list[Event]:
    """Every event one stored release raises, for every watched series."""
    source = store.release_info(release_id)["source"]
    official = SOURCES[source].official if source in SOURCES else False
    prior = store.alerts_for(PRIOR_KINDS)

    def prior_of(series: str) -> list[dict[str, Any]]:  # a series' alerts dedupe only its own
        return [a for a in prior if a["series"] == series]

    if source in settings.watches:
        watch = settings.watches[source]
        return watch_events(store, release_id, watch, settings, prior_of(watch.name))
    raised: list[Event] = []
    for series in settings.series:
        mine = prior_of(series)
        history = store.history(series)
        # Statements never shape official alerts (records, MoM): reconciliation handles them.
        known = [o for o in history if o.source not in STATEMENTS]
        raised += events.evaluate(
            series,
            [o for o in known if o.release_id != release_id],
            [o for o in known if o.release_id == release_id],
            official=official,
            official_sources=OFFICIAL,
            known_sources=KNOWN_SOURCES,
            prior_alerts=[a for a in mine if a["kind"] in events.STANDING_KINDS],
            rules=settings.events,
        )
        raised += _reconcile(
            store,
            series,
            release_id,
            source,
            history,
            [a for a in mine if a["kind"] in reconcile.KINDS],
            settings.tolerance,
        )
    return raised


def watch_events(
    store: Store,
    release_id: int,
    watch: WatchRule,
    settings: RuleSettings,
    prior: Sequence[dict[str, Any]],
) -> list[Event]:
    """A watch's release: new month, record (as ``record`` says), revision, record revoked.

    A watch's only source is itself, so its own releases are the official ones. Its first
    stored release raises nothing: a watch added to a database with history must not storm.
    """
    history = store.history(watch.name, flow=WATCH_FLOW)
    before = [o for o in history if o.release_id != release_id]
    new = [o for o in history if o.release_id == release_id]
    if not before:
        return []
    raised = events.evaluate(
        watch.name,
        before,
        new,
        official=True,
        official_sources=(watch.name,),
        known_sources=(watch.name,),
        prior_alerts=[a for a in prior if a["kind"] in events.STANDING_KINDS],
        rules=events.Rules(revision_tolerance=settings.events.revision_tolerance),
        record=watch.record,
    )
    wording = {
        "watch": watch.name,
        "series_name": watch.label,
        "series_label": watch.series,
        "record": watch.record,
        "unit": next((o.unit for o in new if o.unit), None),
    }
    return [replace(event, facts={**event.facts, **wording}) for event in raised]


def _reconcile(
    store: Store,
    series: str,
    release_id: int,
    source: str,
    history: Sequence[Obs],
    prior: Sequence[dict[str, Any]],
    tolerance: reconcile.Tolerance,
) -> list[Event]:
    """Reconciliation events of one release: a statement, or official data."""
    if source not in STATEMENTS and source not in OFFICIAL:
        return []
    known_obs = [o for o in history if o.source in KNOWN_SOURCES and o.release_id != release_id]
    if source in STATEMENTS:
        claims = [
            reconcile.Claim.from_row(row)
            for row in store.statement_claims(series, STATEMENTS, release_id=release_id)
        ]
        periods = sorted({c.period for c in claims})
        official: dict[str, list[reconcile.Official]] = {}
        for row in store.official_vintages(series, periods, OFFICIAL):
            official.setdefault(row["period"], []).append(
                reconcile.Official(
                    row["period"], float(row["usd_million"]), row["source"], row["url"]
                )
            )
        known = events.monthly(events.best_values(known_obs))
        return reconcile.on_statement(
            series, claims, official=official, known=known, prior=prior, tolerance=tolerance
        )
    new = [
        reconcile.Official(o.period, o.usd_million, o.source, o.url)
        for o in history
        if o.release_id == release_id
    ]
    months = [Month.parse(o.period) for o in known_obs if o.months == 1]
    claims = [
        reconcile.Claim.from_row(row)
        for row in store.statement_claims(
            series, STATEMENTS, periods=sorted({o.period for o in new})
        )
    ]
    return reconcile.on_official(
        series,
        new,
        newest_known=max(months, default=None),
        claims=claims,
        prior=prior,
        tolerance=tolerance,
    )
