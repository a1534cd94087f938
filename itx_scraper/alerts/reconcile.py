"""Reconcile figures from statements with SBP's own: ``reported`` while pending, ``mismatch``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from itx_scraper.alerts.events import EPSILON, Event
from itx_scraper.alerts.messages import fytd_label, money
from itx_scraper.core.periods import Month, fiscal_year_start, parse_range
from itx_scraper.core.sources import SOURCES, label

# Words with which a statement claims an all-time monthly high.
RECORD_CLAIM = re.compile(
    r"\brecord\b|\bhighest[\s-]+ever\b|\ball[\s-]+time[\s-]+high\b|\bhistoric\s+high\b"
    r"|\bhighest\s+(?:monthly|single[\s-]+month)\b|\bunprecedented\b",
    re.IGNORECASE,
)
# 'Record' about a growth rate is no claim about the month's level.
NOT_A_LEVEL = re.compile(r"\brecord[\s-]+(?:increase|growth|rise|jump|surge)\b", re.IGNORECASE)
KINDS = ("reported", "mismatch")  # the alerts these rules raise (and read back to dedupe)


@dataclass(frozen=True)
class Tolerance:
    """How far a statement may differ from SBP's figure and still agree with it."""

    absolute: float = 1.0  # US$ million
    percent: float = 0.5

    def of(self, value: float) -> float:
        return max(self.absolute, abs(value) * self.percent / 100, printed_precision(value))


def printed_precision(value: float) -> float:
    """Half a unit of the last digit of a figure stated in billions ('$3.2 billion' = 3,200 ±50).

    Press statements round billions to one or two decimals; a month in millions is printed to
    the unit, which the absolute tolerance covers.
    """
    if abs(value) < 1000 or abs(value - round(value)) > 1e-6:
        return 0.0
    number, unit = round(abs(value)), 1
    while number % 10 == 0 and unit < 100:
        number //= 10
        unit *= 10
    return unit / 2 if unit > 1 else 0.0


@dataclass(frozen=True)
class Claim:
    """A figure a statement gives for a period (one stored statement observation)."""

    release_id: int
    period: str
    months: int
    value: float
    source: str
    url: str
    title: str | None
    published_at: str | None
    text: str
    comparison: bool
    suspect: bool

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Claim:
        note = row.get("note") or ""
        return cls(
            release_id=int(row["release_id"]),
            period=str(row["period"]),
            months=int(row["months"]),
            value=float(row["usd_million"]),
            source=str(row["source"]),
            url=str(row["url"]),
            title=row.get("title"),
            published_at=row.get("published_at"),
            text=str(row.get("location") or ""),
            comparison="comparison" in note,
            suspect="suspect" in note,
        )

    @property
    def usable(self) -> bool:
        """Comparison and suspect figures are kept, never alerted on."""
        return not (self.comparison or self.suspect)

    @property
    def end(self) -> Month:
        return parse_range(self.period)[1]

    @property
    def claims_record(self) -> bool:
        return bool(RECORD_CLAIM.search(self.text)) and not NOT_A_LEVEL.search(self.text)


@dataclass(frozen=True)
class Official:
    """One official vintage of a period."""

    period: str
    value: float
    source: str
    url: str


def reporter(source: str, url: str) -> str:
    """Who made the statement: 'MoITT', 'PID', or, for the press, the outlet's host."""
    if source == "press" or source not in SOURCES:
        return (urlparse(url).hostname or source).removeprefix("www.")
    return SOURCES[source].label


def period_label(period: str) -> str:
    """'April 2024', 'July–April FY24', or 'January 2024 – March 2024'."""
    start, end = parse_range(period)
    if start == end:
        return start.label
    if start == fiscal_year_start(end.fiscal_year):
        return fytd_label(end)
    return f"{start.label} – {end.label}"


def agree(claimed: float, official: float, tolerance: Tolerance) -> bool:
    return abs(claimed - official) <= tolerance.of(claimed) + EPSILON


# -- the rules (pure) ------------------------------------------------------------------------


def on_statement(
    series: str,
    claims: Sequence[Claim],
    *,
    official: Mapping[str, Sequence[Official]],
    known: Mapping[Month, float],
    prior: Sequence[Mapping[str, Any]],
    tolerance: Tolerance,
) -> list[Event]:
    """Events for a new statement: ``reported`` for a month SBP has not published, else
    ``mismatch`` when it contradicts every official vintage of the period.

    ``known`` holds the best monthly values of official sources, the baseline and imports;
    only months after the newest of them are pending (the no-storm rule).
    """
    newest_known = max(known, default=None)
    events: list[Event] = []
    for claim in claims:
        if not claim.usable:
            continue
        vintages = official.get(claim.period, ())
        if vintages:
            if any(agree(claim.value, v.value, tolerance) for v in vintages):
                continue  # SBP's data confirms the statement: nothing to say
            latest = vintages[-1]
            if not _mismatch_known(
                prior, events, claim.period, claim.value, latest.value, tolerance
            ):
                events.append(mismatch(series, claim.period, [claim], latest, tolerance))
            continue
        month = claim.end
        if claim.months != 1 or (newest_known is not None and month <= newest_known):
            continue  # a range, or history that SBP's files never covered: nothing to reconcile
        if claim.published_at and month >= Month.parse(claim.published_at[:7]):
            continue  # a month cannot be reported before it is over: a misread period
        if _reported_known(prior, events, str(month), claim.value, tolerance):
            continue
        events.append(reported(series, claim, known, prior))
    return events


