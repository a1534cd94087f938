"""P1, detection delay: years of monthly SBP releases replayed through the daemon's scheduler.

Run from the project root (no network, no database, about 10 s):

    .venv/bin/python tests/benchmarks/detection.py [--years N] [--seed S]

Each scenario drives the daemon's own decisions: ``daemon.next_wait`` (``next_start`` plus
the jitter rule) with the calendar state from ``daemon.plan`` (``release_calendar.hot`` and
``next_window``) over ``release_calendar.forecast`` of the history the database would hold at
that moment: each month's first-seen time (the cycle that found it) and the server's
Last-Modified. The history grows as the simulation advances, so the calendar learns as it
would in production.

Assumptions (sources.md §1 "Timing"):
- one source, ``sbp_ebops``; month M appears on a working day (Monday to Friday) 17-22 days
  after M ends, uniformly among those days, at a uniform time from 09:00 to 18:00 PKT;
- the server's Last-Modified is the publication time (one scenario has no Last-Modified);
- a cycle takes CYCLE_SECONDS; a release is detected by the first cycle that starts at or
  after its publication;
- the database starts with the month before the first simulated one, seen when it came out.

"Before" is the default of commit 6e7dd36 (every 3600 s from a day before the window until
the month arrived, all day; at most every 21600 s otherwise). Its calendar rule no longer
exists in the daemon, so ``before_plan`` below is a copy of it, fed the same forecasts.

Prints a table and exits 1 when the daemon's default misses the target: a median delay of
at most 10 minutes with at most a third of hourly polling's cycles (and at most 240 a month).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from itx_scraper.core.periods import Month
from itx_scraper.ops import daemon
from itx_scraper.ops.calendar import PKT, Forecast, forecast, month_end
from itx_scraper.ops.daemon import CalendarState, Schedule

SOURCE = "sbp_ebops"
LAG_DAYS = range(17, 23)  # publication 17-22 days after month end
OFFICE_HOURS = (9, 18)  # PKT
CYCLE_SECONDS = 5.0  # a no-change `itx-scraper run` (issue 12 measured 5.1 s)
TARGET_MEDIAN_MINUTES = 10.0
TARGET_RUNS_PER_MONTH = 240.0
DAYS_PER_MONTH = 365.2425 / 12

Planner = Callable[[Iterable[Forecast], datetime], CalendarState]


@dataclass(frozen=True)
class Release:
    period: Month
    published: datetime


def releases(first: Month, count: int, rng: random.Random) -> list[Release]:
    """``count`` monthly releases from ``first`` on, at random office hours of window days."""
    found = []
    for offset in range(count):
        period = first.shift(offset)
        end = month_end(period)
        days = [end + timedelta(days=lag) for lag in LAG_DAYS]
        day = rng.choice([d for d in days if d.weekday() < 5])
        opens, closes = OFFICE_HOURS
        seconds = rng.uniform(opens * 3600, closes * 3600)
        midnight = datetime.combine(day, time(), tzinfo=PKT)
        found.append(Release(period, (midnight + timedelta(seconds=seconds)).astimezone(UTC)))
    return found


def before_plan(forecasts: Iterable[Forecast], now: datetime) -> CalendarState:
    """The calendar rule of commit 6e7dd36: dense all day from a day before the window opens
    until the month arrives (a day is a UTC date); the next window at that day's midnight."""
    items = list(forecasts)
    today = now.date()
    hot = not items or any(today >= f.earliest - timedelta(days=1) for f in items)
    opens = min((f.earliest - timedelta(days=1) for f in items), default=None)
    window = datetime.combine(opens, time(), tzinfo=UTC) if opens else None
    return CalendarState(hot, window, "")


@dataclass(frozen=True)
class Scenario:
    name: str
    schedule: Schedule
    planner: Planner = daemon.plan
    last_modified: bool = True
    is_default: bool = False


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    delays: list[float]  # minutes, one per release
    runs_per_month: float

    @property
    def median(self) -> float:
        return statistics.median(self.delays)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.delays, n=10, method="inclusive")[8]


