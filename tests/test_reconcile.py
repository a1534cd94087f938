"""Reconciliation rules (pure): statements against SBP's own figures."""

from __future__ import annotations

import pytest

from itx_scraper.alerts.events import Event
from itx_scraper.alerts.messages import render
from itx_scraper.alerts.reconcile import (
    Claim,
    Official,
    Tolerance,
    agree,
    on_official,
    on_statement,
    period_label,
    printed_precision,
    record_check,
)
from itx_scraper.core.periods import Month

TOL = Tolerance()
KNOWN = {Month(2024, 1): 265.0, Month(2024, 2): 257.0, Month(2024, 3): 306.0}  # up to Mar-24
URL = "https://moitt.gov.pk/NewsDetail/x"


def claim(
    period: str = "2024-04",
    value: float = 310.0,
    *,
    source: str = "moitt",
    text: str = "IT exports were $310 million in April.",
    note: str = "",
    published: str = "2024-05-17",
    release_id: int = 7,
) -> Claim:
    first, _, last = period.partition("/")
    months = 1 if not last else Month.parse(last).index - Month.parse(first).index + 1
    return Claim.from_row(
        {
            "release_id": release_id,
            "period": period,
            "months": months,
            "usd_million": value,
            "source": source,
            "url": URL,
            "title": "IT exports",
            "published_at": published,
            "location": text,
            "note": note,
        }
    )


def as_prior(events: list[Event]) -> list[dict]:
    return [
        {"kind": e.kind, "series": e.series, "period": e.period, "facts": dict(e.facts)}
        for e in events
    ]


def statement(
    claims: list[Claim],
    official: dict | None = None,
    prior: list | None = None,
    known: dict | None = None,
) -> list[Event]:
    return on_statement(
        "9",
        claims,
        official=official or {},
        known=KNOWN if known is None else known,
        prior=prior or [],
        tolerance=TOL,
    )


def test_a_month_sbp_has_not_published_is_reported() -> None:
    [event] = statement([claim()])
    assert (event.kind, event.period, event.route) == ("reported", "2024-04", "data")
    assert event.facts["value"] == 310.0 and event.facts["reporter"] == "MoITT"
    message = render(event.kind, event.series, event.facts)
    assert (
        "MoITT reports Pakistan's IT exports for April 2024 at $310 million; SBP data pending"
        in message.body
    )
    assert URL in message.body


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        pytest.param(
            "an all-time high of $310 million",
            310.0,
            "claims a record; our history agrees (previous high $306 million in March",
            id="claim-holds",
        ),
        pytest.param(
            "a record $300 million",
            300.0,
            "claims a record, but our history does not support it: $306 million in",
            id="claim-fails",
        ),
        pytest.param(
            "the highest ever monthly figure, $306 million",
            306.0,
            "does not support it",
            id="tie-is-no-record",
        ),
        pytest.param("$310 million", 310.0, "If SBP confirms it, this is a record", id="no-claim"),
        pytest.param("$290 million", 290.0, "", id="no-claim-no-record"),
        pytest.param("a record increase of 24% to $300 million", 300.0, "", id="record-growth"),
    ],
)
def test_record_claims_are_checked_against_our_history(
    text: str, value: float, expected: str
) -> None:
    [event] = statement([claim(value=value, text=text)])
    assert expected in event.facts["claim"]
    if not expected:
        assert event.facts["claim"] == ""


def test_no_storm_only_months_after_the_newest_known_are_pending() -> None:
    claims = [claim("2024-03", 306.0), claim("2023-04", 191.0), claim("2024-04", 310.0)]
    assert [e.period for e in statement(claims)] == ["2024-04"]


def test_ranges_comparisons_and_suspect_figures_are_never_reported() -> None:
    claims = [
        claim("2023-07/2024-04", 2593.0),
        claim("2024-04", 250.0, note="comparison: figure quoted for comparison"),
        claim("2024-04", 31.0, note="suspect: outside the monthly range"),
    ]
    assert statement(claims) == []


def test_a_month_not_yet_over_at_publication_is_a_misread_period() -> None:
    assert statement([claim("2024-05", 320.0, published="2024-05-17")]) == []


def test_the_same_figure_from_another_outlet_is_not_reported_twice() -> None:
    first = statement([claim()])
    assert statement([claim(source="pid", value=310.4)], prior=as_prior(first)) == []
    # a different figure for the same month is news, and names the earlier report
    [second] = statement([claim(source="pid", value=320.0)], prior=as_prior(first))
    assert second.facts["earlier_reports"] == "Earlier: MoITT reported $310 million."
    assert second.discriminator != first[0].discriminator


