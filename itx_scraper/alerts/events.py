"""Event rules: pure functions from stored history (all vintages) and a new release to events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from itx_scraper.core.periods import Month, fiscal_year_label, fiscal_year_start, format_range
from itx_scraper.core.sources import rank

# Which Apprise tag each kind of alert is routed to.
ROUTES = {
    "new_month": "data",
    "record": "record",
    "record_revoked": "record",
    "revision": "data",
    "threshold": "data",
    "projection": "data",
    "reported": "data",
    "mismatch": "data",
    "source_error": "ops",
    "source_recovered": "ops",
    "overdue": "ops",
}
EPSILON = 1e-9
# Earlier alerts the rules read back: records standing or revoked, projections announced.
STANDING_KINDS = ("record", "record_revoked", "projection")


class ObsLike(Protocol):
    """What the rules read from a stored observation (``store.Obs`` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def release_id(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def period_start(self) -> str: ...
    @property
    def period_end(self) -> str: ...
    @property
    def months(self) -> int: ...
    @property
    def usd_million(self) -> float: ...
    @property
    def status(self) -> str | None: ...
    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class Rules:
    """Settings of the rules, from ``[alerts]``."""

    thresholds: tuple[float, ...] = ()
    projection_targets: tuple[float, ...] = ()
    revision_tolerance: float = 0.5


@dataclass(frozen=True)
class Event:
    """Something worth telling people; ``facts`` feed the message templates."""

    kind: str
    series: str
    period: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    discriminator: str = ""  # keeps two events of one kind, series and period apart

    @property
    def route(self) -> str:
        return ROUTES[self.kind]


def best_values(observations: Iterable[ObsLike]) -> dict[str, ObsLike]:
    """The chosen vintage per period: best-ranked source, then the newest stored."""
    chosen: dict[str, ObsLike] = {}
    for obs in observations:
        current = chosen.get(obs.period)
        if current is None or (rank(obs.source), obs.id) >= (rank(current.source), current.id):
            chosen[obs.period] = obs
    return chosen


def monthly(best: Mapping[str, ObsLike]) -> dict[Month, float]:
    return {Month.parse(p): o.usd_million for p, o in best.items() if o.months == 1}


def is_record(
    values: Mapping[Month, float], month: Month, *, low: bool = False
) -> tuple[bool, Month | None]:
    """Whether ``month`` beats every earlier month (is above them all, or below them all when
    ``low``), and the earlier month it beats; on a tie for the old record, the later month."""
    earlier = {m: v for m, v in values.items() if m < month}
    if month not in values or not earlier:
        return False, None
    sign = -1 if low else 1
    holder = max(earlier, key=lambda m: (sign * earlier[m], m))
    return sign * values[month] > sign * earlier[holder] + EPSILON, holder


def fytd(best: Mapping[str, ObsLike], values: Mapping[Month, float], end: Month) -> float | None:
    """Fiscal-year-to-date total ending ``end``: the source's own column, else the month sum."""
    start = fiscal_year_start(end.fiscal_year)
    stated = best.get(format_range(start, end))
    if stated is not None:
        return stated.usd_million
    months = [start.shift(i) for i in range(end.fiscal_month)]
    if all(m in values for m in months):
        return sum(values[m] for m in months)
    return None


def change(new: float | None, old: float | None) -> dict[str, float | None] | None:
    """New against old; None without a new value, old/delta/pct None without an old one."""
    if new is None:
        return None
    if old is None:
        return {"old": None, "new": new, "delta": None, "pct": None}
    pct = (new / old - 1) * 100 if old else None
    return {"old": old, "new": new, "delta": new - old, "pct": pct}


def evaluate(
    series: str,
    before: Sequence[ObsLike],
    new: Sequence[ObsLike],
    *,
    official: bool,
    official_sources: Iterable[str],
    known_sources: Iterable[str],
    prior_alerts: Sequence[Mapping[str, Any]],
    rules: Rules,
    record: str = "high",
) -> list[Event]:
    """Events raised by the observations ``new`` of one release, given everything ``before``.

    ``known_sources`` are the sources whose months count as already known (official ones,
    the baseline and imports); statements do not make a month known. ``record`` says which
    extreme is a record: ``high``, ``low`` or ``none`` (no record events at all).
    """
    if not official or not new:
        return []
    best_after = best_values([*before, *new])
    values = monthly(best_after)
    official_set, known_set = set(official_sources), set(known_sources)
    known = [Month.parse(o.period) for o in before if o.months == 1 and o.source in known_set]
    newest_known = max(known, default=None)
    events: list[Event] = []

    new_months = sorted(
        month
        for month in {Month.parse(o.period) for o in new if o.months == 1}
        if newest_known is None or month > newest_known
    )
    for month in new_months:
        events.extend(
            _new_month_events(series, month, best_after, values, rules, prior_alerts, record)
        )

    revised = _revisions(series, before, new, official_set, rules, new_months)
    events.extend(revised)
    if record != "none":
        events.extend(_record_changes(series, values, revised, prior_alerts, low=record == "low"))
    return events


def _new_month_events(
    series: str,
    month: Month,
    best: Mapping[str, ObsLike],
    values: Mapping[Month, float],
    rules: Rules,
    prior_alerts: Sequence[Mapping[str, Any]],
    record_kind: str = "high",
) -> list[Event]:
    obs = best[str(month)]
    value = values[month]
    low = record_kind == "low"
    extremes = record_kind != "none"
    facts: dict[str, Any] = {
        "month": str(month),
        "value": value,
        "status": obs.status,
        "source": obs.source,
        "url": obs.url,
        "mom": change(value, values.get(month.shift(-1))),
        "yoy": change(value, values.get(month.shift(-12))),
        "fytd": change(fytd(best, values, month), fytd(best, values, month.shift(-12))),
        "fiscal_year": fiscal_year_label(month.fiscal_year),
        "fytd_months": month.fiscal_month,
        "best_calendar_month": _best_calendar_month(values, month, low) if extremes else None,
        "best_fytd": _best_fytd(best, values, month, low) if extremes else None,
    }
    record, holder = is_record(values, month, low=low)
    record = record and extremes
    events = [Event("new_month", series, str(month), facts)]
    if record and holder is not None:
        events.append(
            Event(
                "record",
                series,
                str(month),
                {
                    **facts,
                    "previous_month": str(holder),
                    "previous_value": values[holder],
                    "margin": value - values[holder],
                },
            )
        )
    for threshold in rules.thresholds:
        earlier_above = any(v > threshold for m, v in values.items() if m < month)
        if value > threshold and not earlier_above:
            events.append(
                Event(
                    "threshold",
                    series,
                    str(month),
                    {**facts, "threshold": threshold},
                    discriminator=f"{threshold:g}",
                )
            )
    events.extend(_projection_events(series, month, best, values, rules, prior_alerts, facts))
    return events


def _best_calendar_month(
    values: Mapping[Month, float], month: Month, low: bool = False
) -> dict[str, Any] | None:
    """Highest (``low``: lowest) value for this calendar month so far (facts for the message,
    not an event)."""
    sign = -1 if low else 1
    same = {m: v for m, v in values.items() if m.month == month.month and m < month}
    if not same or sign * values[month] <= max(sign * v for v in same.values()) + EPSILON:
        return None
    previous = max(same, key=lambda m: sign * same[m])
    return {"previous_month": str(previous), "previous_value": same[previous]}


def _best_fytd(
    best: Mapping[str, ObsLike], values: Mapping[Month, float], month: Month, low: bool = False
) -> dict[str, Any] | None:
    sign = -1 if low else 1
    current = fytd(best, values, month)
    if current is None:
        return None
    earlier = {}
    for years_back in range(1, 60):
        past = month.shift(-12 * years_back)
        total = fytd(best, values, past)
        if total is not None:
            earlier[past] = total
    if not earlier or sign * current <= max(sign * v for v in earlier.values()) + EPSILON:
        return None
    previous = max(earlier, key=lambda m: sign * earlier[m])
    return {
        "previous_fiscal_year": fiscal_year_label(previous.fiscal_year),
        "previous_value": earlier[previous],
    }


def _projection_events(
    series: str,
    month: Month,
    best: Mapping[str, ObsLike],
    values: Mapping[Month, float],
    rules: Rules,
    prior_alerts: Sequence[Mapping[str, Any]],
    facts: Mapping[str, Any],
) -> list[Event]:
    """The fiscal year's run-rate (FYTD / months x 12) crosses a configured target."""
    total = fytd(best, values, month)
    if total is None or not rules.projection_targets:
        return []
    projection = total / month.fiscal_month * 12
    if month.fiscal_month > 1:
        previous_total = fytd(best, values, month.shift(-1))
        previous = previous_total / (month.fiscal_month - 1) * 12 if previous_total else None
    else:  # July: compare with last fiscal year's actual total
        previous = fytd(best, values, month.shift(-1))
    fiscal_year = fiscal_year_label(month.fiscal_year)
    alerted = {
        (a.get("facts") or {}).get("target_key") for a in prior_alerts if a["kind"] == "projection"
    }
    events = []
    for target in rules.projection_targets:
        key = f"{fiscal_year}:{target:g}"
        crossed = projection >= target and (previous is None or previous < target)
        if crossed and key not in alerted:
            events.append(
                Event(
                    "projection",
                    series,
                    str(month),
                    {
                        **facts,
                        "projection": projection,
                        "target": target,
                        "target_key": key,
                    },
                    discriminator=f"{target:g}",
                )
            )
    return events


def _revisions(
    series: str,
    before: Sequence[ObsLike],
    new: Sequence[ObsLike],
    official: set[str],
    rules: Rules,
    new_months: Sequence[Month],
) -> list[Event]:
    """A later official release changes an officially published month beyond tolerance."""
    previous = best_values(o for o in before if o.source in official and o.months == 1)
    fresh = set(map(str, new_months))
    events = []
    for obs in sorted((o for o in new if o.months == 1), key=lambda o: o.period):
        old = previous.get(obs.period)
        if old is None or obs.period in fresh:
            continue
        delta = obs.usd_million - old.usd_million
        if abs(delta) > rules.revision_tolerance:
            events.append(
                Event(
                    "revision",
                    series,
                    obs.period,
                    {
                        "month": obs.period,
                        "old": old.usd_million,
                        "new": obs.usd_million,
                        "delta": delta,
                        "pct": (delta / old.usd_million * 100) if old.usd_million else 0.0,
                        "status": obs.status,
                        "url": obs.url,
                        "source": obs.source,
                        "old_source": old.source,
                    },
                )
            )
    return events


def _record_changes(
    series: str,
    values: Mapping[Month, float],
    revisions: Sequence[Event],
    prior_alerts: Sequence[Mapping[str, Any]],
    *,
    low: bool = False,
) -> list[Event]:
    """Records revoked by a revision, and records that a revision creates."""
    standing: dict[str, bool] = {}
    for alert in prior_alerts:
        if alert["series"] == series and alert["kind"] in ("record", "record_revoked"):
            standing[alert["period"]] = alert["kind"] == "record"
    events = []
    sign = -1 if low else 1
    holder = max(values, key=lambda m: (sign * values[m], m)) if values else None
    for period, active in sorted(standing.items()):
        month = Month.parse(period)
        still, _ = is_record(values, month, low=low)
        if active and not still and holder is not None:
            events.append(
                Event(
                    "record_revoked",
                    series,
                    period,
                    {
                        "month": period,
                        "value": values.get(month),
                        "holder": str(holder),
                        "holder_value": values[holder],
                    },
                )
            )
    for revision in revisions:
        month = Month.parse(revision.period)
        record, previous = is_record(values, month, low=low)
        if record and previous is not None and not standing.get(revision.period):
            events.append(
                Event(
                    "record",
                    series,
                    revision.period,
                    {
                        "month": revision.period,
                        "value": values[month],
                        "previous_month": str(previous),
                        "previous_value": values[previous],
                        "margin": values[month] - values[previous],
                        "by_revision": True,
                        "url": revision.facts.get("url"),
                        "status": revision.facts.get("status"),
                    },
                )
            )
    return events
