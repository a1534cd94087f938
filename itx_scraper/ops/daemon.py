"""The daemon: one ``itx-scraper run`` per cycle, each in a fresh subprocess, on a schedule."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from itx_scraper.core import clock, exitcodes

if TYPE_CHECKING:
    from itx_scraper.core.config import Config
    from itx_scraper.ops.calendar import Forecast

# The CLI's defaults: each written only here. Heavier imports (croniter, the calendar) wait
# until they are used, so that the CLI can read these without paying for them.
DEFAULT_INTERVAL = 600.0  # in a source's publication hours, from its window until it arrives
DEFAULT_IDLE = 6 * 3600.0  # at most one cycle per six hours otherwise
DEFAULT_CYCLE_TIMEOUT = 3600.0
MAX_JITTER = 60.0  # the default jitter is a tenth of the gap, at most this

logger = logging.getLogger(__name__)
KILL_GRACE = 30.0  # seconds between SIGTERM and SIGKILL for a cycle over its timeout
SIGNAL_POLL = 0.2  # seconds between looks at the signal count while a cycle runs


@dataclass(frozen=True)
class Schedule:
    """When cycles start: every ``interval`` seconds or on a cron expression.

    Outside the release calendar's dense periods (see release_calendar.hot) cycles are spaced
    at least ``idle_interval`` apart; an idle interval not above the interval turns that off.
    """

    interval: float | None = None
    cron: str | None = None
    idle_interval: float = DEFAULT_IDLE
    jitter: float | None = None  # None: a tenth of the gap, at most a minute

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("give exactly one of --interval and --cron")
        if self.interval is not None and self.interval <= 0:
            raise ValueError("--interval must be positive")
        from croniter import croniter

        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"not a valid cron expression: {self.cron!r}")


def next_start(
    schedule: Schedule,
    now: datetime,
    last_start: datetime | None,
    *,
    hot: bool,
    window_opens: datetime | None,
) -> datetime:
    """The next cycle's start, before jitter. Pure, so the calendar logic is testable."""
    from croniter import croniter

    quiet_until = (
        last_start + timedelta(seconds=schedule.idle_interval)
        if last_start is not None and not hot
        else None
    )
    if schedule.cron is not None:
        times = croniter(schedule.cron, now.astimezone())  # cron fields are local time
        candidate: datetime = times.get_next(datetime)
        for _ in range(100_000):  # skip cron times in a quiet period (bounded)
            if quiet_until is None or candidate >= quiet_until:
                break
            if window_opens is not None and candidate >= window_opens:
                break
            candidate = times.get_next(datetime)
        return candidate
    assert schedule.interval is not None
    if last_start is None:
        return now
    candidate = last_start + timedelta(seconds=schedule.interval)
    if quiet_until is not None and quiet_until > candidate:
        candidate = quiet_until
        if window_opens is not None and window_opens < candidate:
            candidate = max(window_opens, last_start + timedelta(seconds=schedule.interval))
    return max(candidate, now)


def jitter_limit(schedule: Schedule, now: datetime) -> float:
    from croniter import croniter

    if schedule.jitter is not None:
        return max(0.0, schedule.jitter)
    if schedule.interval is not None:
        gap = schedule.interval
    else:
        times = croniter(schedule.cron, now.astimezone())
        first = times.get_next(datetime)
        gap = (times.get_next(datetime) - first).total_seconds()
    return min(MAX_JITTER, gap / 10)


@dataclass
class StopRequest:
    """Signal handler state: the first signal stops after the cycle, a second ends the cycle."""

    signals: int = 0
    event: threading.Event = field(default_factory=threading.Event)
    child: subprocess.Popen[bytes] | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        self.event.set()
        if self.signals > 1 and self.child is not None and self.child.poll() is None:
            os.killpg(self.child.pid, signal.SIGTERM)  # Scrapy shuts down gracefully on it

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)

    @property
    def requested(self) -> bool:
        return self.signals > 0


def cycle_command(config: Config, sources: Sequence[str] = (), verbose: int = 0) -> list[str]:
    """The ``run`` a cycle executes, with this daemon's config and database made explicit."""
    command = [sys.executable, "-m", "itx_scraper", "run", "--db", str(config.db.resolve())]
    if config.path is not None:
        command += ["--config", str(config.path.resolve())]
    for name in sources:
        command += ["--source", name]
    if verbose:
        command.append("-" + "v" * verbose)
    return command


