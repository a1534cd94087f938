"""Table-driven tests for figures pulled out of press and ministry prose."""

from __future__ import annotations

import json
from datetime import date
from typing import NamedTuple

import pytest

from itx_scraper.core.periods import Month
from itx_scraper.extract import Fact, extract, read


class F(NamedTuple):
    """Expected fact: period, kind, US$ m or percent, comparator flag, suspect flag."""

    start: str
    end: str
    kind: str
    value: float
    cmp: bool = False
    suspect: bool = False


def key(fact: Fact) -> F:
    value = fact.usd_million if fact.pct is None else fact.pct
    assert value is not None
    return F(
        str(fact.start),
        str(fact.end),
        fact.kind,
        round(value, 6),
        fact.comparison,
        fact.suspect is not None,
    )


def M(period: str, value: float, kind: str = "amount", **kw: bool) -> F:
    """A one-month fact."""
    return F(period, period, kind, value, **kw)


def FY(fy: int, value: float, kind: str = "amount", **kw: bool) -> F:
    """A whole fiscal year: FY24 = 2023-07..2024-06."""
    return F(f"{fy - 1}-07", f"{fy}-06", kind, value, **kw)


D = date
ROWS = [
    # ---- monthly figures, explicit years ----------------------------------------------------
    pytest.param(
        "IT exports set record with $310 million in April 2024; July\u2013April $2.593 billion vs "
        "$2.135 billion, +21%",
        D(2024, 5, 20),
        [
            M("2024-04", 310),
            F("2023-07", "2024-04", "amount", 2593),
            F("2022-07", "2023-04", "amount", 2135, cmp=True),
            F("2023-07", "2024-04", "yoy_pct", 21),
        ],
        id="brief-example-dated",
    ),
    pytest.param(
        "IT exports set record with $310 million in April 2024; July\u2013April $2.593 billion vs "
        "$2.135 billion, +21%",
        None,
        [
            M("2024-04", 310),
            F("2023-07", "2024-04", "amount", 2593),
            F("2022-07", "2023-04", "amount", 2135, cmp=True),
            F("2023-07", "2024-04", "yoy_pct", 21),
        ],
        id="brief-example-undated-range-anchored-by-april-2024",
    ),
    pytest.param(
        "Pakistan's IT exports increased by 7 percent year-on-year to $214 million in July 2023, "
        "according to data released by the State Bank of Pakistan.",
        D(2023, 8, 18),
        [M("2023-07", 214), M("2023-07", 7, "yoy_pct")],
        id="propakistani-july-2023",
    ),
    pytest.param(
        "IT exports rose to $303 million in December 2023, the highest ever monthly figure, up 23% "
        "from $246 million in December 2022.",
        None,
        [M("2023-12", 303), M("2023-12", 23, "yoy_pct"), M("2022-12", 246, cmp=True)],
        id="brecorder-dec-2023-record",
    ),
    pytest.param(
        "In April 2024, IT exports were $310 million, compared with $191 million in April 2023, a "
        "growth of 62 percent year-on-year.",
        None,
        [M("2024-04", 310), M("2023-04", 191, cmp=True), M("2024-04", 62, "yoy_pct")],
        id="april-2024-vs-april-2023",
    ),
    pytest.param(
        "ICT exports for March 2024 were recorded at $306 million, the highest ever in a single "
        "month, surpassing the previous record of $303 million set in December 2023.",
        None,
        [M("2024-03", 306), M("2023-12", 303)],
        id="previous-record-named-with-its-month",
    ),
    pytest.param(
        "ICT exports: Sep-25 $366m, up 25.3% YoY",
        None,
        [M("2025-09", 366), M("2025-09", 25.3, "yoy_pct")],
        id="trap-sep-25-is-a-month",
    ),
    pytest.param("IT exports hit $310mn in Apr-24", None, [M("2024-04", 310)], id="mn-and-apr-24"),
    pytest.param(
        "Pakistan's ICT exports were 310 million US dollars in April 2024.",
        None,
        [M("2024-04", 310)],
        id="million-us-dollars",
    ),
    pytest.param(
        "IT exports: $332m in May 2024 vs $236m in May 2023",
        None,
        [M("2024-05", 332), M("2023-05", 236, cmp=True)],
        id="m-unit-vs",
    ),
    pytest.param(
        "IT exports were $354 million in July 2025 compared to $286 million in July 2024, an "
        "increase of 24 percent.",
        None,
        [M("2025-07", 354), M("2024-07", 286, cmp=True), M("2025-07", 24, "yoy_pct")],
        id="an-increase-of-24-percent",
    ),
    pytest.param(
        "In April 2024, IT exports were $310 million, up from $306 million in March 2024 and $191 "
        "million in April 2023.",
        None,
        [M("2024-04", 310), M("2024-03", 306, cmp=True), M("2023-04", 191, cmp=True)],
        id="two-comparators-chained-with-and",
    ),
    pytest.param(
        "ICT exports climbed 17% to $386 million in October 2025 from $330 million a year ago.",
        None,
        [M("2025-10", 386), M("2025-10", 17, "yoy_pct"), M("2024-10", 330, cmp=True)],
        id="from-a-year-ago",
    ),
    pytest.param(
        "IT exports of $298 million in August 2024 were 27% higher than the same month last year.",
        None,
        [M("2024-08", 298), M("2024-08", 27, "yoy_pct")],
        id="same-month-last-year",
    ),
    pytest.param(
        "IT exports hit an all-time high of $437 million in December 2025, the first month above "
        "$400 million.",
        None,
        [M("2025-12", 437), M("2025-12", 400, "other")],
        id="threshold-is-not-a-figure",
    ),
    pytest.param(
        "Jun-25 ICT exports $338m, +14% YoY",
        None,
        [M("2025-06", 338), M("2025-06", 14, "yoy_pct")],
        id="plus-14-yoy",
    ),
    pytest.param(
        "Pakistan's IT exports grew 24pc year-on-year to $354m in July 2025",
        None,
        [M("2025-07", 354), M("2025-07", 24, "yoy_pct")],
        id="24pc",
    ),
    # ---- months that need the publication date ---------------------------------------------
    pytest.param(
        "IT exports clocked in at $354 million in July, up 24pc year-on-year.",
        D(2025, 8, 20),
        [M("2025-07", 354), M("2025-07", 24, "yoy_pct")],
        id="august-article-july-is-new-fiscal-year",
    ),
    pytest.param(
        "IT exports clocked in at $354 million in July, up 24pc year-on-year.",
        None,
        [],
        id="bare-month-without-date-yields-nothing",
    ),
    pytest.param(
        "IT exports in December rose to a record $348 million.",
        D(2025, 1, 17),
        [M("2024-12", 348)],
        id="january-article-december-is-last-year",
    ),
    pytest.param(
        "ISLAMABAD, May 17 (APP): IT exports reached $310 million in April, the ministry said.",
        D(2024, 5, 17),
        [M("2024-04", 310)],
        id="app-dateline-is-not-a-period",
    ),
    pytest.param(
        "ISLAMABAD, May 17 (APP): IT exports reached $310 million in April, the ministry said.",
        None,
        [],
        id="app-dateline-without-year",
    ),
    pytest.param(
        "ICT exports were $310 million in April 2024, up 1.3 percent compared to March.",
        None,
        [M("2024-04", 310), M("2024-04", 1.3, "mom_pct")],
        id="mom-compared-to-march",
    ),
    pytest.param(
        "In November, IT exports declined 8 percent month-on-month.",
        D(2025, 12, 18),
        [M("2025-11", -8, "mom_pct")],
        id="bare-month-mom-decline",
    ),
    pytest.param(
        "IT exports last month were $354 million.",
        D(2025, 8, 20),
        [M("2025-07", 354)],
        id="last-month-means-before-publication",
    ),
    # ---- growth wording --------------------------------------------------------------------
    pytest.param(
        "IT exports grew by 11% month-on-month to $179 million in February 2021.",
        None,
        [M("2021-02", 179), M("2021-02", 11, "mom_pct")],
        id="grew-11-mom",
    ),
    pytest.param(
        "IT exports rose 12% over the previous month to $348 million in December 2024.",
        None,
        [M("2024-12", 348), M("2024-12", 12, "mom_pct")],
        id="over-the-previous-month",
    ),
    pytest.param(
        "Dec-25 ICT exports: $437m (+23% MoM, +26% YoY)",
        None,
        [M("2025-12", 437), M("2025-12", 23, "mom_pct"), M("2025-12", 26, "yoy_pct")],
        id="mom-and-yoy-side-by-side",
    ),
    pytest.param(
        "IT exports fell 3% year-on-year to $195 million in February 2023.",
        None,
        [M("2023-02", 195), M("2023-02", -3, "yoy_pct")],
        id="fell-3-yoy",
    ),
    pytest.param(
        "IT exports declined by 15% month-on-month to $199 million in July 2022.",
        None,
        [M("2022-07", 199), M("2022-07", -15, "mom_pct")],
        id="declined-15-mom",
    ),
    pytest.param(
        "Nov-24 ICT exports $318m, -4% MoM",
        None,
        [M("2024-11", 318), M("2024-11", -4, "mom_pct")],
        id="minus-4-mom",
    ),
    pytest.param(
        "IT exports grew 23.8 percent in 9MFY25.",
        None,
        [F("2024-07", "2025-03", "yoy_pct", 23.8)],
        id="growth-only-9mfy25",
    ),
    pytest.param(
        "ستمبر 2025 میں آئی ٹی برآمدات میں سالانہ بنیاد پر 25 فیصد اضافہ ہوا",
        None,
        [M("2025-09", 25, "yoy_pct")],
        id="urdu-yoy-growth",
    ),
    # ---- fiscal-year-to-date ranges ----------------------------------------------------------
    pytest.param(
        "During the first ten months (July-April) of fiscal year 2023-24, ICT exports stood at "
        "$2.593 billion compared to $2.135 billion in the same period last year, showing a growth "
        "of 21.45 percent.",
        None,
        [
            F("2023-07", "2024-04", "amount", 2593),
            F("2022-07", "2023-04", "amount", 2135, cmp=True),
            F("2023-07", "2024-04", "yoy_pct", 21.45),
        ],
        id="moitt-ten-months-with-range",
    ),
    pytest.param(
        "Jul-Apr FY24 ICT exports: $2.593bn (+21% YoY)",
        None,
        [F("2023-07", "2024-04", "amount", 2593), F("2023-07", "2024-04", "yoy_pct", 21)],
        id="jul-apr-fy24",
    ),
    pytest.param(
        "IT exports during 10MFY24 reached US$2.59 billion.",
        None,
        [F("2023-07", "2024-04", "amount", 2590)],
        id="10mfy24",
    ),
    pytest.param(
        "During 7MFY25, IT exports rose 26% to $2.18 billion.",
        None,
        [F("2024-07", "2025-01", "amount", 2180), F("2024-07", "2025-01", "yoy_pct", 26)],
        id="during-7mfy25",
    ),
    pytest.param(
        "IT exports during the first ten months of the current fiscal year increased to $2.593 "
        "billion.",
        D(2024, 5, 18),
        [F("2023-07", "2024-04", "amount", 2593)],
        id="first-ten-months-current-fy-dated",
    ),
    pytest.param(
        "IT exports during the first ten months of the current fiscal year increased to $2.593 "
        "billion.",
        None,
        [],
        id="first-ten-months-current-fy-undated",
    ),
    pytest.param(
        "Pakistan's IT exports during July-March 2024-25 stood at $2.825 billion against $2.283 "
        "billion in the same period of 2023-24.",
        None,
        [
            F("2024-07", "2025-03", "amount", 2825),
            F("2023-07", "2024-03", "amount", 2283, cmp=True),
        ],
        id="july-march-2024-25-vs-same-period-of-2023-24",
    ),
    pytest.param(
        "ICT exports were $2.593 billion in Jul-Apr FY24 against $2.135 billion in the "
        "corresponding period of FY23.",
        None,
        [
            F("2023-07", "2024-04", "amount", 2593),
            F("2022-07", "2023-04", "amount", 2135, cmp=True),
        ],
        id="corresponding-period-of-fy23",
    ),
    pytest.param(
        "In the first seven months (July-February) of FY2024, IT exports were $1.97 billion.",
        None,
        [F("2023-07", "2024-02", "amount", 1970)],
        id="trap-wrong-month-count-trust-range",
    ),
    pytest.param(
        "ICT exports for Jul-Feb FY26 came in at $2,974 million versus $2,487 million in Jul-Feb "
        "FY25.",
        None,
        [
            F("2025-07", "2026-02", "amount", 2974),
            F("2024-07", "2025-02", "amount", 2487, cmp=True),
        ],
        id="jul-feb-fy26-versus",
    ),
    pytest.param(
        "IT exports in July-April 2024 rose 21% to $2.593 billion.",
        None,
        [F("2023-07", "2024-04", "amount", 2593), F("2023-07", "2024-04", "yoy_pct", 21)],
        id="july-april-2024-year-of-end-month",
    ),
    pytest.param(
        "From July 2023 to April 2024, ICT export remittances totalled $2.593 billion.",
        None,
        [F("2023-07", "2024-04", "amount", 2593)],
        id="july-2023-to-april-2024",
    ),
    pytest.param(
        "Between July and April of the current fiscal year, IT exports were $2.593 billion.",
        D(2024, 5, 18),
        [F("2023-07", "2024-04", "amount", 2593)],
        id="between-july-and-april",
    ),
    pytest.param(
        "ISLAMABAD, Nov 17 (APP): Pakistan's ICT exports during the first four months of current "
        "fiscal year (July-October) witnessed a growth of 19.5 percent, reaching $1.443 billion "
        "compared to $1.208 billion during the same period of last year.",
        D(2025, 11, 17),
        [
            F("2025-07", "2025-10", "yoy_pct", 19.5),
            F("2025-07", "2025-10", "amount", 1443),
            F("2024-07", "2024-10", "amount", 1208, cmp=True),
        ],
        id="app-four-months-current-fy",
    ),
    pytest.param(
        "IT exports were $310 million in April 2024, taking the ten-month total to $2.593 billion.",
        None,
        [M("2024-04", 310), F("2023-07", "2024-04", "amount", 2593)],
        id="ten-month-total-anchored",
    ),
    pytest.param(
        "Exports in March 2024 were $306 million, bringing the cumulative total to $2.283 billion.",
        None,
        [M("2024-03", 306), F("2023-07", "2024-03", "amount", 2283)],
        id="cumulative-total-is-fytd",
    ),
    pytest.param(
        "Over the past 12 months, IT exports totalled $4.1 billion.",
        None,
        [],
        id="trailing-twelve-months-not-a-fiscal-period",
    ),
    # ---- quarters and halves -----------------------------------------------------------------
    pytest.param(
        "In the first half (H1) of FY25, IT exports stood at $1.864 billion, up 29% YoY.",
        None,
        [F("2024-07", "2024-12", "amount", 1864), F("2024-07", "2024-12", "yoy_pct", 29)],
        id="first-half-h1-of-fy25",
    ),
    pytest.param(
        "ICT exports in Q1FY26 reached $1.057 billion.",
        None,
        [F("2025-07", "2025-09", "amount", 1057)],
        id="q1fy26",
    ),
    pytest.param(
        "1QFY26 IT exports were $1,057 million against $876 million in 1QFY25.",
        None,
        [F("2025-07", "2025-09", "amount", 1057), F("2024-07", "2024-09", "amount", 876, cmp=True)],
        id="1qfy26-against-1qfy25",
    ),
    pytest.param(
        "H1FY26 ICT exports hit $2.24 billion.",
        None,
        [F("2025-07", "2025-12", "amount", 2240)],
        id="h1fy26",
    ),
    pytest.param(
        "IT exports in the first quarter of the current fiscal year rose to $1.06 billion.",
        D(2025, 10, 20),
        [F("2025-07", "2025-09", "amount", 1060)],
        id="first-quarter-current-fy",
    ),
    pytest.param(
        "IT exports in the first quarter of the current fiscal year rose to $1.06 billion.",
        None,
        [],
        id="first-quarter-current-fy-undated",
    ),
    pytest.param(
        "In Oct-Dec FY25 (Q2), IT exports were $982 million.",
        None,
        [F("2024-10", "2024-12", "amount", 982)],
        id="oct-dec-with-bracketed-q2",
    ),
    # ---- whole fiscal years -----------------------------------------------------------------
    pytest.param(
        "IT exports reached $3.223 billion in FY24, up 24% from $2.6 billion in FY23.",
        None,
        [FY(2024, 3223), FY(2024, 24, "yoy_pct"), FY(2023, 2600, cmp=True)],
        id="fy24-vs-fy23",
    ),
    pytest.param(
        "ICT exports for fiscal year 2024-25 were $3.8 billion.",
        None,
        [FY(2025, 3800)],
        id="fiscal-year-2024-25",
    ),
    pytest.param(
        "In FY2023-24 IT exports grew 24 percent to $3.22 billion.",
        None,
        [FY(2024, 3220), FY(2024, 24, "yoy_pct")],
        id="fy2023-24",
    ),
    pytest.param(
        "IT export remittances in 2023-24 totalled $3,223 million.",
        None,
        [FY(2024, 3223)],
        id="bare-2023-24",
    ),
    pytest.param(
        "In FY 2023/24 ICT exports were $3,223 million.",
        None,
        [FY(2024, 3223)],
        id="fy-2023-slash-24",
    ),
    pytest.param(
        "IT exports for FY2024 reached $3.2 billion.", None, [FY(2024, 3200)], id="fy2024"
    ),
    pytest.param(
        "ICT exports stood at US$ 1,438.83 million in FY20.",
        None,
        [FY(2020, 1438.83)],
        id="comma-decimal-million",
    ),
    pytest.param("IT exports amounted to USD 2.6bn in FY22.", None, [FY(2022, 2600)], id="usd-bn"),
    pytest.param("ICT exports reached $3.2b in FY24.", None, [FY(2024, 3200)], id="b-unit"),
    pytest.param(
        "IT exports in the last fiscal year were $3.223 billion.",
        D(2024, 8, 1),
        [FY(2024, 3223)],
        id="last-fiscal-year-dated",
    ),
    pytest.param(
        "The country's IT exports rose 24 per cent to $3.2bn in 2023-24 from $2.6bn a year "
        "earlier.",
        None,
        [FY(2024, 24, "yoy_pct"), FY(2024, 3200), FY(2023, 2600, cmp=True)],
        id="dawn-per-cent-a-year-earlier",
    ),
    pytest.param(
        "IT exports crossed over $3 billion in FY24.",
        None,
        [FY(2024, 3000, "other")],
        id="crossed-over-is-a-threshold-not-a-comparison",
    ),
    pytest.param(
        "ICT exports were more than $3.2 billion in FY24.",
        None,
        [FY(2024, 3200)],
        id="more-than-is-not-a-comparison",
    ),
    pytest.param(
        "Exports of telecommunications, computer and information services stood at $3.8 billion "
        "in FY25.",
        None,
        [FY(2025, 3800)],
        id="ebops-label",
    ),
    pytest.param(
        "IT exports of Rs 862 billion ($3.1 billion) in FY24 were a record.",
        None,
        [FY(2024, 3100)],
        id="rupees-with-dollar-conversion",
    ),
    pytest.param(
        "In calendar year 2024, IT exports were $3.6 billion.",
        None,
        [F("2024-01", "2024-12", "amount", 3600)],
        id="calendar-year-2024",
    ),
    pytest.param("IT exports in 2024 were $3.5 billion.", None, [], id="bare-year-is-ambiguous"),
    # ---- traps from sources.md section 7 ----------------------------------------------------
    pytest.param(
        "According to PSEB, IT exports in 9M2022 were $1.95 billion.",
        None,
        [F("2022-01", "2022-09", "amount", 1950)],
        id="trap-9m2022-is-calendar",
    ),
    pytest.param(
        "According to the Pakistan Economic Survey 2024-25, IT exports during the current fiscal "
        "year stood at $2.825 billion.",
        D(2025, 6, 10),
        [F("2024-07", "2025-03", "amount", 2825)],
        id="trap-economic-survey-fiscal-year",
    ),
    pytest.param(
        "The Economic Survey 2023-24 shows ICT exports of $2.283 billion in fiscal year 2024.",
        None,
        [F("2023-07", "2024-03", "amount", 2283)],
        id="trap-economic-survey-fy2024",
    ),
    pytest.param("The sector earned Rs 86 billion in April 2024.", None, [], id="rupees-only"),
    pytest.param(
        "IT exports rose to Rs310 million in April 2024.",
        None,
        [],
        id="trap-rs-printed-for-dollars",
    ),
    pytest.param(
        "IT exports in February 2022 were $20 million.",
        None,
        [M("2022-02", 20, suspect=True)],
        id="trap-typo-20-for-201",
    ),
    pytest.param(
        "IT exports during July-March FY24 stood at $2.283 million.",
        None,
        [F("2023-07", "2024-03", "amount", 2.283, suspect=True)],
        id="trap-billion-printed-as-million",
    ),
    pytest.param("IT exports were $1e308 million in April 2024.", None, [], id="exponent-number"),
    # ---- targets, projections and other aggregates --------------------------------------------
    pytest.param(
        "The government has set a target of $5 billion for IT exports in FY26.",
        None,
        [FY(2026, 5000, "target")],
        id="target-of-5bn-for-fy26",
    ),
    pytest.param(
        "MoITT reiterated its $5 billion target for FY26.",
        None,
        [FY(2026, 5000, "target")],
        id="5bn-target-for-fy26",
    ),
    pytest.param(
        "IT exports are projected to surpass $3 billion this year.",
        None,
        [],
        id="projection-without-period",
    ),
    pytest.param(
        "The minister said the plan is to take IT exports to $10 billion by 2029.",
        None,
        [FY(2029, 10000, "target")],
        id="10bn-by-2029",
    ),
    pytest.param(
        "Topline expects FY25 IT exports of $3.5-3.7 billion.",
        None,
        [FY(2025, 3500, "projection")],
        id="range-is-a-projection",
    ),
    pytest.param(
        "IT exports are set to cross $3.5 billion in FY25.",
        D(2024, 12, 1),
        [FY(2025, 3500, "projection")],
        id="set-to-cross",
    ),
    pytest.param(
        "IT exports in June 2024 are expected at $300 million.",
        D(2024, 6, 5),
        [M("2024-06", 300, "projection")],
        id="expected-month",
    ),
    pytest.param(
        "At the current run rate, exports could reach $4.2 billion in FY26.",
        None,
        [FY(2026, 4200, "projection")],
        id="run-rate",
    ),
    pytest.param(
        "ICT exports in FY27 may surpass $5 billion.",
        None,
        [FY(2027, 5000, "projection")],
        id="fy27-may-surpass",
    ),
    pytest.param(
        "IT exports were $3.8 billion in FY25.",
        D(2025, 3, 1),
        [FY(2025, 3800, "projection")],
        id="unfinished-period-at-publication",
    ),
    pytest.param(
        "Net ICT exports during July-April FY24 were $2.2 billion.",
        None,
        [F("2023-07", "2024-04", "other", 2200)],
        id="net-exports",
    ),
    pytest.param(
        "The ICT sector posted a trade surplus of $2.5 billion in FY24.",
        None,
        [FY(2024, 2500, "other")],
        id="trade-surplus",
    ),
    pytest.param(
        "Exports of IT, ITeS and freelancing services reached $4.6 billion in FY25.",
        None,
        [FY(2025, 4600, "other")],
        id="it-ites-and-freelancing",
    ),
    pytest.param(
        "Total IT exports including freelancers touched $3.8 billion in FY25.",
        None,
        [FY(2025, 3800, "other")],
        id="including-freelancers",
    ),
    pytest.param(
        "Freelancers earned $779 million in FY25.",
        None,
        [FY(2025, 779, "other")],
        id="freelancers-alone",
    ),
    pytest.param(
        "ICT exports made up 45% of services exports in FY25.",
        None,
        [],
        id="share-of-services-exports",
    ),
    pytest.param(
        "IT exports posted a record increase of $458 million in FY24.",
        None,
        [FY(2024, 458, "other")],
        id="record-increase",
    ),
    pytest.param(
        "According to MoITT, ICT exports for May 2024 were $332 million, $22 million more than "
        "April.",
        None,
        [M("2024-05", 332), M("2024-05", 22, "other")],
        id="delta-vs-april",
    ),
    pytest.param(
        "IT exports reached $2.6b in FY22 while imports were $0.5b.",
        None,
        [FY(2022, 2600), FY(2022, 500, "other")],
        id="imports-are-other",
    ),
    pytest.param(
        "Pakistan's services exports rose to $8.45 billion in FY25, of which ICT contributed $3.8 "
        "billion.",
        None,
        [FY(2025, 8450, "other"), FY(2025, 3800)],
        id="services-total-is-other",
    ),
    pytest.param(
        "Net ICT exports rose 15% to $2.2 billion in FY24 compared to $1.9 billion in FY23.",
        None,
        [FY(2024, 2200, "other"), FY(2023, 1900, "other", cmp=True)],
        id="net-growth-dropped-and-comparator-inherits",
    ),
    # ---- Urdu ------------------------------------------------------------------------------
    pytest.param(
        "اپریل 2024 میں آئی ٹی برآمدات 31 کروڑ ڈالر رہیں",
        None,
        [M("2024-04", 310)],
        id="urdu-crore",
    ),
    pytest.param(
        "رواں مالی سال کے پہلے دس ماہ کے دوران آئی ٹی برآمدات 2.59 ارب ڈالر رہیں",
        D(2024, 5, 18),
        [F("2023-07", "2024-04", "amount", 2590)],
        id="urdu-first-ten-months-arab",
    ),
    pytest.param(
        "جولائی تا اپریل مالی سال ۲۰۲۳-۲۴ میں آئی ٹی برآمدات ۲٫۵۹۳ ارب ڈالر رہیں جو گزشتہ سال کے "  # noqa: RUF001 (Urdu punctuation on purpose)
        "اسی عرصے میں ۲٫۱۳۵ ارب ڈالر تھیں",  # noqa: RUF001 (Urdu punctuation on purpose)
        None,
        [
            F("2023-07", "2024-04", "amount", 2593),
            F("2022-07", "2023-04", "amount", 2135, cmp=True),
        ],
        id="urdu-digits-range-and-comparator",
    ),
    pytest.param(
        "دسمبر 2025 میں آئی ٹی برآمدات 437 ملین ڈالر کی ریکارڈ سطح پر پہنچ گئیں",
        None,
        [M("2025-12", 437)],
        id="urdu-million-dollars",
    ),
    pytest.param("آئی ٹی کے شعبے نے 86 ارب روپے کمائے", None, [], id="urdu-rupees"),
    pytest.param(
        "حکومت نے مالی سال 2025-26 کے لیے آئی ٹی برآمدات کا ہدف 5 ارب ڈالر مقرر کیا ہے",
        None,
        [FY(2026, 5000, "target")],
        id="urdu-target",
    ),
    # ---- found while probing beyond the first table ---------------------------------------------
    pytest.param(
        "IT exports in December 2024 stood at $348 million, 12 percent higher than November's $310 "
        "million.",
        None,
        [M("2024-12", 348), M("2024-12", 12, "mom_pct"), M("2024-11", 310, cmp=True)],
        id="bare-comparator-month-read-next-to-explicit-main",
    ),
    pytest.param(
        "Pakistan earned $1.3 billion from IT exports in July-Feb FY2021, up 41pc.",
        None,
        [F("2020-07", "2021-02", "amount", 1300), F("2020-07", "2021-02", "yoy_pct", 41)],
        id="from-is-not-a-comparison-word-here",
    ),
    pytest.param(
        "Exports in the July-March period of FY24 were $2.283 billion.",
        None,
        [F("2023-07", "2024-03", "amount", 2283)],
        id="july-march-period-of-fy24",
    ),
    pytest.param(
        "IT exports were $2.283 billion in the nine months to March 2024.",
        None,
        [F("2023-07", "2024-03", "amount", 2283)],
        id="nine-months-to-march-2024",
    ),
    pytest.param(
        "ICT export remittances for the quarter ended September 2025 were $1.06 billion.",
        None,
        [F("2025-07", "2025-09", "amount", 1060)],
        id="quarter-ended-september-2025",
    ),
    pytest.param(
        "May IT exports rise to $332 million",
        D(2024, 6, 21),
        [M("2024-05", 332)],
        id="may-headline",
    ),
    pytest.param(
        "IT exports may rise to $332 million in May.",
        D(2024, 6, 21),
        [M("2024-05", 332, "projection")],
        id="may-the-verb-makes-a-projection",
    ),
    pytest.param(
        "The IT ministry said exports were $3.2bn in FY24 compared with an annual target of "
        "$3.5bn.",
        None,
        [FY(2024, 3200), FY(2024, 3500, "target")],
        id="target-as-comparator-keeps-the-period",
    ),
    pytest.param(
        "The government has set an IT export target of $3.5 billion for the current fiscal year.",
        D(2024, 5, 20),
        [FY(2024, 3500, "target")],
        id="target-for-the-current-fiscal-year",
    ),
    pytest.param(
        "Inflation rose to 17.3% in April 2024, while the policy rate stood at 22%.",
        D(2024, 5, 20),
        [],
        id="inflation-is-not-export-growth",
    ),
    pytest.param(
        "Remittances rose to $2.8 billion in April 2024.",
        None,
        [M("2024-04", 2800, "other")],
        id="workers-remittances-are-other",
    ),
    pytest.param(
        "IT exports were $3.2bn in FY24; the sector paid Rs 86 billion in taxes compared to 80 "
        "billion last year.",
        None,
        [FY(2024, 3200)],
        id="implied-currency-not-after-rupees",
    ),
    pytest.param(
        "آئی ٹی برآمدات مئی 2024 میں 33 کروڑ 20 لاکھ ڈالر رہیں",
        None,
        [M("2024-05", 332)],
        id="urdu-crore-and-lakh",
    ),
    pytest.param(
        "مالی سال 2024-25 میں آئی ٹی برآمدات 3.8 ارب ڈالر رہیں جو گزشتہ مالی سال کے مقابلے میں 18 "
        "فیصد زیادہ ہیں",
        None,
        [FY(2025, 3800), FY(2025, 18, "yoy_pct")],
        id="urdu-fiscal-year-and-growth",
    ),
    pytest.param(
        "IT exports of $3.2 billion during FY2023-24 showed growth of 24% over $2.6 billion in "
        "FY2022-23",
        None,
        [FY(2024, 3200), FY(2024, 24, "yoy_pct"), FY(2023, 2600, cmp=True)],
        id="growth-over-names-the-comparator",
    ),
    pytest.param(
        "IT exports grew to $3.8bn in FY25 compared to the previous fiscal year's $3.2bn.",
        D(2025, 7, 20),
        [FY(2025, 3800), FY(2024, 3200, cmp=True)],
        id="previous-fiscal-year-relative-to-the-main-figure",
    ),
    pytest.param(
        "IT exports in August 2025 were $337 million, down 5% month-on-month but up 13% "
        "year-on-year.",
        None,
        [M("2025-08", 337), M("2025-08", -5, "mom_pct"), M("2025-08", 13, "yoy_pct")],
        id="down-mom-up-yoy",
    ),
    pytest.param(
        "ICT exports \u2014 $366m (Sep-25) vs $292m (Sep-24)",
        None,
        [M("2025-09", 366), M("2024-09", 292, cmp=True)],
        id="bracketed-months",
    ),
    pytest.param(
        "ICT exports: Oct-24 $330m (+39% YoY), 4MFY25 $1.21bn (+30% YoY)",
        None,
        [
            M("2024-10", 330),
            M("2024-10", 39, "yoy_pct"),
            F("2024-07", "2024-10", "amount", 1210),
            F("2024-07", "2024-10", "yoy_pct", 30),
        ],
        id="list-of-period-amount-pairs",
    ),
    pytest.param(
        "Compared to $259 million in November 2023, IT exports in November 2024 rose to $310 "
        "million.",
        None,
        [M("2023-11", 259, cmp=True), M("2024-11", 310)],
        id="comparison-first",
    ),
    pytest.param("", None, [], id="empty"),
]


