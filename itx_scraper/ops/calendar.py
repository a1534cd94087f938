"""Release calendar: learn each source's cadence and publication lag, forecast, flag overdue."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from itx_scraper.alerts.events import Event
from itx_scraper.core.periods import Month

# A lag outside this range is a backfill or a replay of old files, not a publication.
PLAUSIBLE_LAG_DAYS = (0, 92)
MIN_SAMPLES = 3  # observed publications needed before the learned cadence replaces the default
RECENT = 12  # the lag window comes from this many most recent publications
HOT_LEAD_DAYS = 1  # the daemon speeds up this many days before a window opens


@dataclass(frozen=True)
class Cadence:
    """How often a source publishes and how many days after a period's month end."""

    months: int = 1
    lag_min: int = 15
    lag_max: int = 25
    learned: bool = False
    samples: int = 0


# SBP's dt.xls: monthly, about 17-22 days after the month ends (sources.md).
DEFAULTS: dict[str, Cadence] = {"sbp_ebops": Cadence(1, 17, 22)}
GENERIC = Cadence()


@dataclass(frozen=True)
class Appearance:
    """A period that became the source's newest, and the day it was first seen."""

    period: Month
    seen: date

    @property
    def lag_days(self) -> int:
        return (self.seen - month_end(self.period)).days


@dataclass(frozen=True)
class Forecast:
    """The next period a source should publish, and when."""

    source: str
    latest: Month  # newest period seen so far
    period: Month  # the one expected next
    earliest: date  # the window opens (month end + shortest lag)
    due: date  # the window closes (month end + longest lag)
    cadence: Cadence

    def overdue_on(self, overdue_days: int) -> date:
        return self.due + timedelta(days=overdue_days)

    def state(self, today: date, overdue_days: int) -> str:
        """'waiting' before the window, 'window', 'late' after it, 'overdue' N days later."""
        if today < self.earliest:
            return "waiting"
        if today <= self.due:
            return "window"
        return "overdue" if today >= self.overdue_on(overdue_days) else "late"

    def stale(self, today: date) -> bool:
        """A full cycle past the due date: the next period is due too. That is a replay of
        old files or a database that was not run for weeks, not news; no alert then."""
        return today >= self.due + timedelta(days=31 * self.cadence.months)

    def as_dict(self, today: date, overdue_days: int) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "latest": str(self.latest),
            "earliest": self.earliest.isoformat(),
            "due": self.due.isoformat(),
            "overdue_on": self.overdue_on(overdue_days).isoformat(),
            "state": self.state(today, overdue_days),
            "cadence_months": self.cadence.months,
            "lag_days": [self.cadence.lag_min, self.cadence.lag_max],
            "learned": self.cadence.learned,
        }


def month_end(month: Month) -> date:
    """Last day of a month."""
    following = month.shift(1)
    return date(following.year, following.month, 1) - timedelta(days=1)


def appearances(first_seen: Iterable[tuple[str, str]]) -> list[Appearance]:
    """Periods in the order they first became the newest; ``first_seen`` is (period, ISO time).

    The first period ever stored is skipped: it says when we started watching, not when it
    was published. So is any period that did not advance the newest one (a re-issue).
    """
    newest: Month | None = None
    found: list[Appearance] = []
    for period_text, seen_text in first_seen:
        try:
            period = Month.parse(period_text)
        except ValueError:
            continue  # statements may carry ranges; the calendar counts months only
        seen = datetime.fromisoformat(seen_text).date()
        if newest is not None and period > newest:
            found.append(Appearance(period, seen))
        if newest is None or period > newest:
            newest = period
    return found


def latest_period(first_seen: Iterable[tuple[str, str]]) -> Month | None:
    months = []
    for period_text, _ in first_seen:
        try:
            months.append(Month.parse(period_text))
        except ValueError:
            continue
    return max(months, default=None)


