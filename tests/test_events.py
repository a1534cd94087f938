"""Event rules as pure functions: hand-made histories in, events out."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

import pytest

from itx_scraper.alerts.events import Event, Rules, evaluate, is_record
from itx_scraper.core.periods import Month

_ids = count(1)


@dataclass(frozen=True)
class O:
    period: str
    usd_million: float
    source: str = "sbp_ebops"
    release_id: int = 1
    status: str | None = "P"
    id: int = 0
    url: str = "http://127.0.0.1/dt.xls"

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", next(_ids))

    @property
    def months(self) -> int:
        start, _, end = self.period.partition("/")
        if not end:
            return 1
        return Month.parse(end).index - Month.parse(start).index + 1

    @property
    def period_start(self) -> str:
        return self.period.partition("/")[0]

    @property
    def period_end(self) -> str:
        return self.period.rpartition("/")[2]


def run(
    before: list[O],
    new: list[O],
    *,
    official: bool = True,
    prior: list[dict] | None = None,
    rules: Rules | None = None,
) -> list[Event]:
    return evaluate(
        "9",
        before,
        new,
        official=official,
        official_sources=("sbp_ebops",),
        known_sources=("sbp_ebops", "baseline", "import"),
        prior_alerts=prior or [],
        rules=rules or Rules(),
    )


def kinds(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.kind, e.period) for e in events]


HISTORY = [O("2022-03", 260, "baseline"), O("2023-11", 259, "import"), O("2023-10", 238, "import")]


def test_new_month_and_record_over_a_gap() -> None:
    # 2023-12 beats Mar-22 even though months in between are unknown.
    events = run(HISTORY, [O("2023-12", 303, release_id=2)])
    assert kinds(events) == [("new_month", "2023-12"), ("record", "2023-12")]
    record = events[1].facts
    assert (record["previous_month"], record["previous_value"], record["margin"]) == (
        "2022-03",
        260,
        43,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(260.0, [("new_month", "2023-12")], id="tie-is-not-a-record"),
        pytest.param(260.01, [("new_month", "2023-12"), ("record", "2023-12")], id="just-above"),
    ],
)
def test_record_needs_to_beat_not_equal(value: float, expected: list) -> None:
    assert kinds(run(HISTORY, [O("2023-12", value)])) == expected


def test_statements_raise_nothing_and_do_not_make_a_month_known() -> None:
    before = [*HISTORY, O("2023-12", 303, "moitt")]
    assert run(before, [O("2024-01", 265, "moitt")], official=False) == []
    assert kinds(run(before, [O("2023-12", 303)])) == [
        ("new_month", "2023-12"),
        ("record", "2023-12"),
    ]


def test_old_months_in_a_release_are_not_new() -> None:
    assert run(HISTORY, [O("2023-10", 238), O("2022-03", 260)]) == []


@pytest.mark.parametrize(
    ("new_value", "tolerance", "revised"),
    [(259.4, 0.5, False), (258.4, 0.5, True), (259.2, 0.05, True)],
)
def test_revision_tolerance(new_value: float, tolerance: float, revised: bool) -> None:
    before = [O("2023-11", 259, release_id=1), O("2023-12", 303, release_id=1)]
    events = run(
        before,
        [O("2023-11", new_value, release_id=2, status="R")],
        rules=Rules(revision_tolerance=tolerance),
    )
    assert (("revision", "2023-11") in kinds(events)) is revised


def test_baseline_replaced_by_sbp_is_not_a_revision() -> None:
    before = [O("2025-03", 342, "baseline"), O("2025-04", 317.64, "baseline")]
    assert run(before, [O("2025-03", 344.93, release_id=9)]) == []


def test_record_revoked_names_the_holder() -> None:
    before = [O("2024-03", 306), O("2024-04", 310), O("2024-05", 332)]
    prior = [{"kind": "record", "series": "9", "period": "2024-05", "facts": {}}]
    events = run(before, [O("2024-05", 300, release_id=3, status="R")], prior=prior)
    assert kinds(events) == [("revision", "2024-05"), ("record_revoked", "2024-05")]
    assert events[1].facts["holder"] == "2024-04"
    revoked_again = [
        *prior,
        {"kind": "record_revoked", "series": "9", "period": "2024-05", "facts": {}},
    ]
    later = run(
        [*before, O("2024-05", 300, release_id=3)],
        [O("2024-06", 298, release_id=4)],
        prior=revoked_again,
    )
    assert kinds(later) == [("new_month", "2024-06")]


def test_fytd_prefers_the_sources_own_column() -> None:
    before = [O(f"2023-{m:02d}", 200) for m in range(7, 13)]
    new = [O("2024-01", 250, release_id=2), O("2023-07/2024-01", 1460.5, release_id=2)]
    facts = run(before, new)[0].facts
    assert facts["fytd"]["new"] == 1460.5  # not the month sum (1450)


def test_is_record_with_no_earlier_month() -> None:
    assert is_record({Month(2020, 1): 5.0}, Month(2020, 1)) == (False, None)


def test_template_overrides_render_and_bad_ones_are_config_errors(tmp_path) -> None:
    from itx_scraper.alerts.messages import render
    from itx_scraper.cli import load_config
    from itx_scraper.core import config
    from itx_scraper.core.errors import ConfigError

    good = tmp_path / "good.toml"
    good.write_text('[templates.record]\ntitle = "Record! {value} in {month_label}"\n')
    cfg = config.load(good)
    message = render("record", "9", {"month": "2024-04", "value": 310.0}, cfg.templates)
    assert message.title == "Record! $310 million in April 2024"
    bad = tmp_path / "bad.toml"
    bad.write_text('[templates.record]\ntitle = "{value:%Y}"\n')
    with pytest.raises(ConfigError, match=r"\[templates.record\]"):
        load_config(str(bad), None)  # what every command loads