def test_a_statement_after_sbp_is_confirmed_silently_or_mismatched() -> None:
    official = {"2024-04": [Official("2024-04", 310.26, "sbp_headline", "https://sbp/x.pdf")]}
    assert statement([claim(value=310.0)], official) == []
    [event] = statement([claim(value=301.0)], official)
    assert event.kind == "mismatch" and event.period == "2024-04"
    message = render(event.kind, event.series, event.facts)
    assert message.title == (
        "Mismatch: Pakistan's IT exports for April 2024: $301 million "
        "(MoITT) vs $310.3 million (SBP headline PDF)"
    )
    assert "difference +$9.3 million" in message.body


def test_any_official_vintage_confirms_a_statement() -> None:
    # PDF first print 306, workbook revision 310: a statement quoting either agrees.
    official = {
        "2024-03": [
            Official("2024-03", 306.0, "sbp_headline", "a"),
            Official("2024-03", 310.0, "sbp_ebops", "b"),
        ]
    }
    assert statement([claim("2024-03", 306.0)], official, known={}) == []
    [event] = statement([claim("2024-03", 320.0)], official, known={})
    assert event.facts["official_value"] == 310.0  # the newest vintage is named


def test_fiscal_year_to_date_statements_are_reconciled_with_sbp_ranges() -> None:
    official = {"2023-07/2024-04": [Official("2023-07/2024-04", 2593.0, "sbp_headline", "u")]}
    # '$2.59 billion' is printed to 10 million: it agrees with 2,593
    assert statement([claim("2023-07/2024-04", 2590.0)], official) == []
    [event] = statement([claim("2023-07/2024-04", 2400.0)], official)
    assert event.period == "2024-04" and event.facts["period_label"] == "July–April FY24"


def test_sbp_publishing_the_month_confirms_or_raises_one_mismatch_per_figure() -> None:
    new = [
        Official("2024-04", 310.0, "sbp_headline", "pdf"),
        Official("2023-07/2024-04", 2593.0, "sbp_headline", "pdf"),
        Official("2024-03", 306.0, "sbp_headline", "pdf"),
    ]
    agreeing = [claim(), claim(source="pid", value=310.2), claim("2023-07/2024-04", 2593.0)]
    assert (
        on_official("9", new, newest_known=Month(2024, 3), claims=agreeing, prior=[], tolerance=TOL)
        == []
    )
    differing = [
        claim(value=305.0),
        claim(source="pid", value=305.3, release_id=8),
        claim(source="pseb", value=295.0, release_id=9),
        claim("2024-03", 290.0),  # not new in this release: not reconciled again
        claim(value=250.0, note="comparison: figure quoted for comparison"),
    ]
    events = on_official(
        "9", new, newest_known=Month(2024, 3), claims=differing, prior=[], tolerance=TOL
    )
    assert [(e.kind, e.facts["reported_value"], e.facts["reporter"]) for e in events] == [
        ("mismatch", 295.0, "PSEB"),
        ("mismatch", 305.0, "MoITT and PID"),
    ]
    # the same mismatch is not raised again by a later official release of the month
    again = on_official(
        "9",
        new,
        newest_known=Month(2024, 3),
        claims=differing,
        prior=as_prior(events),
        tolerance=TOL,
    )
    assert again == []


@pytest.mark.parametrize(
    ("value", "slack"),
    [(310.0, 0.0), (2593.0, 0.0), (2590.0, 5.0), (3200.0, 50.0), (3000.0, 50.0), (2593.5, 0.0)],
)
def test_figures_in_billions_carry_their_printed_precision(value: float, slack: float) -> None:
    assert printed_precision(value) == slack


def test_tolerance_is_the_larger_of_absolute_and_percent() -> None:
    assert agree(150.0, 151.0, TOL) and not agree(150.0, 151.1, TOL)  # US$ 1 million
    assert agree(310.0, 311.5, TOL) and not agree(310.0, 311.6, TOL)  # 0.5 % of 310
    assert agree(4001.0, 4020.0, TOL) and not agree(4001.0, 4022.0, TOL)


def test_period_labels() -> None:
    assert period_label("2024-04") == "April 2024"
    assert period_label("2023-07/2024-04") == "July–April FY24"
    assert period_label("2024-01/2024-03") == "January 2024 – March 2024"


def test_record_check_without_history() -> None:
    assert record_check(Month(2024, 4), 310.0, {}, claimed=True).startswith("No earlier months")
    assert record_check(Month(2024, 4), 310.0, {}, claimed=False) == ""
