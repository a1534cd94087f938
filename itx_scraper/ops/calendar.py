"""Release calendar: learn each source's cadence, lag and publication hours, forecast, flag overdue."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from itx_scraper.alerts.events import Event
from itx_scraper.core.periods import Month

# A lag outside this range is a backfill or a replay of old files, not a publication.
PLAUSIBLE_LAG_DAYS = (0, 92)
MIN_SAMPLES = 3  # observed publications needed before the learned cadence replaces the default
RECENT = 12  # the lag window comes from this many most recent publications
# Months first seen closer together than this were replayed or backfilled, not published
# one by one: their times say when someone ran a replay, not when the source publishes.
REPLAY_GAP = timedelta(days=7)
# A Last-Modified this far after our own first sighting is a wrong server clock: not used.
CLOCK_SKEW = timedelta(hours=1)

PKT = timezone(timedelta(hours=5), "PKT")  # Pakistan Standard Time; no daylight saving
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIN_TIMED = 12  # publications needed before learned hours and weekdays replace the prior
RECENT_TIMED = 24  # hours and weekdays come from this many most recent publications


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
class Timing:
    """When in the day a source publishes: from ``opens`` to ``closes`` o'clock PKT
    (whole hours, 0-24) on ``weekdays`` (Monday is 0)."""

    opens: int = 9
    closes: int = 18
    weekdays: frozenset[int] = frozenset(range(5))
    learned: bool = False
    samples: int = 0

    def describe(self) -> str:
        days = ",".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        return f"{self.opens:02d}:00-{self.closes:02d}:00 PKT {days}"


# Pakistani government office hours on working days (sources.md), until history says otherwise.
PRIOR_TIMING = Timing()


@dataclass(frozen=True)
class Appearance:
    """A period that became the source's newest: when we first saw it, and the server's
    Last-Modified of that first copy when it sent a believable one."""

    period: Month
    seen: datetime
    modified: datetime | None = None
    replayed: bool = False  # first seen within REPLAY_GAP of its neighbour: not a publication

    @property
    def published(self) -> datetime:
        """The best estimate of the publication time: the server's clock, else our sighting."""
        return self.modified or self.seen

    @property
    def lag_days(self) -> int:
        return (self.published.astimezone(PKT).date() - month_end(self.period)).days


@dataclass(frozen=True)
class Forecast:
    """The next period a source should publish, and when."""

    source: str
    latest: Month  # newest period seen so far
    period: Month  # the one expected next
    earliest: date  # the window opens (month end + shortest lag)
    due: date  # the window closes (month end + longest lag)
    cadence: Cadence
    timing: Timing = PRIOR_TIMING

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

    def watch_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """When to poll densely on ``day`` (a PKT date): the source's publication hours on a
        publishing weekday from the window's first day until the period arrives (late days
        included), none once the forecast is stale."""
        if day < self.earliest or self.stale(day) or day.weekday() not in self.timing.weekdays:
            return None
        midnight = datetime.combine(day, time(), tzinfo=PKT)
        return (
            midnight + timedelta(hours=self.timing.opens),
            midnight + timedelta(hours=self.timing.closes),
        )

    def watching(self, now: datetime) -> bool:
        hours = self.watch_hours(now.astimezone(PKT).date())
        return hours is not None and hours[0] <= now < hours[1]

    def next_watch(self, now: datetime) -> datetime | None:
        """The start of the next dense period after ``now``; None once the forecast is stale."""
        day = max(now.astimezone(PKT).date(), self.earliest)
        while not self.stale(day):
            hours = self.watch_hours(day)
            if hours is not None and hours[0] > now:
                return hours[0]
            day += timedelta(days=1)
        return None

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
            "learned_from": self.cadence.samples,  # publications the lag was learned from
            "hours_pkt": [self.timing.opens, self.timing.closes],
            "weekdays": [WEEKDAY_NAMES[d] for d in sorted(self.timing.weekdays)],
            "hours_learned": self.timing.learned,
            "hours_learned_from": self.timing.samples,
        }


def month_end(month: Month) -> date:
    """Last day of a month."""
    following = month.shift(1)
    return date(following.year, following.month, 1) - timedelta(days=1)


