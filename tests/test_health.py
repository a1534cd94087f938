"""Source health rules: attempts from the fetch log, streaks, and the alerts they raise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from itx_scraper.ops.health import (
    Attempt,
    HealthRules,
    Streak,
    attempts,
    evaluate,
    open_incident,
    streak,
)

RULES = HealthRules(failures=3, remind_days=7)
NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)


def fetch(id_: int, run_id: int | None, status: str, error_class: str | None = None) -> dict:
    return {
        "id": id_,
        "run_id": run_id,
        "url": "https://x/dt.xls",
        "started_at": f"2026-05-{id_:02d}T00:00:00+00:00",
        "status": status,
        "http_status": 404 if error_class == "4xx" else 200,
        "error_class": error_class,
        "error": f"{error_class} problem" if error_class else None,
    }


def attempt(day: int, failed: bool) -> Attempt:
    return Attempt(
        f"run {day}",
        f"2026-05-{day:02d}T00:00:00+00:00",
        failed,
        "https://x",
        "5xx" if failed else None,
        "HTTP 500" if failed else None,
        500 if failed else 200,
    )


def test_attempts_group_a_run_and_fail_it_when_its_last_fetch_failed() -> None:
    rows = [  # newest first, as the store yields them
        fetch(5, 3, "ok"),
        fetch(4, 2, "error", "4xx"),
        fetch(3, 2, "ok"),
        fetch(2, None, "not_modified"),
        fetch(1, None, "error", "network"),
    ]
    found = list(attempts("sbp_ebops", rows))
    assert [(a.key, a.failed, a.error_class) for a in found] == [
        ("run 3", False, None),
        ("run 2", True, "4xx"),
        ("fetch 2", False, None),
        ("fetch 1", True, "network"),
    ]
    assert found[1].started_at == "2026-05-03T00:00:00+00:00"  # the run's first fetch
    assert found[1].http_status == 404


def test_streak_counts_trailing_failures_and_reads_no_further_than_needed() -> None:
    consumed: list[int] = []

    def feed() -> Iterator[Attempt]:
        for day, failed in [(9, True), (8, True), (7, True), (6, False), (5, True)]:
            consumed.append(day)
            yield attempt(day, failed)

    current = streak(feed())
    assert current.failures == 3
    assert current.first_failure is not None and current.first_failure.started_at.startswith(
        "2026-05-07"
    )
    assert current.last_success is not None and current.last_success.key == "run 6"
    assert consumed == [9, 8, 7, 6]  # the older history was never read


def test_streak_after_a_success_knows_the_streak_it_ended() -> None:
    current = streak(
        iter([attempt(9, False), attempt(8, True), attempt(7, True), attempt(6, False)])
    )
    assert (current.failures, current.failures_before) == (0, 2)
    assert streak(iter([])) == Streak()


def failing(n: int) -> Streak:
    history = [attempt(10 - i, True) for i in range(n)]
    return streak(iter([*history, attempt(1, False)]))


def test_no_alert_below_the_threshold() -> None:
    assert evaluate("s", "S", failing(2), [], now=NOW, rules=RULES) == []


def test_one_source_error_at_the_threshold() -> None:
    (event,) = evaluate("s", "S", failing(3), [], now=NOW, rules=RULES)
    assert (event.kind, event.route, event.series) == ("source_error", "ops", "s")
    assert event.facts["incident"] == "2026-05-08T00:00:00+00:00"
    assert event.facts["failures"] == 3 and event.facts["error_class"] == "5xx"
    assert "failed 3 times in a row" in event.facts["text"]


def prior(kind: str, created: str, incident: str = "2026-05-08T00:00:00+00:00", **facts) -> dict:
    return {
        "kind": kind,
        "series": "s",
        "created_at": created,
        "facts": {"incident": incident, **facts},
    }


def test_open_incident_suppresses_repeats_until_the_reminder_is_due() -> None:
    opened = [prior("source_error", "2026-05-15T00:00:00+00:00")]
    assert evaluate("s", "S", failing(5), opened, now=NOW, rules=RULES) == []
    later = datetime(2026, 5, 22, tzinfo=UTC)
    (reminder,) = evaluate("s", "S", failing(6), opened, now=later, rules=RULES)
    assert reminder.kind == "source_error" and reminder.facts["reminder"] == 1
    assert reminder.discriminator == "2026-05-08T00:00:00+00:00 reminder 1"
    # The reminder resets the clock; the second one comes seven days after it.
    reminded = [*opened, prior("source_error", "2026-05-22T00:00:00+00:00", reminder=1)]
    assert evaluate("s", "S", failing(7), reminded, now=later, rules=RULES) == []
    (second,) = evaluate(
        "s", "S", failing(9), reminded, now=datetime(2026, 5, 29, tzinfo=UTC), rules=RULES
    )
    assert second.facts["reminder"] == 2


def test_recovery_is_announced_once_per_incident() -> None:
    opened = [prior("source_error", "2026-05-15T00:00:00+00:00")]
    recovered = streak(iter([attempt(12, False), attempt(11, True), attempt(10, True)]))
    (event,) = evaluate("s", "S", recovered, opened, now=NOW, rules=RULES)
    assert (event.kind, event.discriminator) == ("source_recovered", "2026-05-08T00:00:00+00:00")
    assert event.facts["failures"] == 2
    closed = [*opened, prior("source_recovered", "2026-05-20T00:00:00+00:00")]
    assert evaluate("s", "S", recovered, closed, now=NOW, rules=RULES) == []
    assert open_incident("s", closed) is None


def test_other_sources_and_delivery_alerts_do_not_count() -> None:
    others = [
        {**prior("source_error", "2026-05-15T00:00:00+00:00"), "series": "other"},
        {
            "kind": "source_error",
            "series": "s",
            "created_at": "2026-05-15T00:00:00+00:00",
            "facts": {"title": "delivery given up"},
        },
    ]
    assert open_incident("s", others) is None
    assert [e.kind for e in evaluate("s", "S", failing(3), others, now=NOW, rules=RULES)] == [
        "source_error"
    ]


@pytest.mark.parametrize("threshold", [1, 3, 5])
def test_threshold_is_configurable(threshold: int) -> None:
    rules = HealthRules(failures=threshold)
    assert evaluate("s", "S", failing(threshold - 1), [], now=NOW, rules=rules) == []
    assert len(evaluate("s", "S", failing(threshold), [], now=NOW, rules=rules)) == 1
