"""What several parsers share: how labels, blank cells and numbers printed as text are read,
when two printings of one figure disagree, and the plausible ICT range."""

from __future__ import annotations

import re
from typing import Protocol

# US$ m per month: an SBP ICT value outside this means a unit or layout change, not data.
ICT_MONTHLY_BOUNDS = (10.0, 5000.0)

SPACES_RE = re.compile(r"[\s\u00a0\u2007\u202f]+")
# A number printed as text with its spaces taken out: '1207', '-1,207.5' (commas in threes).
_NUMBER_TEXT_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$", re.ASCII)


def normalise_label(text: str) -> str:
    """Fold a row label for matching: NBSP to space, no commas, spaces collapsed, casefolded."""
    return SPACES_RE.sub(" ", text.replace(",", " ")).strip().casefold()


def is_blank(value: object) -> bool:
    """An empty cell: None, or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


def number_text(text: str) -> float | None:
    """A number printed as text (spaces already taken out), or None when it is not one."""
    return float(text.replace(",", "")) if _NUMBER_TEXT_RE.match(text) else None


class Printed(Protocol):
    """A figure as printed in one cell."""

    @property
    def value(self) -> float: ...
    @property
    def cell(self) -> str | None: ...
    @property
    def header(self) -> str | None: ...


def differ(first: float, second: float) -> bool:
    """Two printings of one figure disagree beyond rounding (over 0.01 and 0.1 % of the first)."""
    return abs(first - second) > max(0.01, 0.001 * abs(first))


def disagreement(what: str, kept: Printed, other: Printed) -> str | None:
    """The warning that ``other`` prints the figure of ``kept`` differently; None if they agree."""
    if not differ(kept.value, other.value):
        return None
    return (
        f"{what}: {kept.cell} ({kept.header}) has {kept.value:,.3f} but"
        f" {other.cell} ({other.header}) has {other.value:,.3f}"
    )