def parse_time(text: str) -> datetime:
    """A stored ISO time; naive means UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def server_time(header: str | None, period: Month, seen: datetime) -> datetime | None:
    """A Last-Modified header as a time, when it can be the period's publication: after its
    month ended and not after we first saw it (allowing for a little clock skew)."""
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.astimezone(PKT).date() <= month_end(period) or moment > seen + CLOCK_SKEW:
        return None
    return moment


def appearances(
    first_seen: Iterable[tuple[str, str]], last_modified: Mapping[str, str] | None = None
) -> list[Appearance]:
    """Periods in the order they first became the newest; ``first_seen`` is (period, ISO time)
    and ``last_modified`` maps a period to the Last-Modified header of its first copy.

    The first period ever stored is skipped: it says when we started watching, not when it
    was published. So is any period that did not advance the newest one (a re-issue).
    Months that arrived in a burst (a replay) are kept but marked ``replayed``.
    """
    modified = last_modified or {}
    newest: Month | None = None
    advances: list[tuple[Month, datetime]] = []  # the first stored period included
    for period_text, seen_text in first_seen:
        try:
            period = Month.parse(period_text)
        except ValueError:
            continue  # statements may carry ranges; the calendar counts months only
        if newest is None or period > newest:
            advances.append((period, parse_time(seen_text)))
            newest = period
    found = []
    for index in range(1, len(advances)):
        period, seen = advances[index]
        neighbours = [advances[index - 1][1], *(s for _, s in advances[index + 1 : index + 2])]
        found.append(
            Appearance(
                period,
                seen,
                server_time(modified.get(str(period)), period, seen),
                replayed=any(abs(seen - other) < REPLAY_GAP for other in neighbours),
            )
        )
    return found


def publications(seen: Sequence[Appearance]) -> list[Appearance]:
    """The appearances that were publications: not replayed, with a plausible lag."""
    low, high = PLAUSIBLE_LAG_DAYS
    return [a for a in seen if not a.replayed and low <= a.lag_days <= high]


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
    plausible = publications(seen)
    if len(plausible) < MIN_SAMPLES:
        return default
    pairs = itertools.pairwise(plausible)
    steps = [b.period.index - a.period.index for a, b in pairs]
    months = max(1, round(statistics.median(steps))) if steps else default.months
    recent = [a.lag_days for a in plausible[-RECENT:]]
    return Cadence(months, min(recent), max(recent), learned=True, samples=len(plausible))


def learn_timing(seen: Sequence[Appearance]) -> Timing:
    """The hours (PKT) and weekdays of recent publications, from the server's Last-Modified.

    Until MIN_TIMED publications carry one, the prior (office hours on working days) widened
    to take in whatever was observed; after that, only what was observed: from the hour of
    the earliest publication to the end of the hour of the latest, on the weekdays seen.
    First sightings alone do not move the prior: our own timetable decides when we look, so
    a month that came before the dense hours is first seen when they begin, and learning
    from that would teach the daemon its own timetable (and never widen it again).
    """
    times = [a.modified.astimezone(PKT) for a in publications(seen) if a.modified]
    times = times[-RECENT_TIMED:]
    if not times:
        return PRIOR_TIMING
    opens = min(t.hour for t in times)
    closes = max(t.hour for t in times) + 1
    weekdays = frozenset(t.weekday() for t in times)
    if len(times) < MIN_TIMED:
        prior = PRIOR_TIMING
        return Timing(
            min(opens, prior.opens),
            max(closes, prior.closes),
            weekdays | prior.weekdays,
            samples=len(times),
        )
    return Timing(opens, closes, weekdays, learned=True, samples=len(times))


def forecast(
    source: str,
    first_seen: Sequence[tuple[str, str]],
    last_modified: Mapping[str, str] | None = None,
) -> Forecast | None:
    """The next expected period; None until the source has published anything."""
    latest = latest_period(first_seen)
    if latest is None:
        return None
    seen = appearances(first_seen, last_modified)
    cadence = learn(source, seen)
    period = latest.shift(cadence.months)
    end = month_end(period)
    return Forecast(
        source,
        latest,
        period,
        end + timedelta(days=cadence.lag_min),
        end + timedelta(days=cadence.lag_max),
        cadence,
        learn_timing(seen),
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


def current(forecasts: Iterable[Forecast], now: datetime) -> list[Forecast]:
    """The forecasts that still say something: not a full cycle overdue (see Forecast.stale)."""
    today = now.astimezone(PKT).date()
    return [f for f in forecasts if not f.stale(today)]


def hot(forecasts: Iterable[Forecast], now: datetime) -> bool:
    """Whether to poll densely now: inside a source's publication hours on a publishing
    weekday, from its window's first day until the expected period arrives.

    With no current forecast (a new database, no official source, or only stale forecasts)
    the calendar knows nothing, and the daemon stays at its base interval.
    """
    items = current(forecasts, now)
    return not items or any(f.watching(now) for f in items)


def next_window(forecasts: Iterable[Forecast], now: datetime) -> datetime | None:
    """When the next dense period starts (the earliest over all sources), if any."""
    starts = [start for f in current(forecasts, now) if (start := f.next_watch(now))]
    return min(starts, default=None)