@pytest.mark.parametrize(("text", "published", "expected"), ROWS)
def test_extract_table(text: str, published: date | None, expected: list[F]) -> None:
    got = sorted(key(f) for f in extract(text, published))
    assert got == sorted(expected)


def test_table_is_large_enough() -> None:
    assert len(ROWS) >= 80


def test_fact_json_shape() -> None:
    text = "IT exports were $310 million in April 2024, up 62% year-on-year."
    lines = [json.loads(line) for line in read(text, None).lines()]
    assert lines == [
        {
            "start": "2024-04",
            "end": "2024-04",
            "usd_million": 310.0,
            "kind": "amount",
            "text": text,
            "lang": "en",
        },
        {
            "start": "2024-04",
            "end": "2024-04",
            "pct": 62.0,
            "kind": "yoy_pct",
            "text": text,
            "lang": "en",
        },
    ]


def test_json_carries_comparison_and_suspect_only_when_set() -> None:
    text = (
        "IT exports in February 2022 were $20 million, compared to $179 million in February 2021."
    )
    first, second = (json.loads(line) for line in read(text, None).lines())
    assert "comparison" not in first and first["suspect"].startswith("monthly value 20")
    assert second["comparison"] is True and "suspect" not in second


def test_text_is_the_sentence() -> None:
    text = "Intro line without figures.  ICT exports hit $437m in Dec-25.\nNext line: nothing."
    (fact,) = extract(text)
    assert fact.text == "ICT exports hit $437m in Dec-25."
    assert (fact.start, fact.end) == (Month(2025, 12), Month(2025, 12))


def test_urdu_text_keeps_original_script() -> None:
    (fact,) = extract("اپریل 2024 میں آئی ٹی برآمدات 31 کروڑ ڈالر رہیں۔ شکریہ")
    assert fact.text == "اپریل 2024 میں آئی ٹی برآمدات 31 کروڑ ڈالر رہیں۔"