def simulate(scenario: Scenario, published: Sequence[Release], seed: int) -> Outcome:
    """Run the daemon loop over simulated time; the server holds the newest published month."""
    rng = random.Random(seed)
    first, *rest = published
    first_seen = [(str(first.period), first.published.isoformat())]
    modified = {str(first.period): format_datetime(first.published, usegmt=True)}
    if not scenario.last_modified:
        modified.clear()
    start, end = first.published, rest[-1].published + timedelta(days=7)
    pending = list(rest)
    delays: list[float] = []
    runs = 0
    now, last_start = start, None
    predicted = forecast(SOURCE, first_seen, modified)
    while True:
        state = scenario.planner([predicted] if predicted else [], now)
        begin = now + timedelta(
            seconds=daemon.next_wait(scenario.schedule, now, last_start, state, rng)
        )
        if begin >= end:
            break
        runs += 1
        arrived = [r for r in pending if r.published <= begin]
        if arrived:
            pending = pending[len(arrived) :]
            delays += [(begin - r.published).total_seconds() / 60 for r in arrived]
            newest = arrived[-1]
            first_seen.append((str(newest.period), begin.isoformat()))
            if scenario.last_modified:
                modified[str(newest.period)] = format_datetime(newest.published, usegmt=True)
            predicted = forecast(SOURCE, first_seen, modified)
        last_start = begin
        now = begin + timedelta(seconds=CYCLE_SECONDS)
    if pending:
        raise SystemExit(f"{scenario.name}: {len(pending)} release(s) never detected")
    months = (end - start).total_seconds() / 86400 / DAYS_PER_MONTH
    return Outcome(scenario, delays, runs / months)


def scenarios() -> list[Scenario]:
    return [
        Scenario("hourly (`--interval 3600 --idle-interval 0`)", Schedule(3600, idle_interval=0)),
        Scenario(
            "every 3 hours (`--interval 10800 --idle-interval 0`)",
            Schedule(10800, idle_interval=0),
        ),
        Scenario(
            "daemon default before (3600 s from a day before the window, all day; 21600 s)",
            Schedule(3600, idle_interval=21600),
            before_plan,
        ),
        Scenario(
            f"daemon default now ({daemon.DEFAULT_INTERVAL:g} s in learned hours of window"
            f" days; {daemon.DEFAULT_IDLE:g} s)",
            Schedule(daemon.DEFAULT_INTERVAL, idle_interval=daemon.DEFAULT_IDLE),
            is_default=True,
        ),
        Scenario(
            "daemon default now, server without Last-Modified",
            Schedule(daemon.DEFAULT_INTERVAL, idle_interval=daemon.DEFAULT_IDLE),
            last_modified=False,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=12, help="years of releases (default 12)")
    parser.add_argument("--seed", type=int, default=12, help="random seed (default 12)")
    args = parser.parse_args(argv)
    if args.years < 10:
        parser.error("simulate at least 10 years")
    published = releases(Month(2013, 12), 12 * args.years + 1, random.Random(args.seed))
    outcomes = [simulate(s, published, args.seed) for s in scenarios()]
    span = f"{published[1].period.label} to {published[-1].period.label}"
    print(f"P1 detection delay: {len(published) - 1} monthly releases ({span}), seed {args.seed}")
    print()
    print("| schedule | median delay (min) | p90 delay (min) | runs per month |")
    print("|---|---:|---:|---:|")
    for outcome in outcomes:
        print(
            f"| {outcome.scenario.name} | {outcome.median:.1f} | {outcome.p90:.1f}"
            f" | {outcome.runs_per_month:.0f} |"
        )
    hourly = outcomes[0].runs_per_month
    budget = min(TARGET_RUNS_PER_MONTH, hourly / 3)
    default = next(o for o in outcomes if o.scenario.is_default)
    met = default.median <= TARGET_MEDIAN_MINUTES and default.runs_per_month <= budget
    print()
    print(
        f"target: the default's median delay <= {TARGET_MEDIAN_MINUTES:g} min"
        f" (is {default.median:.1f}) with <= {budget:.0f} runs a month"
        f" (a third of hourly, at most {TARGET_RUNS_PER_MONTH:g}; is"
        f" {default.runs_per_month:.0f}): {'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
