"""Release calendar: learned cadence and lag, forecasts, overdue alerts and follow-ups."""

from __future__ import annotations

from datetime import date

import pytest

from itx_scraper.core.periods import Month
from itx_scraper.ops.calendar import (
    Cadence,
    appearances,
    forecast,
    hot,
    learn,
    month_end,
    next_window,
    overdue_events,
)


def seen(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return [(period, f"{day}T09:00:00+00:00") for period, day in pairs]


@pytest.mark.parametrize(
    ("month", "end"),
    [
        (Month(2024, 2), date(2024, 2, 29)),
        (Month(2023, 12), date(2023, 12, 31)),
        (Month(2025, 4), date(2025, 4, 30)),
    ],
)
def test_month_end(month: Month, end: date) -> None:
    assert month_end(month) == end


def test_the_first_period_and_re_issues_are_not_publications() -> None:
    rows = seen(
        ("2024-01", "2024-03-30"),
        ("2024-02", "2024-03-20"),
        ("2024-01", "2024-03-25"),
        ("2024-03", "2024-04-19"),
    )
    found = appearances(rows)
    assert [(str(a.period), a.lag_days) for a in found] == [("2024-02", 20), ("2024-03", 19)]


def test_default_until_three_publications_then_learned() -> None:
    rows = seen(("2024-01", "2024-02-25"), ("2024-02", "2024-03-25"), ("2024-03", "2024-04-24"))
    assert learn("sbp_ebops", appearances(rows)) == Cadence(1, 17, 22)
    rows += seen(("2024-04", "2024-05-29"))
    learned = learn("sbp_ebops", appearances(rows))
    assert learned == Cadence(1, 24, 29, learned=True, samples=3)


def test_implausible_lags_from_replays_are_ignored() -> None:
    # Files replayed in 2026: lags of two years say nothing about SBP's calendar.
    rows = seen(*[(str(Month(2023, 11).shift(i)), f"2026-05-0{i + 1}") for i in range(6)])
    assert learn("sbp_ebops", appearances(rows)).learned is False


def test_a_quarterly_source_learns_its_cadence() -> None:
    rows = seen(
        ("2023-03", "2023-04-30"),
        ("2023-06", "2023-07-30"),
        ("2023-09", "2023-10-30"),
        ("2023-12", "2024-01-30"),
    )
    cadence = learn("other", appearances(rows))
    assert (cadence.months, cadence.lag_min, cadence.lag_max) == (3, 30, 30)
    predicted = forecast("other", rows)
    assert predicted is not None and str(predicted.period) == "2024-03"
    assert predicted.due == date(2024, 4, 30)


def test_forecast_and_its_states() -> None:
    assert forecast("sbp_ebops", []) is None
    predicted = forecast("sbp_ebops", seen(("2024-03", "2024-04-20")))
    assert predicted is not None
    assert (str(predicted.latest), str(predicted.period)) == ("2024-03", "2024-04")
    assert (predicted.earliest, predicted.due) == (date(2024, 5, 17), date(2024, 5, 22))
    states = {day: predicted.state(date(2024, 5, day), 5) for day in (16, 17, 22, 23, 26, 27)}
    assert states == {
        16: "waiting",
        17: "window",
        22: "window",
        23: "late",
        26: "late",
        27: "overdue",
    }


def test_overdue_once_per_month_with_a_follow_up() -> None:
    rows = seen(("2024-03", "2024-04-20"))
    predicted = forecast("sbp_ebops", rows)
    kwargs = {"overdue_days": 5, "checked": True}
    assert (
        overdue_events(
            "sbp_ebops", "SBP", predicted, dict(rows), [], today=date(2024, 5, 26), **kwargs
        )
        == []
    )
    (event,) = overdue_events(
        "sbp_ebops", "SBP", predicted, dict(rows), [], today=date(2024, 5, 27), **kwargs
    )
    assert (event.kind, event.route, event.period, event.discriminator) == (
        "overdue",
        "ops",
        "2024-04",
        "due",
    )
    raised = [
        {"kind": "overdue", "series": "sbp_ebops", "period": "2024-04", "facts": dict(event.facts)}
    ]
    assert (
        overdue_events(
            "sbp_ebops", "SBP", predicted, dict(rows), raised, today=date(2024, 5, 28), **kwargs
        )
        == []
    )
    # Unreachable is not late: no alert when the source failed in this run.
    assert (
        overdue_events(
            "sbp_ebops",
            "SBP",
            predicted,
            dict(rows),
            [],
            today=date(2024, 5, 28),
            overdue_days=5,
            checked=False,
        )
        == []
    )

    rows += seen(("2024-04", "2024-05-30"))
    after = forecast("sbp_ebops", rows)
    (follow_up,) = overdue_events(
        "sbp_ebops", "SBP", after, dict(rows), raised, today=date(2024, 5, 30), **kwargs
    )
    assert (follow_up.period, follow_up.discriminator) == ("2024-04", "published")
    assert "first seen 2024-05-30" in follow_up.facts["text"]
    done = [
        *raised,
        {
            "kind": "overdue",
            "series": "sbp_ebops",
            "period": "2024-04",
            "facts": dict(follow_up.facts),
        },
    ]
    assert (
        overdue_events(
            "sbp_ebops", "SBP", after, dict(rows), done, today=date(2024, 5, 31), **kwargs
        )
        == []
    )


def test_a_stale_database_raises_no_overdue() -> None:
    rows = seen(("2024-03", "2024-04-20"))
    predicted = forecast("sbp_ebops", rows)
    assert predicted is not None and predicted.stale(date(2024, 6, 22))
    assert (
        overdue_events(
            "sbp_ebops",
            "SBP",
            predicted,
            dict(rows),
            [],
            today=date(2024, 6, 22),
            overdue_days=5,
            checked=True,
        )
        == []
    )


def test_hot_from_a_day_before_the_window_until_the_release() -> None:
    predicted = forecast("sbp_ebops", seen(("2024-03", "2024-04-20")))
    assert predicted is not None
    assert not hot([predicted], date(2024, 5, 15))
    assert hot([predicted], date(2024, 5, 16))
    assert hot([predicted], date(2024, 6, 30))  # still missing: keep looking
    assert hot([], date(2024, 5, 1))  # nothing known yet
    assert next_window([predicted]) == date(2024, 5, 16)