def on_official(
    series: str,
    new: Sequence[Official],
    *,
    newest_known: Month | None,
    claims: Sequence[Claim],
    prior: Sequence[Mapping[str, Any]],
    tolerance: Tolerance,
) -> list[Event]:
    """Events when SBP first publishes a month: ``mismatch`` for every differing statement
    figure of that month (or of the fiscal-year-to-date range ending with it).

    Agreement confirms silently. Only periods ending after ``newest_known`` (the newest
    month known before this release) count, so old statements raise nothing.
    """
    events: list[Event] = []
    for obs in new:
        end = parse_range(obs.period)[1]
        if newest_known is not None and end <= newest_known:
            continue
        differing = [
            c
            for c in claims
            if c.usable and c.period == obs.period and not agree(c.value, obs.value, tolerance)
        ]
        for group in _clusters(differing, tolerance):
            value = group[0].value
            if not _mismatch_known(prior, events, obs.period, value, obs.value, tolerance):
                events.append(mismatch(series, obs.period, group, obs, tolerance))
    return events


def reported(
    series: str, claim: Claim, known: Mapping[Month, float], prior: Sequence[Mapping[str, Any]]
) -> Event:
    month = claim.end
    earlier = [
        (alert.get("facts") or {})
        for alert in prior
        if alert["kind"] == "reported" and alert["period"] == str(month)
    ]
    facts = {
        "month": str(month),
        "value": claim.value,
        "reporter": reporter(claim.source, claim.url),
        "source": claim.source,
        "url": claim.url,
        "doc_title": claim.title or "",
        "published_at": claim.published_at,
        "statement_text": claim.text[:400],
        "claim": record_check(month, claim.value, known, claimed=claim.claims_record),
        "record_claimed": claim.claims_record,
        "earlier_reports": "Earlier: "
        + "; ".join(f"{f.get('reporter')} reported {money(f.get('value'))}" for f in earlier)
        + "."
        if earlier
        else "",
    }
    return Event("reported", series, str(month), facts, discriminator=f"{claim.value:g}")


def mismatch(
    series: str, period: str, claims: Sequence[Claim], official: Official, tolerance: Tolerance
) -> Event:
    end = parse_range(period)[1]
    claim = claims[0]
    names = list(dict.fromkeys(reporter(c.source, c.url) for c in claims))
    facts = {
        "period": period,
        "period_label": period_label(period),
        "reported_value": claim.value,
        "official_value": official.value,
        "difference": official.value - claim.value,
        "tolerance": tolerance.of(claim.value),
        "reporter": " and ".join(names),
        "source": claim.source,
        "statement_url": claim.url,
        "doc_title": claim.title or "",
        "official_source": label(official.source),
        "url": official.url,
    }
    return Event("mismatch", series, str(end), facts, discriminator=f"{period}:{claim.value:g}")


def record_check(month: Month, value: float, known: Mapping[Month, float], *, claimed: bool) -> str:
    """Whether the figure would be an all-time monthly high in our own history, in words."""
    earlier = {m: v for m, v in known.items() if m < month}
    if not earlier:
        return "No earlier months are stored to check a record against." if claimed else ""
    holder = max(earlier, key=lambda m: (earlier[m], m))
    previous = f"{money(earlier[holder])} in {holder.label}"
    if value > earlier[holder] + EPSILON:
        if claimed:
            return f"The statement claims a record; our history agrees (previous high {previous})."
        return f"If SBP confirms it, this is a record (previous high {previous})."
    if claimed:
        return f"The statement claims a record, but our history does not support it: {previous}."
    return ""


# -- dedup against earlier alerts ------------------------------------------------------------


def _facts(alert: Mapping[str, Any] | Event) -> Mapping[str, Any]:
    if isinstance(alert, Event):
        return alert.facts
    return alert.get("facts") or {}


def _reported_known(
    prior: Sequence[Mapping[str, Any]],
    raised: Sequence[Event],
    month: str,
    value: float,
    tolerance: Tolerance,
) -> bool:
    """Another statement already reported this month at this value (MoITT, then PID...)."""
    for alert in [*prior, *raised]:
        kind = alert.kind if isinstance(alert, Event) else alert["kind"]
        period = alert.period if isinstance(alert, Event) else alert["period"]
        facts = _facts(alert)
        if (
            kind == "reported"
            and period == month
            and facts.get("value") is not None
            and agree(value, float(facts["value"]), tolerance)
        ):
            return True
    return False


def _mismatch_known(
    prior: Sequence[Mapping[str, Any]],
    raised: Sequence[Event],
    period: str,
    claimed: float,
    official: float,
    tolerance: Tolerance,
) -> bool:
    for alert in [*prior, *raised]:
        kind = alert.kind if isinstance(alert, Event) else alert["kind"]
        facts = _facts(alert)
        if kind != "mismatch" or facts.get("period") != period:
            continue
        if (
            agree(claimed, float(facts["reported_value"]), tolerance)
            and abs(official - float(facts["official_value"])) <= EPSILON
        ):
            return True
    return False


def _clusters(claims: Iterable[Claim], tolerance: Tolerance) -> list[list[Claim]]:
    """Statement figures grouped by value, so that five outlets repeating one figure
    make one alert."""
    groups: list[list[Claim]] = []
    for claim in sorted(claims, key=lambda c: (c.value, c.release_id)):
        if groups and agree(claim.value, groups[-1][0].value, tolerance):
            groups[-1].append(claim)
        else:
            groups.append([claim])
    return groups