def learn(source: str, seen: Sequence[Appearance]) -> Cadence:
    """Cadence from observed publications; the default until there are enough of them."""
    default = DEFAULTS.get(source, GENERIC)
    low, high = PLAUSIBLE_LAG_DAYS
    plausible = [a for a in seen if low <= a.lag_days <= high]
    if len(plausible) < MIN_SAMPLES:
        return default
    pairs = itertools.pairwise(plausible)
    steps = [b.period.index - a.period.index for a, b in pairs]
    months = max(1, round(statistics.median(steps))) if steps else default.months
    recent = [a.lag_days for a in plausible[-RECENT:]]
    return Cadence(months, min(recent), max(recent), learned=True, samples=len(plausible))


def forecast(source: str, first_seen: Sequence[tuple[str, str]]) -> Forecast | None:
    """The next expected period; None until the source has published anything."""
    latest = latest_period(first_seen)
    if latest is None:
        return None
    cadence = learn(source, appearances(first_seen))
    period = latest.shift(cadence.months)
    end = month_end(period)
    return Forecast(
        source,
        latest,
        period,
        end + timedelta(days=cadence.lag_min),
        end + timedelta(days=cadence.lag_max),
        cadence,
    )


def overdue_events(
    source: str,
    title: str,
    forecast_: Forecast | None,
    first_seen: Mapping[str, str],
    prior: Sequence[Mapping[str, Any]],
    *,
    today: date,
    overdue_days: int,
    checked: bool,
) -> list[Event]:
    """One 'overdue' per expected period, and one 'now published' follow-up when it comes.

    ``checked`` is whether the source answered in this run: when it failed we cannot tell
    late from unreachable, and source health reports the failure instead. ``prior`` holds
    earlier 'overdue' alerts (kind, series, period, facts); both kinds of alert use the
    kind 'overdue' and tell themselves apart by ``facts['state']`` ('due' / 'published').
    """
    mine = [a for a in prior if a["series"] == source and a["kind"] == "overdue"]
    raised = {a["period"] for a in mine if a["facts"].get("state") == "due"}
    followed = {a["period"] for a in mine if a["facts"].get("state") == "published"}
    latest = latest_period(first_seen.items())
    events: list[Event] = []
    for period in sorted(raised - followed):
        if latest is not None and Month.parse(period) <= latest:
            seen = first_seen.get(period)
            when = f"first seen {seen[:10]}" if seen else f"now at {latest.label}"
            events.append(
                Event(
                    "overdue",
                    source,
                    period,
                    {
                        "state": "published",
                        "source": source,
                        "period": period,
                        "title": f"{title}: {Month.parse(period).label} is now published",
                        "text": (
                            f"{title} has published {Month.parse(period).label} ({when}). "
                            "It was reported overdue earlier."
                        ),
                    },
                    discriminator="published",
                )
            )
    if (
        forecast_ is not None
        and checked
        and str(forecast_.period) not in raised
        and forecast_.state(today, overdue_days) == "overdue"
        and not forecast_.stale(today)
    ):
        label = forecast_.period.label
        events.append(
            Event(
                "overdue",
                source,
                str(forecast_.period),
                {
                    "state": "due",
                    "source": source,
                    "period": str(forecast_.period),
                    "due": forecast_.due.isoformat(),
                    "latest": str(forecast_.latest),
                    "title": f"{title}: {label} is overdue",
                    "text": (
                        f"{title} usually publishes {forecast_.cadence.lag_min}-"
                        f"{forecast_.cadence.lag_max} days after a month ends, so {label} was due by "
                        f"{forecast_.due.isoformat()}. On {today.isoformat()} the newest month is "
                        f"still {forecast_.latest.label}."
                    ),
                },
                discriminator="due",
            )
        )
    return events


def hot(forecasts: Iterable[Forecast], today: date) -> bool:
    """Whether a release may come soon: from a day before a window opens until it arrives.

    With no forecast at all (a new database) the daemon stays at its base interval too.
    """
    items = list(forecasts)
    if not items:
        return True
    return any(today >= f.earliest - timedelta(days=HOT_LEAD_DAYS) for f in items)


def next_window(forecasts: Iterable[Forecast]) -> date | None:
    """The day the daemon should speed up again: the earliest window start minus the lead."""
    starts = [f.earliest - timedelta(days=HOT_LEAD_DAYS) for f in forecasts]
    return min(starts, default=None)