def run_cycle(command: Sequence[str], stop: StopRequest, timeout: float) -> int:
    """Run one cycle to its end and return its exit code (negative: killed by that signal).

    The child gets its own session, so a Ctrl-C meant for the daemon does not cut the
    cycle short; the daemon waits for it. The first signal is acknowledged in the log (a
    signal handler must not log); the second one has the handler send SIGTERM to the cycle,
    which then stops within seconds and exits 143.
    """
    child = subprocess.Popen(list(command), start_new_session=True)
    stop.child = child
    deadline = time.monotonic() + timeout
    told = 0
    try:
        while True:
            try:
                return child.wait(timeout=max(0.0, min(SIGNAL_POLL, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    raise
            if stop.signals > told:
                told = stop.signals
                logger.info(
                    "signal received: stopping after this cycle (send another to end it now)"
                    if told == 1
                    else "second signal: ending the running cycle"
                )
    except subprocess.TimeoutExpired:
        logger.error("cycle exceeded %.0f s; terminating it", timeout)
        os.killpg(child.pid, signal.SIGTERM)
        try:
            return child.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            return child.wait()
    finally:
        stop.child = None


def report_exit(number: int, code: int, seconds: float) -> None:
    """One log line per cycle; a crash is logged and the daemon goes on."""
    if code == exitcodes.OK:
        logger.info("cycle %d finished in %.1f s", number, seconds)
    elif code == exitcodes.FAILED:
        logger.warning(
            "cycle %d finished in %.1f s: a source or a delivery failed (exit 1)", number, seconds
        )
    elif code == exitcodes.LOCKED:
        logger.warning("cycle %d skipped: another run holds the lock (exit 75)", number)
    elif code - 128 in (signal.SIGTERM, signal.SIGINT):
        logger.warning(
            "cycle %d was interrupted by %s after %.1f s (exit %d)",
            number,
            signal.Signals(code - 128).name,
            seconds,
            code,
        )
    elif code < 0:
        logger.error(
            "cycle %d was killed by signal %d after %.1f s; continuing", number, -code, seconds
        )
    else:
        logger.error(
            "cycle %d crashed with exit %d after %.1f s; continuing", number, code, seconds
        )


@dataclass(frozen=True)
class CalendarState:
    hot: bool
    window_opens: datetime | None
    note: str


def plan(forecasts: Iterable[Forecast], now: datetime) -> CalendarState:
    """Dense now or not, and when the next dense period opens. Pure: forecasts come in."""
    from itx_scraper.ops import calendar as release_calendar

    items = list(forecasts)
    notes = [
        f"{f.source}: {f.period.label} expected {f.earliest}..{f.due}, {f.timing.describe()}"
        for f in items
    ]
    return CalendarState(
        release_calendar.hot(items, now),
        release_calendar.next_window(items, now),
        "; ".join(notes) or "no release seen yet",
    )


def calendar_state(config: Config, now: datetime) -> CalendarState:
    """Read the release calendar from the database (read only; a missing one means 'hot')."""
    from itx_scraper.core.errors import ItxError
    from itx_scraper.ops import checks
    from itx_scraper.store import Store

    if not config.db.exists():
        return CalendarState(True, None, "no database yet")
    try:
        store = Store.open(config.db, readonly=True)
        try:
            forecasts = checks.forecasts(store, config.run_sources, config.watches).values()
        finally:
            store.close()
    except ItxError as exc:  # not yet migrated, unreadable: poll as if a release were due
        logger.error("cannot read the release calendar: %s", exc)
        return CalendarState(True, None, "calendar unavailable")
    return plan(forecasts, now)


def next_wait(
    schedule: Schedule,
    now: datetime,
    last_start: datetime | None,
    state: CalendarState,
    rng: random.Random,
) -> float:
    """Seconds to sleep before the next cycle: ``next_start`` plus jitter (none before the
    first cycle of an interval schedule, which starts at once)."""
    start = next_start(schedule, now, last_start, hot=state.hot, window_opens=state.window_opens)
    wait = (start - now).total_seconds()
    if last_start is not None or schedule.cron is not None:
        wait += rng.uniform(0, jitter_limit(schedule, now))
    return wait


def migrate(config: Config) -> None:
    """Bring an existing database's schema up to date once, before the calendar reads it.

    Under the run lock; when a run holds it, that run migrates. A database that cannot be
    opened is left to the first cycle, which reports why.
    """
    from itx_scraper.core.errors import ItxError
    from itx_scraper.ops.runner import open_store, run_lock

    if not config.db.exists():
        return
    try:
        store = open_store(config)
        try:
            with run_lock(config.db):
                store.migrate()
        finally:
            store.close()
    except ItxError as exc:
        logger.info("not migrating %s now: %s", config.db, exc)


def serve(
    config: Config,
    schedule: Schedule,
    command: Sequence[str],
    *,
    max_cycles: int | None = None,
    cycle_timeout: float = DEFAULT_CYCLE_TIMEOUT,
    rng: random.Random | None = None,
) -> int:
    """Loop until SIGTERM/SIGINT (or ``max_cycles``); always returns exit code 0."""
    rng = rng or random.Random()
    stop = StopRequest()
    stop.install()
    logger.info("daemon started (pid %d): %s", os.getpid(), describe(schedule))
    migrate(config)
    cycles = 0
    last_start: datetime | None = None
    while not stop.requested:
        now = clock.now()
        state = calendar_state(config, now)
        wait = next_wait(schedule, now, last_start, state, rng)
        logger.info(
            "next cycle in %.0f s (%s; %s)",
            wait,
            "release hours" if state.hot else "quiet period",
            state.note,
        )
        if wait > 0 and stop.event.wait(wait):
            break
        last_start = clock.now()
        cycles += 1
        began = time.monotonic()
        logger.info("cycle %d started", cycles)
        code = run_cycle(command, stop, cycle_timeout)
        report_exit(cycles, code, time.monotonic() - began)
        if max_cycles is not None and cycles >= max_cycles:
            logger.info("stopping after %d cycle(s) (--max-cycles)", cycles)
            break
    if stop.requested:
        logger.info("signal received; daemon stopped after %d cycle(s)", cycles)
    return exitcodes.OK


def describe(schedule: Schedule) -> str:
    when = f"every {schedule.interval:g} s" if schedule.interval else f"cron {schedule.cron!r}"
    if schedule.idle_interval > (schedule.interval or 0):
        when += f" in release hours, at most every {schedule.idle_interval:g} s otherwise"
    return when
