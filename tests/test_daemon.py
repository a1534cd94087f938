"""Daemon scheduling: intervals, cron, the release calendar's quiet periods, jitter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from itx_scraper.ops.daemon import Schedule, cycle_command, jitter_limit, next_start

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
