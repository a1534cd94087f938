"""Table-driven tests for the kinds of phrasing that issue 15 names, in English and in Urdu."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import pytest

from itx_scraper.extract import Fact, extract, read

D = date


class F(NamedTuple):
    """Expected fact: period, kind, US$ m or percent, comparator flag and note."""

    start: str
    end: str
    kind: str
    value: float
    cmp: bool = False
    note: str | None = None


def key(fact: Fact) -> F:
    value = fact.usd_million if fact.pct is None else fact.pct
    assert value is not None
    return F(str(fact.start), str(fact.end), fact.kind, round(value, 6), fact.comparison, fact.note)


def M(period: str, value: float, kind: str = "amount", **kw: object) -> F:
    return F(period, period, kind, value, **kw)  # type: ignore[arg-type]


def FY(fy: int, value: float, kind: str = "amount", **kw: object) -> F:
    return F(f"{fy - 1}-07", f"{fy}-06", kind, value, **kw)  # type: ignore[arg-type]


CORRECTED = "period corrected"

COUNTED_MONTHS = [
    pytest.param(
        "During the first eight months of the current fiscal year 2024-25, IT exports reached "
        "$2.45 billion.",
        None,
        [F("2024-07", "2025-02", "amount", 2450)],
        id="first-eight-months-of-current-fy-2024-25",
    ),
    pytest.param(
        "IT exports were $354 million in the first month of the current fiscal year.",
        D(2025, 8, 18),
        [M("2025-07", 354)],
        id="first-month-of-the-current-fiscal-year",
    ),
    pytest.param(
        "IT exports were $354 million in the first month of the current fiscal year.",
        None,
        [],
        id="first-month-of-the-current-fiscal-year-undated",
    ),
    pytest.param(
        "In the first month of FY26, ICT exports stood at $354 million.",
        None,
        [M("2025-07", 354)],
        id="first-month-of-fy26",
    ),
    pytest.param(
        "ICT exports during the twelve months of the fiscal year 2021-22 totalled $2.62 billion.",
        None,
        [FY(2022, 2620)],
        id="twelve-months-of-fiscal-year-2021-22",
    ),
    pytest.param(
        "In the first quarter (1QFY25), IT exports stood at $876 million.",
        None,
        [F("2024-07", "2024-09", "amount", 876)],
        id="first-quarter-1qfy25",
    ),
    pytest.param(
        "9MFY24 ICT exports came in at $2.283bn, up 24% YoY.",
        None,
        [F("2023-07", "2024-03", "amount", 2283), F("2023-07", "2024-03", "yoy_pct", 24)],
        id="9mfy24",
    ),
    pytest.param(
        "IT exports for H1FY25 rose 29% YoY to $1.86bn.",
        None,
        [F("2024-07", "2024-12", "amount", 1860), F("2024-07", "2024-12", "yoy_pct", 29)],
        id="h1fy25",
    ),
    pytest.param(
        "During the first seven months of the outgoing fiscal year, IT exports grew to $2.18bn.",
        D(2025, 2, 18),
        [F("2024-07", "2025-01", "amount", 2180)],
        id="outgoing-fiscal-year",
    ),
    pytest.param(
        "IT exports hit an all-time high of $437 million in December 2025, the first month above "
        "$400 million.",
        D(2026, 1, 19),
        [M("2025-12", 437), M("2025-12", 400, "other")],
        id="first-month-without-a-fiscal-year-is-no-period",
    ),
]

MONTH_RANGES = [
    pytest.param(
        "For the period July 2022 to March 2023, ICT exports were $1.94 billion.",
        None,
        [F("2022-07", "2023-03", "amount", 1940)],
        id="july-2022-to-march-2023",
    ),
    pytest.param(
        "Between July 2023 and February 2024, IT exports stood at $1.97 billion.",
        None,
        [F("2023-07", "2024-02", "amount", 1970)],
        id="between-july-2023-and-february-2024",
    ),
    pytest.param(
        "IT exports during July 2024-January 2025 were $2.18 billion.",
        None,
        [F("2024-07", "2025-01", "amount", 2180)],
        id="july-2024-hyphen-january-2025",
    ),
    pytest.param(
        "Pakistan earned $1.3 billion from IT exports in July 2020 \u2013 February 2021.",
        None,
        [F("2020-07", "2021-02", "amount", 1300)],
        id="en-dash-across-the-year-end",
    ),
    pytest.param(
        "During October-December 2024, IT exports were $982 million.",
        None,
        [F("2024-10", "2024-12", "amount", 982)],
        id="october-december-2024",
    ),
    pytest.param(
        "Over July-January, ICT exports grew 21 percent to $2.55 billion.",
        D(2026, 2, 18),
        [F("2025-07", "2026-01", "amount", 2550), F("2025-07", "2026-01", "yoy_pct", 21)],
        id="sentence-initial-over-is-not-a-comparison",
    ),
]

RELATION_MONTHS = [
    pytest.param(
        "IT exports in September 2023 stood at $206 million against $235 million during the "
        "previous month of August 2023.",
        None,
        [M("2023-09", 206), M("2023-08", 235, cmp=True)],
        id="previous-month-of-august-2023",
    ),
    pytest.param(
        "IT exports rose to $303 million in December 2023, above the earlier peak of $290 million "
        "in June 2023.",
        None,
        [M("2023-12", 303), M("2023-06", 290)],
        id="earlier-peak-in-june-2023",
    ),
    pytest.param(
        "IT exports rose to $310 million in April 2024 from $306 million in the preceding month "
        "of March 2024.",
        None,
        [M("2024-04", 310), M("2024-03", 306, cmp=True)],
        id="preceding-month-of-march-2024",
    ),
    pytest.param(
        "IT exports in January 2025 were $314 million, against $348 million in the previous "
        "month of December 2024.",
        None,
        [M("2025-01", 314), M("2024-12", 348, cmp=True)],
        id="previous-month-across-the-year-end",
    ),
    pytest.param(
        "The figure beat the previous record of $348 million set in December 2024.",
        None,
        [M("2024-12", 348)],
        id="previous-record-set-in-december-2024",
    ),
    pytest.param(
        "IT exports of $366 million in September 2025 compared with $337 million in the "
        "previous month, August.",
        None,
        [M("2025-09", 366), M("2025-08", 337, cmp=True)],
        id="previous-month-comma-august",
    ),
]

DISTANT_PERIODS = [
    pytest.param(
        "Pakistan posted its best-ever monthly IT exports of $371 million, up 9 percent "
        "year-on-year and 4 percent month-on-month, in Sept. 2025.",
        None,
        [M("2025-09", 371), M("2025-09", 9, "yoy_pct"), M("2025-09", 4, "mom_pct")],
        id="issue-example-sept-2025",
    ),
    pytest.param(
        "Exports of IT services reached $337 million, a 13 percent rise over a year ago, in Aug. "
        "2025.",
        None,
        [M("2025-08", 337), M("2025-08", 13, "yoy_pct")],
        id="rise-over-a-year-ago-aug-2025",
    ),
    pytest.param(
        "ICT exports came in at $342 million, up 12 percent from February, in March 2025.",
        None,
        [M("2025-03", 342), M("2025-03", 12, "mom_pct")],
        id="growth-clause-with-its-own-month",
    ),
    pytest.param(
        "IT exports posted $310 million, down 4 percent month-on-month but up 18 percent "
        "year-on-year, in Nov. 2024.",
        None,
        [M("2024-11", 310), M("2024-11", -4, "mom_pct"), M("2024-11", 18, "yoy_pct")],
        id="down-mom-but-up-yoy-nov-2024",
    ),
    pytest.param(
        "IT exports stood at $3.8 billion, the highest ever annual inflow, during FY25.",
        None,
        [FY(2025, 3800)],
        id="apposition-before-fy25",
    ),
    pytest.param(
        "IT exports were $310 million, while inflation was 17 percent in April 2024.",
        None,
        [],
        id="a-clause-break-still-separates",
    ),
]

FISCAL_YEARS = [
    pytest.param(
        "IT exports in fiscal year 2023-24 were $3.22 billion.",
        None,
        [FY(2024, 3220)],
        id="fiscal-year-2023-24",
    ),
    pytest.param(
        "In FY 2021/22, ICT exports were recorded at $2.62 billion.",
        None,
        [FY(2022, 2620)],
        id="fy-2021-slash-22",
    ),
    pytest.param(
        "IT exports during 2022-23 stood at $2.6 billion.", None, [FY(2023, 2600)], id="2022-23"
    ),
    pytest.param(
        "IT exports during the last fiscal year stood at $3.22 billion.",
        D(2024, 7, 18),
        [FY(2024, 3220)],
        id="last-fiscal-year-by-publication-date",
    ),
    pytest.param(
        "IT exports during the last fiscal year stood at $3.22 billion.",
        None,
        [],
        id="last-fiscal-year-without-a-date",
    ),
    pytest.param(
        "ICT exports in the fiscal year ending June 2025 were $3.81 billion.",
        None,
        [FY(2025, 3810)],
        id="fiscal-year-ending-june-2025",
    ),
    pytest.param(
        "Pakistan's ICT exports rose to $3.8 billion during fiscal year 2025.",
        None,
        [FY(2025, 3800)],
        id="fiscal-year-2025",
    ),
    pytest.param(
        "IT exports were $3.2 billion last year, the minister told the Senate.",
        D(2024, 10, 10),
        [],
        id="last-year-is-not-a-fiscal-year",
    ),
]

THRESHOLDS = [
    pytest.param(
        "ICT exports topped $350 million in a single month for the first time in May 2025.",
        None,
        [M("2025-05", 350, "other")],
        id="topping-in-a-single-month",
    ),
    pytest.param(
        "IT exports are close to the $4 billion mark in FY26.",
        None,
        [FY(2026, 4000, "other")],
        id="the-4-billion-mark",
    ),
    pytest.param(
        "IT exports may surpass $3.5 billion in FY25.",
        None,
        [FY(2025, 3500, "projection")],
        id="may-surpass-is-a-projection",
    ),
    pytest.param(
        "IT exports surpassed $3.5 billion in FY25, the ministry said.",
        None,
        [FY(2025, 3500, "other")],
        id="surpassed-is-a-threshold",
    ),
    pytest.param(
        "The country's IT exports exceeded $400 million for the first time in December 2025, "
        "reaching $437 million.",
        None,
        [M("2025-12", 400, "other"), M("2025-12", 437)],
        id="exceeded-then-the-level",
    ),
    pytest.param(
        "ICT exports in October 2025 breached the $380 million barrier.",
        None,
        [M("2025-10", 380, "other")],
        id="breached-the-barrier",
    ),
    pytest.param(
        "IT exports are on course to cross the $4 billion mark in FY26.",
        None,
        [FY(2026, 4000, "projection")],
        id="on-course-to-cross-the-mark",
    ),
    pytest.param(
        "The sector is now eyeing the $4 billion mark in FY26.",
        None,
        [FY(2026, 4000, "target")],
        id="eyeing-the-mark-is-a-target",
    ),
]

INCONSISTENT = [
    pytest.param(
        "IT exports were $1.4 billion in July\u2013February of FY 2022/23, compared with $1.2 "
        "billion in July\u2013February of FY 2022/23.",
        None,
        [
            F("2022-07", "2023-02", "amount", 1400),
            F("2021-07", "2022-02", "amount", 1200, True, CORRECTED),
        ],
        id="issue-example-repeated-fy",
    ),
    pytest.param(
        "During July-March 2024-25, IT exports were $2.83 billion as compared to $2.28 billion "
        "during July-March 2024-25.",
        None,
        [
            F("2024-07", "2025-03", "amount", 2830),
            F("2023-07", "2024-03", "amount", 2280, True, CORRECTED),
        ],
        id="repeated-range",
    ),
    pytest.param(
        "IT exports were $1.443 billion in the first four months of FY26 against $1.208 billion "
        "in the same period of FY26.",
        None,
        [
            F("2025-07", "2025-10", "amount", 1443),
            F("2024-07", "2024-10", "amount", 1208, True, CORRECTED),
        ],
        id="same-period-of-the-same-fy",
    ),
    pytest.param(
        "ICT exports for FY2024 stood at $3.22 billion compared with $2.6 billion in FY2024.",
        None,
        [FY(2024, 3220), FY(2023, 2600, cmp=True, note=CORRECTED)],
        id="repeated-whole-fy",
    ),
    pytest.param(
        "IT exports rose to $1.86 billion in July-December 2024 from $1.46 billion in "
        "July-December 2024.",
        None,
        [
            F("2024-07", "2024-12", "amount", 1860),
            F("2023-07", "2023-12", "amount", 1460, True, CORRECTED),
        ],
        id="from-the-same-range",
    ),
    pytest.param(
        "IT exports in FY24 were $3.2 billion compared with $2.6 billion in FY23.",
        None,
        [FY(2024, 3200), FY(2023, 2600, cmp=True)],
        id="a-consistent-comparison-is-left-alone",
    ),
    pytest.param(
        "IT exports for October 2024 were revised to $324 million from $330 million in October "
        "2024.",
        None,
        [M("2024-10", 324)],
        id="a-revision-is-not-corrected",
    ),
]

URDU = [
    pytest.param(
        "مالی سال 2023-24 میں آئی ٹی برآمدات 3 ارب 45 کروڑ 20 لاکھ ڈالر رہیں۔",
        None,
        [FY(2024, 3452)],
        id="ur-compound-arab-crore-lakh",
    ),
    pytest.param(
        "مالی سال 2023-24 میں آئی ٹی برآمدات ایک ارب تیس کروڑ ڈالر رہیں۔",
        None,
        [FY(2024, 1300)],
        id="ur-compound-in-words",
    ),
    pytest.param(
        "جولائی 2024 میں آئی ٹی برآمدات اکیاسی کروڑ ڈالر رہیں۔",
        None,
        [M("2024-07", 810)],  # a wrong figure in the source stays a figure; suspect says so
        id="ur-eighty-one-crore-in-words",
    ),
    pytest.param(
        "جولائی 2024 میں آئی ٹی برآمدات 31 عشاریہ 5 کروڑ ڈالر رہیں۔",
        None,
        [M("2024-07", 315)],
        id="ur-decimal-word-31-point-5-crore",
    ),
    pytest.param(
        "جنوری 2024 میں آئی ٹی برآمدات 12 عشاریہ 4 کروڑ ڈالر رہیں۔",
        None,
        [M("2024-01", 124)],
        id="ur-decimal-word-12-point-4-crore",
    ),
    pytest.param(
        "رواں مالی سال کے پہلے چار ماہ میں آئی ٹی برآمدات ایک اعشاریہ چار چار ارب ڈالر رہیں۔",
        D(2025, 11, 17),
        [F("2025-07", "2025-10", "amount", 1440)],
        id="ur-decimal-digits-in-words",
    ),
    pytest.param(
        "مالی سال ۲۰۲۴-۲۵ میں آئی ٹی برآمدات ۳٫۸ بلین ڈالر رہیں اور جون میں ۳۳۹ ملین ڈالر۔",  # noqa: RUF001 (Urdu punctuation on purpose)
        None,
        [FY(2025, 3800)],
        id="ur-eastern-digits-and-decimal-separator",
    ),
    pytest.param(
        "مالی سال 2021-22 میں آئی ٹی برآمدات ٢٬٦٢٠ ملین ڈالر رہیں۔",
        None,
        [FY(2022, 2620)],
        id="ur-arabic-indic-digits-and-thousands-separator",
    ),
    pytest.param(
        "جولائی سے ستمبر 2025 تک آئی ٹی برآمدات ایک ارب 5 کروڑ 70 لاکھ ڈالر رہیں۔",
        None,
        [F("2025-07", "2025-09", "amount", 1057)],
        id="ur-range-se-tak",
    ),
    pytest.param(
        "جولائی 2023 سے مارچ 2024 تک آئی ٹی برآمدات 2 ارب 28 کروڑ ڈالر رہیں۔",
        None,
        [F("2023-07", "2024-03", "amount", 2280)],
        id="ur-range-across-the-year-end",
    ),
    pytest.param(
        "رواں مالی سال کے پہلے پانچ ماہ میں آئی ٹی برآمدات ایک ارب 80 کروڑ ڈالر رہیں جو گزشتہ "
        "مالی سال کے اسی عرصے میں ایک ارب 53 کروڑ ڈالر تھیں۔",
        D(2025, 12, 18),
        [
            F("2025-07", "2025-11", "amount", 1800),
            F("2024-07", "2024-11", "amount", 1530, cmp=True),
        ],
        id="ur-first-five-months-and-same-period-last-fy",
    ),
    pytest.param(
        "گزشتہ مالی سال آئی ٹی برآمدات 3 ارب 80 کروڑ ڈالر رہیں۔",
        D(2025, 8, 5),
        [FY(2025, 3800)],
        id="ur-last-fiscal-year",
    ),
    pytest.param(
        "مالی سال 24-2023 میں آئی ٹی برآمدات 3.2 ارب ڈالر رہیں۔",
        None,
        [FY(2024, 3200)],
        id="ur-fiscal-year-typed-right-to-left",
    ),
    pytest.param(
        "مارچ 2025 میں آئی ٹی برآمدات میں 3 کروڑ 70 لاکھ ڈالر کا اضافہ ہوا۔",
        None,
        [M("2025-03", 37, "other")],
        id="ur-amount-then-izafa-is-a-change",
    ),
    pytest.param(
        "جنوری 2024 میں آئی ٹی برآمدات 26 کروڑ 50 لاکھ ڈالر رہیں جو دسمبر کے مقابلے میں 3 کروڑ "
        "80 لاکھ ڈالر کم ہیں۔",
        None,
        [M("2024-01", 265), M("2024-01", 38, "other")],
        id="ur-amount-then-kam-is-a-change",
    ),
    pytest.param(
        "ستمبر 2025 میں آئی ٹی برآمدات میں سالانہ بنیاد پر 25 فیصد اضافہ ہوا۔",
        None,
        [M("2025-09", 25, "yoy_pct")],
        id="ur-growth-percent-izafa",
    ),
    pytest.param(
        "نومبر 2025 میں آئی ٹی برآمدات میں ماہانہ بنیاد پر 8 فیصد کمی ہوئی۔",
        None,
        [M("2025-11", -8, "mom_pct")],
        id="ur-growth-percent-kami",
    ),
    pytest.param(
        "حکومت نے رواں مالی سال کے لیے آئی ٹی برآمدات کا ہدف 5 ارب ڈالر مقرر کیا ہے۔",
        D(2025, 8, 1),
        [FY(2026, 5000, "target")],
        id="ur-target-before-the-amount",
    ),
    pytest.param(
        "مالی سال 2025-26 کے لیے 5 ارب ڈالر کا ہدف رکھا گیا ہے۔",
        None,
        [FY(2026, 5000, "target")],
        id="ur-target-after-the-amount",
    ),
    pytest.param(
        "وزیر نے کہا کہ رواں مالی سال آئی ٹی برآمدات 4 ارب 50 کروڑ ڈالر تک پہنچ جائیں گی۔",
        D(2025, 9, 1),
        [FY(2026, 4500, "projection")],
        id="ur-future-verb-is-a-projection",
    ),
    pytest.param(
        "مالی سال 2024-25 کی پہلی ششماہی میں آئی ٹی برآمدات سوا دو ارب ڈالر رہیں۔",
        None,
        [F("2024-07", "2024-12", "amount", 2250)],
        id="ur-first-half-and-sawa",
    ),
    pytest.param(
        "مالی سال 2024-25 کی تیسری سہ ماہی میں آئی ٹی برآمدات 96 کروڑ 50 لاکھ ڈالر رہیں۔",
        None,
        [F("2025-01", "2025-03", "amount", 965)],
        id="ur-third-quarter",
    ),
    pytest.param(
        "آئی ٹی کے شعبے نے مالی سال 2023-24 میں 862 ارب روپے کمائے۔",
        None,
        [],
        id="ur-rupees",
    ),
    pytest.param(
        "آئی ٹی برآمدات 35 کروڑ 40 لاکھ ڈالر رہیں۔",
        D(2025, 8, 18),
        [],
        id="ur-no-period-no-guess",
    ),
    pytest.param(
        "گزشتہ سال دسمبر میں آئی ٹی برآمدات 34 کروڑ 80 لاکھ ڈالر تھیں۔",
        D(2025, 3, 10),
        [M("2024-12", 348)],
        id="ur-december-last-year",
    ),
    pytest.param(
        "اس سال اسی ماہ آئی ٹی برآمدات میں اسی فیصد اضافہ نہیں ہوا۔",
        None,
        [],
        id="ur-isi-is-that-same-not-eighty-before-a-month",
    ),
]


def check(text: str, published: date | None, expected: list[F]) -> list[Fact]:
    facts = extract(text, published)
    assert sorted(key(f) for f in facts) == sorted(expected)
    return facts


@pytest.mark.parametrize(("text", "published", "expected"), COUNTED_MONTHS)
def test_counted_months_of_a_fiscal_year(
    text: str, published: date | None, expected: list[F]
) -> None:
    check(text, published, expected)


@pytest.mark.parametrize(("text", "published", "expected"), MONTH_RANGES)
def test_month_ranges_across_a_year_end(
    text: str, published: date | None, expected: list[F]
) -> None:
    check(text, published, expected)


@pytest.mark.parametrize(("text", "published", "expected"), RELATION_MONTHS)
def test_month_named_after_a_relation(text: str, published: date | None, expected: list[F]) -> None:
    check(text, published, expected)


@pytest.mark.parametrize(("text", "published", "expected"), DISTANT_PERIODS)
def test_period_after_the_figure_far_away(
    text: str, published: date | None, expected: list[F]
) -> None:
    check(text, published, expected)


@pytest.mark.parametrize(("text", "published", "expected"), FISCAL_YEARS)
def test_fiscal_years_written_out(text: str, published: date | None, expected: list[F]) -> None:
    check(text, published, expected)


@pytest.mark.parametrize(("text", "published", "expected"), THRESHOLDS)
def test_thresholds_are_not_levels(text: str, published: date | None, expected: list[F]) -> None:
    check(text, published, expected)


@pytest.mark.parametrize(("text", "published", "expected"), INCONSISTENT)
def test_inconsistent_comparisons_are_corrected(
    text: str, published: date | None, expected: list[F]
) -> None:
    check(text, published, expected)


@pytest.mark.parametrize(("text", "published", "expected"), URDU)
def test_urdu(text: str, published: date | None, expected: list[F]) -> None:
    facts = check(text, published, expected)
    assert all(f.lang == "ur" for f in facts)


def test_every_kind_has_five_sentences() -> None:
    tables = (
        COUNTED_MONTHS,
        MONTH_RANGES,
        RELATION_MONTHS,
        DISTANT_PERIODS,
        FISCAL_YEARS,
        THRESHOLDS,
        INCONSISTENT,
    )
    assert min(len(table) for table in tables) >= 5
    assert len(URDU) >= 20


def test_english_facts_say_lang_en_and_note_only_when_corrected() -> None:
    (fact,) = extract("IT exports were $310 million in April 2024.")
    assert (fact.lang, fact.note) == ("en", None)
    assert "note" not in fact.to_json() and fact.to_json()["lang"] == "en"
    text = "ICT exports for FY2024 stood at $3.22 billion compared with $2.6 billion in FY2024."
    assert extract(text)[1].to_json()["note"] == CORRECTED


def test_unresolved_months_are_reported_only_without_a_date() -> None:
    text = "IT exports were $310 million in April. In FY24 they were $3.2 billion."
    assert read(text).needs_date == ["April"]
    assert read(text, D(2024, 5, 17)).needs_date == []
    assert read("IT exports in the first quarter of the current fiscal year: $1.06bn").needs_date
    assert read("IT exports were $310 million in April 2024.").needs_date == []
