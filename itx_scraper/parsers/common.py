"""What several parsers share: how row labels are matched and the plausible ICT range."""

from __future__ import annotations

import re

# US$ m per month: an SBP ICT value outside this means a unit or layout change, not data.
ICT_MONTHLY_BOUNDS = (10.0, 5000.0)

_SPACES_RE = re.compile(r"[\s\u00a0\u2007\u202f]+")


def normalise_label(text: str) -> str:
    """Fold a row label for matching: NBSP to space, no commas, spaces collapsed, casefolded."""
    return _SPACES_RE.sub(" ", text.replace(",", " ")).strip().casefold()
