"""Release calendar: learned cadence, lag and hours, forecasts, dense periods, overdue alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from itx_scraper.core.periods import Month
from itx_scraper.ops.calendar import (
    PKT,
    PRIOR_TIMING,
    Cadence,
    Timing,
    appearances,
    forecast,
    hot,
    learn,
    learn_timing,
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


# -- publication hours and weekdays --------------------------------------------------------


def pkt(text: str) -> datetime:
    """A Pakistan time given as 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=PKT)


Row = tuple[str, str, str | None]  # period, first seen (PKT), Last-Modified (PKT) or None


def stored(rows: list[Row]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """What the store returns: first sightings as ISO UTC, Last-Modified as HTTP dates."""
    first_seen = [(period, pkt(seen).astimezone(UTC).isoformat()) for period, seen, _ in rows]
    modified = {
        period: format_datetime(pkt(lm).astimezone(UTC), usegmt=True)
        for period, _, lm in rows
        if lm
    }
    return first_seen, modified


def monthly(count: int, publish: str, weekday: int | None = None) -> list[Row]:
    """The month we started with (2023-12) and ``count`` more, each published at ``publish``
    (HH:MM PKT) on the first day at least 18 days after its month end that is a ``weekday``
    (any day when None), first seen five minutes later."""
    rows: list[Row] = []
    for offset in range(count + 1):
        period = Month(2023, 12).shift(offset)
        day = month_end(period) + timedelta(days=18)
        while weekday is not None and day.weekday() != weekday:
            day += timedelta(days=1)
        published = pkt(f"{day} {publish}")
        seen = published + timedelta(minutes=5)
        rows.append((str(period), f"{seen:%Y-%m-%d %H:%M}", f"{published:%Y-%m-%d %H:%M}"))
    return rows


def without_last_modified(rows: list[Row]) -> list[Row]:
    return [(period, seen, None) for period, seen, _ in rows]


def replayed(rows: list[Row], at: str, *, stamped: bool = False) -> list[Row]:
    """The same months stored one minute apart from ``at``, as a replay would store them;
    ``stamped``: served with the replay time as Last-Modified (a mirror's upload time)."""
    start = pkt(at)
    found: list[Row] = []
    for i, (period, _, lm) in enumerate(rows):
        seen = f"{start + timedelta(minutes=i):%Y-%m-%d %H:%M}"
        found.append((period, seen, seen if stamped else lm))
    return found


WORKING_DAYS = frozenset(range(5))


@pytest.mark.parametrize(
    ("case", "rows", "expected"),
    [
        ("nothing yet: office hours on working days", [], PRIOR_TIMING),
        (
            # Published on Sun 18 Feb, Mon 18 Mar and Thu 18 Apr 2024 at 19:20.
            "thin history: the prior, widened to take in what was seen",
            monthly(3, "19:20"),
            Timing(9, 20, WORKING_DAYS | {6}, learned=False, samples=3),
        ),
        (
            "a year of Last-Modified: only the hours and weekdays seen",
            monthly(14, "11:40", weekday=1),
            Timing(11, 12, frozenset({1}), learned=True, samples=14),
        ),
        (
            "first sightings alone never move the prior",
            without_last_modified(monthly(20, "11:40", weekday=1)),
            PRIOR_TIMING,
        ),
        (
            "a replay of old files is not a publication",
            replayed(monthly(20, "11:40", weekday=1), "2026-05-02 02:00"),
            PRIOR_TIMING,
        ),
        (
            "a replay of recent months, stamped with the replay time",
            replayed(monthly(3, "11:40"), "2024-04-20 02:00", stamped=True),
            PRIOR_TIMING,
        ),
    ],
)
def test_learned_publication_hours(case: str, rows: list[Row], expected: Timing) -> None:
    first_seen, modified = stored(rows)
    assert learn_timing(appearances(first_seen, modified)) == expected, case


def test_a_replay_of_recent_months_does_not_teach_the_lag() -> None:
    # 2024-01..03 replayed on 20 Apr 2024: lags of 80, 51 and 20 days, all "plausible".
    first_seen, modified = stored(replayed(monthly(3, "11:40"), "2024-04-20 02:00", stamped=True))
    assert [a.lag_days for a in appearances(first_seen, modified)] == [80, 51, 20]
    assert learn("sbp_ebops", appearances(first_seen, modified)) == Cadence(1, 17, 22)


@pytest.mark.parametrize(
    ("case", "last_modified", "published", "lag"),
    [
        ("no header", None, "2024-04-22 10:05", 22),
        (
            "the server's time, before our sighting",
            "Fri, 19 Apr 2024 04:12:00 GMT",
            "2024-04-19 09:12",
            19,
        ),
        ("a PKT date, not a UTC one", "Fri, 19 Apr 2024 20:30:00 GMT", "2024-04-20 01:30", 20),
        ("not a date", "yesterday", "2024-04-22 10:05", 22),
        ("before the month ended", "Sat, 30 Mar 2024 10:00:00 GMT", "2024-04-22 10:05", 22),
        ("hours after our sighting", "Mon, 22 Apr 2024 10:00:00 GMT", "2024-04-22 10:05", 22),
    ],
)
def test_last_modified_is_the_publication_time_when_believable(
    case: str, last_modified: str | None, published: str, lag: int
) -> None:
    first_seen = [
        ("2024-02", "2024-03-20T05:00:00+00:00"),
        ("2024-03", "2024-04-22T05:05:00+00:00"),
    ]
    modified = {"2024-03": last_modified} if last_modified else {}
    (found,) = appearances(first_seen, modified)
    assert (found.published, found.lag_days) == (pkt(published), lag), case


# -- dense periods: when the daemon polls often ------------------------------------------------

# Newest month 2024-03 (seen 20 Apr): April is expected 17-22 May 2024 (a Friday to a
# Wednesday), in office hours on working days until a year of Last-Modified says otherwise.
APRIL = forecast("sbp_ebops", [("2024-03", "2024-04-20T05:00:00+00:00")])
# April arrived on Mon 20 May: May is expected 17-22 June 2024 (a Monday to a Saturday).
MAY = forecast(
    "sbp_ebops",
    [("2024-03", "2024-04-20T05:00:00+00:00"), ("2024-04", "2024-05-20T05:00:00+00:00")],
)
# Fourteen Tuesday releases at 11:40 PKT, 18-24 days after month end, the newest 2025-02:
# March is expected 18-24 April 2025, dense 11:00-12:00 on Tuesdays only (22 April, then
# 29 April while it is late).
first_seen_tuesdays, modified_tuesdays = stored(monthly(14, "11:40", weekday=1))
TUESDAYS = forecast("sbp_ebops", first_seen_tuesdays, modified_tuesdays)


@pytest.mark.parametrize(
    ("case", "forecasts", "now", "dense", "next_dense"),
    [
        ("the day before the window", [APRIL], "2024-05-16 10:00", False, "2024-05-17 09:00"),
        (
            "the window's first day, before hours",
            [APRIL],
            "2024-05-17 08:59",
            False,
            "2024-05-17 09:00",
        ),
        ("in office hours of a window day", [APRIL], "2024-05-17 09:00", True, "2024-05-20 09:00"),
        ("the last minute of office hours", [APRIL], "2024-05-17 17:59", True, "2024-05-20 09:00"),
        ("after office hours", [APRIL], "2024-05-17 18:00", False, "2024-05-20 09:00"),
        ("a Saturday in the window", [APRIL], "2024-05-18 12:00", False, "2024-05-20 09:00"),
        (
            "late: still missing after the window",
            [APRIL],
            "2024-05-27 12:00",
            True,
            "2024-05-28 09:00",
        ),
        ("a full cycle overdue: nothing known", [APRIL], "2024-06-24 12:00", True, None),
        (
            "arrived: quiet until the next window",
            [MAY],
            "2024-05-21 12:00",
            False,
            "2024-06-17 09:00",
        ),
        ("learned hours, inside", [TUESDAYS], "2025-04-22 11:30", True, "2025-04-29 11:00"),
        ("learned hours, another hour", [TUESDAYS], "2025-04-22 14:00", False, "2025-04-29 11:00"),
        (
            "learned weekdays, another day",
            [TUESDAYS],
            "2025-04-18 11:30",
            False,
            "2025-04-22 11:00",
        ),
        ("two sources: either one", [MAY, APRIL], "2024-05-20 10:00", True, "2024-05-21 09:00"),
        ("no forecast at all", [], "2024-05-20 10:00", True, None),
    ],
)
def test_dense_periods(
    case: str, forecasts: list, now: str, dense: bool, next_dense: str | None
) -> None:
    moment = pkt(now)
    assert hot(forecasts, moment) is dense, case
    assert next_window(forecasts, moment) == (pkt(next_dense) if next_dense else None), case


def test_forecasts_learn_from_the_stored_last_modified_of_each_months_first_copy(
    tmp_path,
) -> None:
    from conftest import migrated_store

    from itx_scraper.ops import checks as health
    from itx_scraper.store import NewRelease

    rows = monthly(14, "11:40", weekday=1)
    first_seen, modified = stored(rows)
    url = "https://archive.sbp.org.pk/ecodata/dt.xls"
    store = migrated_store(tmp_path / "itx.db")
    try:
        with store.transaction():
            for period, seen in first_seen:
                store.add_release(
                    NewRelease(
                        "sbp_ebops",
                        url,
                        period.encode(),
                        seen,
                        "ok",
                        last_modified=modified[period],
                        latest_period=period,
                    )
                )
            newest = first_seen[-1][0]
            # A re-issue of the newest month at 23:00 PKT: not when the month came out.
            store.add_release(
                NewRelease(
                    "sbp_ebops",
                    url,
                    b"re-issue",
                    "2025-03-30T18:00:00+00:00",
                    "ok",
                    last_modified="Sun, 30 Mar 2025 18:00:00 GMT",
                    latest_period=newest,
                )
            )
            # A copy that failed to parse says nothing about publication.
            store.add_release(
                NewRelease(
                    "sbp_ebops",
                    url,
                    b"broken",
                    "2025-04-01T18:00:00+00:00",
                    "error",
                    last_modified="Tue, 01 Apr 2025 18:00:00 GMT",
                )
            )
        assert store.period_last_modified("sbp_ebops") == modified
        predicted = health.forecasts(store, ["sbp_ebops"])["sbp_ebops"]
    finally:
        store.close()
    assert predicted.timing == Timing(11, 12, frozenset({1}), learned=True, samples=14)
    assert predicted.as_dict(date(2025, 4, 1), 5)["hours_pkt"] == [11, 12]
