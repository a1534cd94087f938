"""Render events into titles and bodies: plain text for e-mail, Markdown for chat."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itx_scraper.core.periods import MONTH_NAMES, Month
from itx_scraper.core.sources import ICT

SERIES_NAMES = {ICT: "Pakistan's IT exports", "services": "Pakistan's services exports"}
STATUS_NAMES = {"P": "provisional", "R": "revised", None: "final or unmarked"}

# Default templates; ``[templates.<kind>]`` in the config overrides title, body or markdown.
# Fields are listed in the README; unknown fields render as an empty string.
TEMPLATES: dict[str, dict[str, str]] = {
    "new_month": {
        "title": "{series_name}: {value} in {month_label}",
        "body": (
            "{series_name} {verb} {value} in {month_label} ({status}).\n"
            "Month on month: {mom}. Year on year: {yoy}.\n"
            "{fytd}\n{extras}Source: {url}"
        ),
        "markdown": (
            "**{series_name}: {value} in {month_label}** ({status})\n\n"
            "- Month on month: {mom}\n- Year on year: {yoy}\n- {fytd}\n{extras_md}\n"
            "[Source]({url})"
        ),
    },
    "record": {
        "title": "{record_title}: {series_name} {value} in {month_label}",
        "body": (
            "{series_name} set a {record_name} with {value} in {month_label} "
            "(previous {record_name} {previous_value} in {previous_label}, {margin}). {fytd}\n"
            "Status: {status}. Source: {url}"
        ),
        "markdown": (
            "🏆 **{series_name} set a {record_name} with {value} in {month_label}** "
            "(previous {record_name} {previous_value} in {previous_label}, {margin}).\n\n"
            "{fytd}\n\nStatus: {status}. [Source]({url})"
        ),
    },
    "revision": {
        "title": "Revised: {series_name} for {month_label} {old} → {new}",
        "body": (
            "{series_name} for {month_label} {verb} revised from {old} to {new} "
            "({change}). Status: {status}. Source: {url}"
        ),
        "markdown": (
            "**Revision:** {series_name} for {month_label}: {old} → **{new}** "
            "({change}). [Source]({url})"
        ),
    },
    "record_revoked": {
        "title": "No longer a {record_name}: {month_label}",
        "body": (
            "After a revision, {month_label} ({value}) is no longer a {record_name} for "
            "{series_name}. The {record_name} is now {holder_value} in {holder_label}."
        ),
        "markdown": (
            "**No longer a {record_name}:** {month_label} ({value}). The {record_name} is now "
            "**{holder_value} in {holder_label}**."
        ),
    },
    "threshold": {
        "title": "{series_name} above {threshold} for the first time",
        "body": (
            "{series_name} passed {threshold} for the first time: {value} in {month_label} "
            "({status}). Source: {url}"
        ),
        "markdown": "**First month above {threshold}:** {value} in {month_label}. [Source]({url})",
    },
    "projection": {
        "title": "{series_name} on course for {target} in {fiscal_year}",
        "body": (
            "At the run-rate of {fytd_label} ({fytd_value}), {series_name} would reach "
            "{projection} in {fiscal_year}, above {target}. Source: {url}"
        ),
        "markdown": (
            "**Projection:** {fiscal_year} run-rate {projection} crosses {target} "
            "({fytd_label}: {fytd_value}). [Source]({url})"
        ),
    },
    "reported": {
        "title": "Reported: {series_name} {value} in {month_label} ({reporter})",
        "body": (
            "{reporter} reports {series_name} for {month_label} at {value}; SBP data pending.\n"
            "{notes}Statement: {doc_title}\nSource: {url}"
        ),
        "markdown": (
            "**{reporter} reports {series_name} for {month_label} at {value}**; "
            "SBP data pending.\n\n{notes_md}[{doc_title}]({url})"
        ),
    },
    "mismatch": {
        "title": (
            "Mismatch: {series_name} for {period_label}: {reported_value} ({reporter}) vs "
            "{official_value} ({official_source})"
        ),
        "body": (
            "{reporter} reported {series_name} for {period_label} at {reported_value}, but "
            "{official_source} gives {official_value} (difference {difference}).\n"
            "Statement: {doc_title} {statement_url}\nSBP: {url}"
        ),
        "markdown": (
            "⚠️ **Mismatch for {period_label}:** {reporter} reported {reported_value}, "
            "{official_source} gives **{official_value}** ({difference}).\n\n"
            "[Statement]({statement_url}) · [SBP]({url})"
        ),
    },
}
GENERIC = {"title": "{title}", "body": "{text}", "markdown": "{text}"}


@dataclass(frozen=True)
class Message:
    """A rendered alert."""

    title: str
    body: str
    markdown: str


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def money(value: float | None) -> str:
    """Press style: '$310 million', '$2,593 million', '$413.6 million'."""
    if value is None:
        return "n/a"
    if abs(value - round(value)) < 0.05:
        return f"${value:,.0f} million"
    return f"${value:,.1f} million"


def signed_money(value: float) -> str:
    return ("+" if value >= 0 else "-") + money(abs(value))


def percent(value: float) -> str:
    return f"{value:+.0f}%" if abs(value) >= 10 else f"{value:+.1f}%"


def month_label(period: str | None) -> str:
    return Month.parse(period).label if period else ""


def fytd_label(month: Month) -> str:
    """'July–April FY24'; just 'July FY27' for July."""
    last = MONTH_NAMES[month.month - 1].capitalize()
    fiscal = f"FY{month.fiscal_year % 100:02d}"
    return f"July {fiscal}" if month.month == 7 else f"July–{last} {fiscal}"


MINUS = "\u2212"  # a minus sign (U+2212), not a hyphen, before "$737 million"
_BALANCE_RE = re.compile(r"\bbalance\b", re.IGNORECASE)
# The head noun of "Exports of Goods FOB" or "Workers' Remittances (P)" ends before these.
_HEAD_END_RE = re.compile(r"\s(?:of|in|on|from|for|by|to|at|as)\s|[,(:;]", re.IGNORECASE)


@dataclass(frozen=True)
class Wording:
    """How a series' figures read in a text.

    ``money``: ICT and EBOPS series, US$ as the press prints them ('$310 million').
    ``balance``: a watch whose label says "balance": the sign is a word ('a deficit of $737
    million', 'a surplus of $1,070 million'). ``signed``: any other US$ watch, with a minus sign
    when negative (U+2212 before '$50 million'). ``percent``: a watch of growth rates ('4.5%').
    Percent changes are given only where they mean something: between two positive amounts.
    """

    kind: str = "money"
    record: str = "high"  # which extreme is a record (watches)
    plural: bool = True  # "were" or "was"

    @classmethod
    def of(cls, facts: Mapping[str, Any]) -> Wording:
        if not facts.get("watch"):
            return cls()
        name = str(facts.get("series_name") or "")
        record = str(facts.get("record") or "high")
        if facts.get("unit") == "percent":
            kind = "percent"
        elif _BALANCE_RE.search(f"{facts.get('series_label') or ''} {name}"):
            kind = "balance"
        else:
            kind = "signed"
        return cls(kind, record, is_plural(name))

    @property
    def watch(self) -> bool:
        return self.kind != "money"

    def amount(self, value: float | None) -> str:
        if value is None or self.kind == "money":
            return money(value)
        if self.kind == "percent":
            return f"{MINUS if value < 0 else ''}{abs(value):,.1f}%"
        shown = money(abs(value))
        if shown == money(0):
            return shown
        if self.kind == "balance":
            return f"a {'deficit' if value < 0 else 'surplus'} of {shown}"
        return f"{MINUS if value < 0 else ''}{shown}"

    def change(self, value: float) -> str:
        """A difference: '+$458 million', minus '$20 million', '+0.3 percentage points'."""
        if self.kind == "money":
            return signed_money(value)
        sign = "+" if value >= 0 else MINUS
        if self.kind == "percent":
            return f"{sign}{abs(value):,.1f} percentage points"
        return sign + money(abs(value))

    def ratio(self, old: float | None, new: float | None) -> bool:
        """Whether a percent change from ``old`` to ``new`` means something."""
        if self.kind == "money":
            return True
        return self.kind == "signed" and old is not None and new is not None and old > 0 and new > 0


def is_plural(name: str) -> bool:
    """Whether a series name takes "were": its head noun ends in s ("Workers' Remittances",
    "Exports of Goods"), not in ss, us or is ("Current Account Balance", "Net Inflow")."""
    head = _HEAD_END_RE.split(name, maxsplit=1)[0].split()
    word = head[-1].casefold().strip("'\u2019.") if head else ""
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _change_text(
    change: Mapping[str, float | None] | None, period: str | None, wording: Wording
) -> str:
    if not change or change["old"] is None:
        return "n/a"
    before = f"{wording.amount(change['old'])} in {month_label(period)}"
    if wording.ratio(change["old"], change["new"]) and change["pct"] is not None:
        return f"{percent(change['pct'])} ({before})"
    if wording.watch and change["delta"] is not None:
        return f"{wording.change(change['delta'])} ({before})"
    return "n/a"


def fields(kind: str, series: str, facts: Mapping[str, Any]) -> dict[str, str]:
    """Flat, formatted template fields from an event's facts."""
    wording = Wording.of(facts)
    out = _Fields()
    out["series_name"] = str(
        facts.get("series_name") or SERIES_NAMES.get(series, f"EBOPS {series} exports")
    )
    out["verb"] = "were" if wording.plural else "was"
    low = wording.record == "low"
    out["record_name"] = "record low" if low else "record"
    out["record_title"] = "Record low" if low else "Record"
    out["status"] = STATUS_NAMES.get(facts.get("status"), "unmarked")
    out["url"] = str(facts.get("url") or "")
    month_text = facts.get("month")
    for key in (
        "value",
        "old",
        "new",
        "previous_value",
        "holder_value",
        "projection",
        "target",
        "threshold",
        "reported_value",
        "official_value",
    ):
        if facts.get(key) is not None:
            out[key] = wording.amount(float(facts[key]))
    for key in ("delta", "margin", "difference"):
        if facts.get(key) is not None:
            out[key] = wording.change(float(facts[key]))
    # Reconciliation facts (reconcile.py) that are already text.
    for key in (
        "reporter",
        "claim",
        "earlier_reports",
        "doc_title",
        "statement_url",
        "official_source",
        "period_label",
    ):
        out[key] = str(facts.get(key) or "")
    notes = [out["claim"], out["earlier_reports"]]
    out["notes"] = "".join(f"{line}\n" for line in notes if line)
    out["notes_md"] = "".join(f"{line}\n\n" for line in notes if line)
    if facts.get("pct") is not None and wording.ratio(facts.get("old"), facts.get("new")):
        out["pct"] = percent(float(facts["pct"]))
    out["change"] = ", ".join(text for text in (out["delta"], out["pct"]) if text)
    out["month_label"] = month_label(month_text)
    out["previous_label"] = month_label(facts.get("previous_month"))
    out["holder_label"] = month_label(facts.get("holder"))
    out["fiscal_year"] = str(facts.get("fiscal_year") or "")
    if month_text:
        month = Month.parse(month_text)
        out["mom"] = _change_text(facts.get("mom"), str(month.shift(-1)), wording)
        out["yoy"] = _change_text(facts.get("yoy"), str(month.shift(-12)), wording)
        out["fytd_label"] = fytd_label(month)
        out["fytd"] = _fytd_text(facts.get("fytd"), month, wording)
        fytd = facts.get("fytd") or {}
        out["fytd_value"] = wording.amount(fytd.get("new"))
    extras = _extras(facts, wording)
    out["extras"] = "".join(f"{line}\n" for line in extras)
    out["extras_md"] = "".join(f"- {line}\n" for line in extras)
    out["title"] = str(facts.get("title") or kind)
    out["text"] = str(facts.get("text") or "")
    return out


def _fytd_text(
    fytd: Mapping[str, float | None] | None, month: Month, wording: Wording = Wording()
) -> str:
    """The fiscal year to date against a year earlier; nothing for rates (a sum of rates
    means nothing)."""
    if wording.kind == "percent":
        return ""
    label = fytd_label(month)
    if not fytd or fytd["new"] is None:
        return f"{label}: n/a."
    new = wording.amount(fytd["new"])
    if fytd["old"] is None or fytd["delta"] is None:
        return f"{label}: {new} (no figure for a year earlier)."
    pct = fytd["pct"] if wording.ratio(fytd["old"], fytd["new"]) else None
    if pct is None and not wording.watch:
        return f"{label}: {new} (no figure for a year earlier)."
    shown = f" ({percent(pct)})" if pct is not None else ""
    return (
        f"{label}: {new} vs {wording.amount(fytd['old'])}, {wording.change(fytd['delta'])}{shown}."
    )


def _extras(facts: Mapping[str, Any], wording: Wording = Wording()) -> list[str]:
    best = "Best" if not wording.watch else "Lowest" if wording.record == "low" else "Highest"
    lines = []
    best_month = facts.get("best_calendar_month")
    if best_month:
        lines.append(
            f"{best} {month_label(facts['month']).split()[0]} on record "
            f"(previous {best.casefold()} {wording.amount(best_month['previous_value'])} in "
            f"{month_label(best_month['previous_month'])})."
        )
    best_fytd = facts.get("best_fytd")
    if best_fytd and wording.kind != "percent":
        lines.append(
            f"{best} first {facts.get('fytd_months')} months of a fiscal year "
            f"(previous {best.casefold()} {wording.amount(best_fytd['previous_value'])} in "
            f"{best_fytd['previous_fiscal_year']})."
        )
    return lines


def render(
    kind: str,
    series: str,
    facts: Mapping[str, Any],
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> Message:
    """Render one event with the default templates and any configured overrides."""
    template = {**TEMPLATES.get(kind, GENERIC), **((overrides or {}).get(kind) or {})}
    values = fields(kind, series, facts)
    formatter = string.Formatter()
    parts = {name: formatter.vformat(text, (), values).strip() for name, text in template.items()}
    return Message(parts["title"], parts["body"], parts["markdown"])


def check_overrides(overrides: Mapping[str, Mapping[str, str]]) -> None:
    """Raise ValueError naming the template when a configured override cannot render."""
    sample = {
        "month": "2024-04",
        "value": 310.0,
        "previous_month": "2024-03",
        "previous_value": 306.0,
        "margin": 4.0,
        "status": "P",
    }
    for kind, template in overrides.items():
        try:
            render(kind, ICT, sample, {kind: template})
        except (ValueError, KeyError, IndexError, AttributeError) as exc:
            raise ValueError(f"[templates.{kind}] cannot be rendered: {exc}") from exc
