"""Property tests: extraction never raises and only ever names valid periods."""

from __future__ import annotations

import json
import logging
import math
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itx_scraper.extract import KINDS, Fact, extract, read

FRAGMENTS = [
    "IT exports",
    "ICT exports rose",
    " $310 million",
    "US$2.593 billion",
    "$1,438.83 million",
    " in April 2024",
    " in April",
    "July\u2013April FY2023-24",
    "Jul-Apr FY24",
    "10MFY24",
    "9M2022",
    "first ten months of the current fiscal year",
    "July-March 2024-25",
    "during 7MFY25",
    "in the first half (H1) of FY25",
    "FY24",
    "FY2023-24",
    "2023-24",
    "fiscal year 2024-25",
    "Q1FY26",
    "1QFY26",
    "H1FY25",
    "first quarter of the current fiscal year",
    "Sep-25",
    "compared to $2.135 billion in the same period last year",
    "up 21 percent year-on-year",
    "+14% YoY",
    "grew by 11% month-on-month",
    "24pc",
    "an increase of 21%",
    "Rs 86 billion",
    "$5 billion target for FY26",
    "projected to surpass $3 billion",
    "$10 billion by 2029",
    "net exports",
    "trade surplus",
    "IT, ITeS and freelancing $4.6 billion",
    "% of services",
    "اپریل 2024 میں آئی ٹی برآمدات 31 کروڑ ڈالر",
    "2.59 ارب ڈالر",
    "۲۰۲۴",
    "۳۱",
    "لاکھ",
    "مالی سال",
    "گزشتہ سال کے اسی عرصے",
    "جولائی تا اپریل",
    "$1e308 million",
    "$",
    "FY",
    "(",
    ")",
    "-",
    "\u2013",
    ",",
    ".",
    ";",
    "%",
    " ",
    "\n",
    "May",
    "may",
    "Q",
    "H",
    "M",
    "bn",
    "m",
    "b",
    "99999999999999 billion",
    "FY99",
    "FY2099-00",
    "2100-01",
    "1899-1900",
    "Dec-99",
    "CY22",
    "the quarter ended",
    "12 months to June 2024",
    "between July and",
    "from July 2023 to",
    "ISLAMABAD, Nov 17 (APP):",
    "Economic Survey 2024-25",
    "last month",
    "previous month",
    "the first month of",
    "the previous month of August 2023",
    ", up 9 percent year-on-year and 4 percent month-on-month,",
    "in Sept. 2025",
    "the fiscal year ending June 2025",
    "topping $350 million",
    "the $4 billion mark",
    "compared with $1.2 billion in July-February of FY 2022/23",
    "revised",
    "ایک ارب تیس کروڑ ڈالر",
    "اکیاسی کروڑ",
    "31 عشاریہ 5 کروڑ",
    "ایک اعشاریہ چار چار ارب",
    "سوا دو ارب",
    "ڈیڑھ سو",
    "ساڑھے",
    "جولائی سے ستمبر تک",
    "رواں مالی سال کے پہلے پانچ ماہ",
    "گزشتہ مالی سال",
    "مالی سال 24-2023",
    "پہلی سہ ماہی",
    "کا اضافہ",
    "کے مقابلے میں",
    "کا ہدف",
    "جائیں گی",
    "اسی",
    "\u066c",  # the Arabic thousands separator
    "\u066b",  # the Arabic decimal separator
    "٠١٢",
    "ء",
]
DATES = st.one_of(
    st.none(), st.dates(), st.dates(min_value=date(2018, 1, 1), max_value=date(2028, 12, 31))
)
MIXED = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=25).map(
    " ".join
)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Recorder(logging.Handler):
    """Collects records: a sentence skipped after an exception is a bug even when caught."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


RECORDER = Recorder()
logging.getLogger("itx_scraper.extract").addHandler(RECORDER)


def check(facts: list[Fact]) -> None:
    assert not RECORDER.records, RECORDER.records[0].getMessage()
    for f in facts:
        assert f.start <= f.end
        assert 1 <= f.start.month <= 12 and 1 <= f.end.month <= 12
        assert 1990 <= f.start.year <= 2100 and 1990 <= f.end.year <= 2100
        assert f.end.index - f.start.index < 12
        assert f.kind in KINDS
        assert (f.usd_million is None) != (f.pct is None)
        value = f.usd_million if f.pct is None else f.pct
        assert value is not None and math.isfinite(value)
        if f.kind in ("yoy_pct", "mom_pct"):
            assert f.pct is not None
        else:
            assert f.usd_million is not None and f.usd_million >= 0
        assert f.text == f.text.strip()
        json.dumps(f.to_json(), ensure_ascii=False, allow_nan=False)


@FAST
@given(text=st.text(), published=DATES)
def test_arbitrary_text_never_raises(text: str, published: date | None) -> None:
    check(extract(text, published))


@FAST
@given(text=MIXED, published=DATES)
def test_real_fragments_mixed_with_noise(text: str, published: date | None) -> None:
    check(extract(text, published))
    assert len(read(text, published).lines()) == len(extract(text, published))


@FAST
@given(
    prefix=st.text(max_size=20),
    suffix=st.text(max_size=20),
    number=st.one_of(st.integers(min_value=0, max_value=10**30).map(str), st.floats().map(repr)),
    unit=st.sampled_from(["million", "billion", "mn", "bn", "m", "b", "crore", "lakh", "k", ""]),
)
def test_any_number_in_a_money_slot(prefix: str, suffix: str, number: str, unit: str) -> None:
    check(extract(f"{prefix} IT exports were ${number} {unit} in April 2024 {suffix}", None))


def test_pathological_inputs() -> None:
    for text in (
        "",
        " ",
        "\x00",
        "$" * 10_000,
        "FY24 " * 5_000,
        "9" * 5_000 + " million",
        "$1e308 million in April 2024",
        "۲" * 3_000,
        "July-" * 3_000,
        "ایک " * 5_000 + "کروڑ ڈالر",
        "1 " + "عشاریہ " * 3_000 + "کروڑ",
        "۲ دو " * 4_000 + "ارب",
        "جولائی سے " * 2_000 + "مارچ",
        "پہلے " * 4_000 + "5 ماہ",
        "\u0628" * 20_000,
        "$310 million" + ", up 5 percent and 4 percent" * 1_000 + " in April 2024",
        "$310 million, up 5% from March" * 1_000 + " in April 2024",
        "crossed over past " * 1_000 + "$3 billion",
        "24-2023 " * 2_000,
        " " * 20_000 + "$1 million in April 2024",
    ):
        check(extract(text, None))
        check(extract(text, date(2024, 5, 20)))
