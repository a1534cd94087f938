"""Calendar and fiscal-year arithmetic on months (Pakistan's fiscal year runs July to June)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

MONTH_ABBR = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_number(name: str) -> int | None:
    """Return 1-12 for an English month name or abbreviation ('Sept' included), else None."""
    key = name.strip().lower().rstrip(".")
    if key == "sept":
        key = "sep"
    for number, (abbr, full) in enumerate(zip(MONTH_ABBR, MONTH_NAMES, strict=True), start=1):
        if key in (abbr, full):
            return number
    return None


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; orders and subtracts like a number of months."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``."""
        return _parse_month(text)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def index(self) -> int:
        """Months since year 0, so that differences are month counts."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def shift(self, months: int) -> Month:
        """Return the month ``months`` later (earlier when negative)."""
        return Month.from_index(self.index + months)

    @property
    def fiscal_year(self) -> int:
        """Fiscal year that ends in June: FY26 = Jul-2025 ... Jun-2026, returned as 2026."""
        return self.year + 1 if self.month >= 7 else self.year

    @property
    def fiscal_month(self) -> int:
        """Position in the fiscal year: July = 1 ... June = 12."""
        return (self.month - 7) % 12 + 1

    @property
    def label(self) -> str:
        """Human label such as 'April 2024'."""
        return f"{MONTH_NAMES[self.month - 1].capitalize()} {self.year}"


def fiscal_year_start(fiscal_year: int) -> Month:
    """July that opens the fiscal year (FY26 -> 2025-07)."""
    return Month(fiscal_year - 1, 7)


def fiscal_year_label(fiscal_year: int) -> str:
    """Short label: 2026 -> 'FY26'."""
    return f"FY{fiscal_year % 100:02d}"


def fytd_range(last: Month) -> tuple[Month, Month]:
    """Fiscal-year-to-date range that ends with ``last``."""
    return fiscal_year_start(last.fiscal_year), last


def format_range(start: Month, end: Month) -> str:
    """Storage form of a period: 'YYYY-MM' for one month, 'YYYY-MM/YYYY-MM' for a range."""
    return str(start) if start == end else f"{start}/{end}"


def parse_range(period: str) -> tuple[Month, Month]:
    """Inverse of :func:`format_range`."""
    first, _, last = period.partition("/")
    start = Month.parse(first)
    return start, Month.parse(last) if last else start


def fiscal_year_from_two_digits(two_digits: int, near: int = 2000) -> int:
    """Expand 'FY26' -> 2026 (century from ``near``)."""
    return near - near % 100 + two_digits


@functools.lru_cache(maxsize=4096)
def _parse_month(text: str) -> Month:
    """``Month.parse``, remembered: the rules parse the same few hundred periods thousands of
    times (a Month is immutable, so sharing one is safe)."""
    match = _PERIOD_RE.match(text.strip())
    if not match:
        raise ValueError(f"not a YYYY-MM period: {text!r}")
    return Month(int(match.group(1)), int(match.group(2)))
