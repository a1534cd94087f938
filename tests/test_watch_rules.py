"""Watches as configuration and as words: [watches.<name>] validation, record direction, and the
sign wording of alert texts (pure functions, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from click.testing import CliRunner

from itx_scraper.alerts.events import Rules, evaluate, is_record
from itx_scraper.alerts.messages import MINUS, Wording, is_plural, render
from itx_scraper.cli import cli
from itx_scraper.core import config
from itx_scraper.core.errors import ConfigError
from itx_scraper.core.periods import Month

URL = "https://www.sbp.org.pk/ecodata/Balancepayment_BPM6.xls"
WATCH = f'[watches.current_account]\nurl = "{URL}"\nseries = "Current Account Balance"\n'


def load(tmp_path: Path, text: str, sources: tuple[str, ...] = ()) -> config.Config:
    path = tmp_path / "itx.toml"
    path.write_text(text)
    return config.load(path, sources=sources)


# ---------------------------------------------------------------- config


def test_a_watch_with_defaults(tmp_path: Path) -> None:
    cfg = load(tmp_path, WATCH)
    watch = cfg.watches["current_account"]
    assert (watch.url, watch.series, watch.part, watch.sheet) == (
        URL,
        "Current Account Balance",
        None,
        None,
    )
    assert (watch.record, watch.enabled, watch.title) == ("high", True, "Current Account Balance")
    # every enabled source and every enabled watch runs
    assert "current_account" in cfg.run_sources and "sbp_ebops" in cfg.run_sources


def test_every_key(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        WATCH + 'part = "Net"\nsheet = "BPM6_Summary"\nrecord = "low"\nlabel = "The CA"\n',
    )
    watch = cfg.watches["current_account"]
    assert (watch.part, watch.sheet, watch.record, watch.title) == (
        "Net",
        "BPM6_Summary",
        "low",
        "The CA",
    )
    assert watch.as_row() == {
        "name": "current_account",
        "url": URL,
        "series": "Current Account Balance",
        "part": "Net",
        "sheet": "BPM6_Summary",
        "record": "low",
        "label": "The CA",
    }


def test_label_defaults_to_the_series_label(tmp_path: Path) -> None:
    text = f'[watches.gg]\nurl = "{URL}"\nseries = "Secondary Income Credit > General Government"\n'
    assert load(tmp_path, text).watches["gg"].title == "Secondary Income Credit: General Government"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param(
            WATCH + 'recrd = "low"\n', "has no key 'recrd'; did you mean `record`?", id="typo"
        ),
        pytest.param(WATCH + 'record = "lowest"\n', "record", id="unknown-record"),
        pytest.param(f'[watches.ca]\nurl = "{URL}"\n', "sets no series", id="no-series"),
        pytest.param('[watches.ca]\nseries = "X"\n', "sets no url", id="no-url"),
        pytest.param(
            '[watches.ca]\nurl = "ftp://sbp.org.pk/x.xls"\nseries = "X"\n', "http(s)", id="ftp"
        ),
        pytest.param('[watches.ca]\nurl = "/tmp/x.xls"\nseries = "X"\n', "http(s)", id="path"),
        pytest.param(f'[watches.ca]\nurl = "{URL}"\nseries = ""\n', "series", id="empty-series"),
        pytest.param(
            f'[watches.sbp_ebops]\nurl = "{URL}"\nseries = "X"\n', "already a source", id="clash"
        ),
        pytest.param(
            f'[watches.pid]\nurl = "{URL}"\nseries = "X"\n', "already a source", id="clash-pid"
        ),
        pytest.param(
            f'[watches.sbp_workbook]\nurl = "{URL}"\nseries = "X"\n',
            "already a source",
            id="spider",
        ),
        pytest.param(
            f'[watches."9x"]\nurl = "{URL}"\nseries = "X"\n', "start with a letter", id="digit"
        ),
        pytest.param(
            f'[watches."a b"]\nurl = "{URL}"\nseries = "X"\n', "start with a letter", id="space"
        ),
        pytest.param("[watches]\nca = 3\n", "must be a table", id="not-a-table"),
        pytest.param(WATCH + "enabled = 1\n", "enabled", id="enabled-int"),
    ],
)
def test_bad_watches_are_config_errors(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert words in str(caught.value)


def test_a_bad_watch_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "itx.toml").write_text(WATCH + 'recrd = "low"\n')
    result = CliRunner().invoke(cli, ["run", "--config", str(tmp_path / "itx.toml")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        (
            "itx-scraper: configuration error: [watches.current_account] has no key 'recrd';"
            " did you mean `record`? (it reads: url, series, part, sheet, record, label, enabled)"
        )
    ]


def test_run_selection_takes_watch_names(tmp_path: Path) -> None:
    text = WATCH + f'[watches.off]\nurl = "{URL}"\nseries = "X"\nenabled = false\n'
    cfg = load(tmp_path, text)
    assert "current_account" in cfg.run_sources and "off" not in cfg.run_sources
    assert load(tmp_path, text, ("off",)).run_sources == ("off",)  # named: it runs
    only = load(tmp_path, text + '[run]\nsources = ["current_account"]\n')
    assert only.run_sources == ("current_account",)
    sources_only = load(tmp_path, text + '[run]\nsources = ["sbp_ebops"]\n')
    assert sources_only.run_sources == ("sbp_ebops",)  # a subset names no watch: none runs
    with pytest.raises(ConfigError, match=r"unknown source 'curent_account'; did you mean"):
        load(tmp_path, text, ("curent_account",))


# ---------------------------------------------------------------- records, high and low


_ids = count(1)


@dataclass(frozen=True)
class O:
    period: str
    usd_million: float
    release_id: int = 1
    source: str = "ca"
    status: str | None = "P"
    id: int = 0
    url: str = URL
    months: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", next(_ids))

    @property
    def period_start(self) -> str:
        return self.period

    @property
    def period_end(self) -> str:
        return self.period


def watch_run(before: list[O], new: list[O], record: str, prior: list[dict] | None = None):
    return evaluate(
        "ca",
        before,
        new,
        official=True,
        official_sources=("ca",),
        known_sources=("ca",),
        prior_alerts=prior or [],
        rules=Rules(),
        record=record,
    )


DEFICITS = [O("2025-01", -500), O("2025-02", -1200), O("2025-03", 300)]


def test_is_record_low() -> None:
    values = {Month.parse(o.period): o.usd_million for o in DEFICITS}
    values[Month(2025, 4)] = -1300
    assert is_record(values, Month(2025, 4), low=True) == (True, Month(2025, 2))
    assert is_record(values, Month(2025, 4)) == (False, Month(2025, 3))
    values[Month(2025, 4)] = -1200  # a tie is no record
    assert is_record(values, Month(2025, 4), low=True) == (False, Month(2025, 2))


@pytest.mark.parametrize(
    ("record", "value", "expected"),
    [
        ("low", -1300, ["new_month", "record"]),
        ("low", -100, ["new_month"]),
        ("high", 400, ["new_month", "record"]),
        ("high", -1300, ["new_month"]),
        ("none", -1300, ["new_month"]),
        ("none", 400, ["new_month"]),
    ],
)
def test_record_direction(record: str, value: float, expected: list[str]) -> None:
    events = watch_run(DEFICITS, [O("2025-04", value, release_id=2)], record)
    assert [e.kind for e in events] == expected
    if "record" in expected:
        facts = events[1].facts
        previous = -1200 if record == "low" else 300
        assert (facts["previous_value"], facts["margin"]) == (previous, value - previous)


def test_a_revision_revokes_a_record_low() -> None:
    before = [*DEFICITS, O("2025-04", -1300, release_id=2)]
    prior = [{"kind": "record", "series": "ca", "period": "2025-04", "facts": {}}]
    events = watch_run(before, [O("2025-04", -1100, status="R", release_id=3)], "low", prior)
    assert [(e.kind, e.period) for e in events] == [
        ("revision", "2025-04"),
        ("record_revoked", "2025-04"),
    ]
    assert events[1].facts["holder"] == "2025-02"
    assert watch_run(before, [O("2025-04", -1100, release_id=3)], "none", prior)[0].kind == (
        "revision"
    )
    assert len(watch_run(before, [O("2025-04", -1100, release_id=3)], "none", prior)) == 1


# ---------------------------------------------------------------- wording and signs


def watch_facts(**more: object) -> dict[str, object]:
    return {
        "watch": "ca",
        "series_name": "Pakistan's current account balance",
        "series_label": "Current Account Balance",
        "record": "high",
        "month": "2026-03",
        "status": "P",
        "url": URL,
        **more,
    }


@pytest.mark.parametrize(
    ("facts", "value", "shown"),
    [
        pytest.param({}, -737.0, "a deficit of $737 million", id="balance-deficit"),
        pytest.param({}, 1070.0, "a surplus of $1,070 million", id="balance-surplus"),
        pytest.param({}, 0.0, "$0 million", id="balance-zero"),
        pytest.param({}, -0.01, "$0 million", id="balance-rounds-to-zero"),
        pytest.param(
            {"series_label": "Net FDI", "series_name": "Net FDI"},
            -50.0,
            f"{MINUS}$50 million",
            id="signed-negative",
        ),
        pytest.param(
            {"series_label": "Workers' Remittances", "series_name": "Workers' Remittances"},
            3831.0,
            "$3,831 million",
            id="signed-positive",
        ),
        pytest.param(
            {"series_label": "Remittances", "series_name": "Trade balance, goods"},
            -2000.0,
            "a deficit of $2,000 million",
            id="label-says-balance",
        ),
        pytest.param({"unit": "percent"}, -1.25, f"{MINUS}1.2%", id="percent"),
        pytest.param({"watch": None}, -737.0, "$-737 million", id="ict-unchanged"),
    ],
)
def test_amounts(facts: dict, value: float, shown: str) -> None:
    assert Wording.of(watch_facts(**facts)).amount(value) == shown


@pytest.mark.parametrize(
    ("name", "plural"),
    [
        ("Pakistan's current account balance", False),
        ("Current Account Balance", False),
        ("Workers' Remittances", True),
        ("Exports (BOP), Value", True),
        ("Exports of Goods FOB", True),
        ("Net Inflow of Foreign Direct Investment", False),
        ("Direct Investment in Pakistan", False),
        ("Equity and Investment Fund Shares", True),
        ("Pakistan's IT exports", True),
        ("Business", False),
    ],
)
def test_verb_agrees(name: str, plural: bool) -> None:
    assert is_plural(name) is plural


def test_new_month_text_of_a_balance() -> None:
    facts = watch_facts(
        value=1070.0,
        mom={"old": 231.0, "new": 1070.0, "delta": 839.0, "pct": 363.2},
        yoy={"old": 1275.0, "new": 1070.0, "delta": -205.0, "pct": -16.1},
        fytd={"old": -1500.0, "new": 200.0, "delta": 1700.0, "pct": None},
    )
    message = render("new_month", "ca", facts)
    assert (
        message.title
        == "Pakistan's current account balance: a surplus of $1,070 million in March 2026"
    )
    assert message.body.splitlines()[:3] == [
        (
            "Pakistan's current account balance was a surplus of $1,070 million in March 2026"
            " (provisional)."
        ),
        (
            "Month on month: +$839 million (a surplus of $231 million in February 2026). Year"
            f" on year: {MINUS}$205 million (a surplus of $1,275 million in March 2025)."
        ),
        "July–March FY26: a surplus of $200 million vs a deficit of $1,500 million, +$1,700 million.",
    ]
    assert "$-" not in message.body + message.markdown + message.title


def test_record_low_text_names_the_previous_record() -> None:
    facts = watch_facts(
        record="low",
        value=-2500.0,
        previous_month="2018-06",
        previous_value=-2200.0,
        margin=-300.0,
        fytd=None,
    )
    message = render("record", "ca", facts)
    assert message.title == (
        "Record low: Pakistan's current account balance a deficit of $2,500 million in March 2026"
    )
    assert message.body.startswith(
        "Pakistan's current account balance set a record low with a deficit of $2,500 million in"
        f" March 2026 (previous record low a deficit of $2,200 million in June 2018, {MINUS}$300"
        " million)."
    )


def test_revision_and_revoked_texts_of_a_watch() -> None:
    facts = watch_facts(
        series_name="Workers' Remittances",
        series_label="Workers' Remittances",
        old=3288.0,
        new=3300.0,
        delta=12.0,
        pct=0.36,
    )
    body = render("revision", "remit", facts).body
    assert body.startswith(
        "Workers' Remittances for March 2026 were revised from $3,288 million to $3,300 million"
        " (+$12 million, +0.4%)."
    )
    balance = render("revision", "ca", watch_facts(old=-10.0, new=25.0, delta=35.0, pct=-350.0))
    assert (
        "was revised from a deficit of $10 million to a surplus of $25 million (+$35 million)"
        in (balance.body)
    )
    revoked = render(
        "record_revoked",
        "ca",
        watch_facts(record="low", value=-1100.0, holder="2025-02", holder_value=-1200.0),
    )
    assert revoked.title == "No longer a record low: March 2026"
    assert "The record low is now a deficit of $1,200 million in February 2025." in revoked.body


def test_percent_watch_has_no_fiscal_year_sum() -> None:
    facts = watch_facts(
        unit="percent",
        series_name="Export growth",
        series_label="Export Growth (Goods) over corresponding period",
        value=-3.5,
        mom={"old": 2.0, "new": -3.5, "delta": -5.5, "pct": -275.0},
        fytd={"old": 10.0, "new": 12.0, "delta": 2.0, "pct": 20.0},
    )
    body = render("new_month", "growth", facts).body
    assert f"Export growth was {MINUS}3.5% in March 2026" in body
    assert f"Month on month: {MINUS}5.5 percentage points (2.0% in February 2026)" in body
    assert "July–March" not in body
