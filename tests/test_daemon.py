"""Daemon scheduling: intervals, cron, the release calendar's dense and quiet periods, jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from itx_scraper.ops.calendar import PKT, forecast
from itx_scraper.ops.daemon import (
    DEFAULT_IDLE,
    DEFAULT_INTERVAL,
    Schedule,
    cycle_command,
    jitter_limit,
    next_start,
    next_wait,
    plan,
)

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def test_schedule_validation() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Schedule()
    with pytest.raises(ValueError, match="exactly one"):
        Schedule(interval=60, cron="* * * * *")
    with pytest.raises(ValueError, match="cron"):
        Schedule(cron="every day")
    with pytest.raises(ValueError, match="positive"):
        Schedule(interval=0)


def test_interval_in_a_release_window() -> None:
    schedule = Schedule(interval=600, idle_interval=21600)
    assert next_start(schedule, T0, None, hot=True, window_opens=None) == T0  # first: now
    assert next_start(
        schedule, T0 + timedelta(seconds=30), T0, hot=True, window_opens=None
    ) == T0 + timedelta(seconds=600)
    # A cycle that ran over its interval: start again at once, not in the past.
    late = T0 + timedelta(seconds=900)
    assert next_start(schedule, late, T0, hot=True, window_opens=None) == late


def test_interval_in_a_quiet_period_waits_for_the_idle_interval_or_the_window() -> None:
    schedule = Schedule(interval=600, idle_interval=21600)
    assert next_start(schedule, T0, T0, hot=False, window_opens=None) == T0 + timedelta(hours=6)
    opens = T0 + timedelta(hours=2)
    assert next_start(schedule, T0, T0, hot=False, window_opens=opens) == opens
    soon = T0 + timedelta(seconds=60)
    assert next_start(schedule, T0, T0, hot=False, window_opens=soon) == T0 + timedelta(
        seconds=600
    )  # never faster than the interval
    off = Schedule(interval=600, idle_interval=0)
    assert next_start(off, T0, T0, hot=False, window_opens=None) == T0 + timedelta(seconds=600)


def test_cron_skips_times_in_a_quiet_period() -> None:
    hourly = Schedule(cron="0 * * * *", idle_interval=6 * 3600)
    now = T0 + timedelta(minutes=5)
    in_window = next_start(hourly, now, T0, hot=True, window_opens=None)
    assert in_window == T0 + timedelta(hours=1)
    quiet = next_start(hourly, now, T0, hot=False, window_opens=None)
    assert quiet == T0 + timedelta(hours=6)
    opens = T0 + timedelta(hours=3, minutes=30)
    assert next_start(hourly, now, T0, hot=False, window_opens=opens) == T0 + timedelta(hours=4)


def test_jitter_is_small() -> None:
    assert jitter_limit(Schedule(interval=3600), T0) == 60
    assert jitter_limit(Schedule(interval=5), T0) == 0.5
    assert jitter_limit(Schedule(cron="*/5 * * * *"), T0) == 30
    assert jitter_limit(Schedule(interval=5, jitter=0), T0) == 0


def test_cycle_command_passes_config_and_database(tmp_path) -> None:
    from itx_scraper.core import config

    (tmp_path / "itx.toml").write_text("[http]\ndelay = 1.0\n")
    cfg = config.load(tmp_path / "itx.toml", tmp_path / "x.db")
    command = cycle_command(cfg, ("sbp_ebops",), 1)
    assert command[1:4] == ["-m", "itx_scraper", "run"]
    assert command[command.index("--db") + 1] == str(tmp_path / "x.db")
    assert command[command.index("--config") + 1] == str(tmp_path / "itx.toml")
    assert command[-3:] == ["--source", "sbp_ebops", "-v"]


# -- the default schedule against the release calendar ----------------------------------------

# sbp_ebops with 2024-03 as its newest month: April is expected 17-22 May 2024 (Friday to
# Wednesday), polled densely 09:00-18:00 PKT on working days until it arrives.
WAITING = forecast("sbp_ebops", [("2024-03", "2024-04-20T05:00:00+00:00")])
# April arrived on Monday 20 May at 10:07 PKT: May is expected from Monday 17 June.
ARRIVED = forecast(
    "sbp_ebops",
    [("2024-03", "2024-04-20T05:00:00+00:00"), ("2024-04", "2024-05-20T05:07:00+00:00")],
)
DEFAULT = Schedule(interval=DEFAULT_INTERVAL, idle_interval=DEFAULT_IDLE, jitter=0)


def pkt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PKT)


@pytest.mark.parametrize(
    ("case", "forecast_", "last_start", "expected"),
    [
        ("dense in office hours of a window day", WAITING, "2024-05-17 10:00", "2024-05-17 10:10"),
        ("one more just after the hours end", WAITING, "2024-05-17 17:55", "2024-05-17 18:05"),
        ("then sparse", WAITING, "2024-05-17 18:05", "2024-05-18 00:05"),
        ("sparse at night", WAITING, "2024-05-18 00:05", "2024-05-18 06:05"),
        ("sparse over the weekend", WAITING, "2024-05-19 18:05", "2024-05-20 00:05"),
        ("sparse, then at the start of the hours", WAITING, "2024-05-20 06:05", "2024-05-20 09:00"),
        ("sparse before the window", WAITING, "2024-05-10 12:00", "2024-05-10 18:00"),
        ("quiet after arrival", ARRIVED, "2024-05-20 10:07", "2024-05-20 16:07"),
        ("quiet until the next window", ARRIVED, "2024-06-17 06:00", "2024-06-17 09:00"),
        ("dense in the next window", ARRIVED, "2024-06-17 09:00", "2024-06-17 09:10"),
    ],
)
def test_default_schedule_follows_the_release_calendar(
    case: str, forecast_, last_start: str, expected: str
) -> None:
    started = pkt(last_start)
    now = started + timedelta(seconds=5)  # the cycle took five seconds
    state = plan([forecast_], now)
    wait = next_wait(DEFAULT, now, started, state, random.Random(0))
    assert now + timedelta(seconds=wait) == pkt(expected), case


def test_default_jitter_is_at_most_a_minute() -> None:
    schedule = Schedule(interval=DEFAULT_INTERVAL, idle_interval=DEFAULT_IDLE)
    started = pkt("2024-05-17 10:00")
    state = plan([WAITING], started)
    waits = {
        next_wait(schedule, started, started, state, random.Random(seed)) for seed in range(50)
    }
    assert all(DEFAULT_INTERVAL <= w <= DEFAULT_INTERVAL + 60 for w in waits)
    assert len(waits) > 1  # it does vary


def test_with_nothing_known_the_daemon_polls_at_its_interval() -> None:
    started = pkt("2024-05-18 03:00")  # a Saturday night
    now = started + timedelta(seconds=5)
    state = plan([], now)
    assert state.hot and state.note == "no release seen yet"
    assert next_wait(DEFAULT, now, started, state, random.Random(0)) == DEFAULT_INTERVAL - 5


def test_a_calendar_that_cannot_be_read_means_polling_as_if_due(tmp_path) -> None:
    """A database that opens but whose calendar query fails (here: no releases table) must
    not end the daemon: it polls as if a release were due, and says why once."""
    import sqlite3

    from conftest import migrated_store

    from itx_scraper.core import config
    from itx_scraper.ops.daemon import CalendarState, calendar_state

    migrated_store(tmp_path / "itx.db").close()
    with sqlite3.connect(tmp_path / "itx.db") as conn:
        conn.execute("ALTER TABLE releases RENAME TO releases_gone")
    (tmp_path / "itx.toml").write_text("[history]\nbaseline = false\n")
    cfg = config.load(tmp_path / "itx.toml", tmp_path / "itx.db")
    state = calendar_state(cfg, T0)
    assert state == CalendarState(True, None, "calendar unavailable")
