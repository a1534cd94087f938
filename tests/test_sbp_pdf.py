"""Tests for the ExportsImports-Goods.pdf parser, on PDFs written by sbp_pdf_builder."""

from __future__ import annotations

import random

import pytest
from sbp_pdf_builder import build_headline_pdf

from itx_scraper.core.errors import LayoutError, NotADocumentError, ParseError
from itx_scraper.core.periods import Month
from itx_scraper.items import Observation
from itx_scraper.parsers.sbp_pdf import HeadlineRelease, parse_headline_pdf

JUN26 = Month(2026, 6)
JUL26 = Month(2026, 7)

# sources.md §3, Jun-2026 release (US$ m); services FY24 from the BPM6 summary (§4)
REF_ICT = {Month(2025, 6): 339, Month(2026, 5): 373, JUN26: 416}
REF_ICT_YTD = {2024: 3223, 2025: 3814, 2026: 4600}
REF_SERVICES = {Month(2025, 6): 698, Month(2026, 5): 838, JUN26: 956}
REF_SERVICES_YTD = {2024: 7689, 2025: 8450, 2026: 10034}
# middle months, made up (only needed when the layout has middle columns)
MIDDLE_ICT = {Month(2026, 2): 364, Month(2026, 3): 414, Month(2026, 4): 380}
MIDDLE_SERVICES = {Month(2026, 2): 800, Month(2026, 3): 903, Month(2026, 4): 850}

EXPECTED_JUN26 = {
    ("9", "2023-07/2024-06"): 3223,
    ("9", "2025-06"): 339,
    ("9", "2026-05"): 373,
    ("9", "2026-06"): 416,
    ("9", "2024-07/2025-06"): 3814,
    ("9", "2025-07/2026-06"): 4600,
    ("services", "2023-07/2024-06"): 7689,
    ("services", "2025-06"): 698,
    ("services", "2026-05"): 838,
    ("services", "2026-06"): 956,
    ("services", "2024-07/2025-06"): 8450,
    ("services", "2025-07/2026-06"): 10034,
}


def june_pdf(**kwargs: object) -> bytes:
    options: dict[str, object] = {
        "ytd": REF_ICT_YTD,
        "services_ytd": REF_SERVICES_YTD,
        "middle_columns": 0,
    }
    options.update(kwargs)
    return build_headline_pdf(
        JUN26,
        {**MIDDLE_ICT, **REF_ICT},
        {**MIDDLE_SERVICES, **REF_SERVICES},
        **options,  # type: ignore[arg-type]
    )


def by_key(release: HeadlineRelease) -> dict[tuple[str, str], Observation]:
    keys = [(f.series, f.period) for f in release.observations]
    assert len(keys) == len(set(keys)), "duplicate (series, period)"
    return {(f.series, f.period): f for f in release.observations}


def values(release: HeadlineRelease) -> dict[tuple[str, str], float]:
    return {key: f.value for key, f in by_key(release).items()}


# --- good layouts ----------------------------------------------------------------------------


def test_june_2026_reference_figures() -> None:
    release = parse_headline_pdf(june_pdf())

    assert release.latest_month == JUN26
    assert values(release) == EXPECTED_JUN26
    full_fy = by_key(release)[("9", "2023-07/2024-06")]
    assert (full_fy.start, full_fy.end) == (Month(2023, 7), Month(2024, 6))
    assert full_fy.header == "Jul-Jun FY24"
    ytd = by_key(release)[("9", "2025-07/2026-06")]
    assert (ytd.start, ytd.end, ytd.header) == (Month(2025, 7), JUN26, "Jul-Jun FY26")
    latest = by_key(release)[("9", "2026-06")]
    assert latest.start == latest.end == JUN26
    assert latest.label == "9. Telecommunications, Computer, and Information Services"
    assert latest.location == (
        'page 1, row "9. Telecommunications, Computer, and Information Services", column "Jun FY26"'
    )
    assert by_key(release)[("services", "2025-06")].header == "Jun FY25"
    assert all(f.flow == "credit" and f.status is None for f in release.observations)
    assert all(isinstance(f.value, float) for f in release.observations)


@pytest.mark.parametrize("merged", [True, False], ids=["merged-ytd-label", "two-ytd-labels"])
def test_june_2026_ytd_label_merged_or_not(merged: bool) -> None:
    release = parse_headline_pdf(june_pdf(merged_ytd_label=merged, extra_rows=merged))
    assert values(release) == EXPECTED_JUN26


@pytest.mark.parametrize("merged", [True, False], ids=["merged-ytd-label", "two-ytd-labels"])
def test_july_2026_rollover(merged: bool) -> None:
    ict = {Month(2025, 7): 354, Month(2026, 4): 380, Month(2026, 5): 373, JUN26: 416, JUL26: 417}
    body = build_headline_pdf(JUL26, ict, ytd={2025: 3814}, merged_ytd_label=merged)

    release = parse_headline_pdf(body)

    assert release.latest_month == JUL26
    got = by_key(release)
    ict_values = {period: f.value for (series, period), f in got.items() if series == "9"}
    assert ict_values == {
        "2024-07/2025-06": 3814,  # full FY25
        "2025-07": 354,  # Jul FY26, also the prior-FY YTD 'Jul FY26'
        "2026-04": 380,
        "2026-05": 373,
        "2026-06": 416,  # Jun FY26
        "2026-07": 417,  # Jul FY27, also the current-FY YTD 'Jul FY27' = 2026-07..2026-07
    }
    assert (got[("9", "2026-07")].start, got[("9", "2026-07")].end) == (JUL26, JUL26)
    assert got[("9", "2026-07")].header == "Jul FY27"
    assert got[("9", "2025-07")].header == "Jul FY26"
    assert {p for s, p in got if s == "services"} == set(ict_values)


@pytest.mark.parametrize(
    ("middle", "extra_months"),
    [
        pytest.param(0, [], id="no-middle-columns"),
        pytest.param(2, ["2026-03", "2026-04"], id="two-middle-columns"),
        pytest.param(3, ["2026-02", "2026-03", "2026-04"], id="three-middle-columns"),
    ],
)
def test_middle_columns(middle: int, extra_months: list[str]) -> None:
    release = parse_headline_pdf(june_pdf(middle_columns=middle))

    got = values(release)
    for period in extra_months:
        month = Month.parse(period)
        assert got.pop(("9", period)) == MIDDLE_ICT[month]
        assert got.pop(("services", period)) == MIDDLE_SERVICES[month]
    assert got == EXPECTED_JUN26


def test_unknown_middle_column_is_ignored() -> None:
    ict = {**MIDDLE_ICT, **REF_ICT, Month(2026, 1): 390}
    body = build_headline_pdf(JUN26, ict, ytd=REF_ICT_YTD, quarter_column=True, middle_columns=1)

    release = parse_headline_pdf(body)

    assert "Jan-Mar FY26" not in {f.header for f in release.observations}
    assert values(release)[("9", "2026-04")] == 380


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("9. Telecommunications Computer and Information Services", id="no-commas"),
        pytest.param("9.\u00a0Telecommunications, Computer and information services", id="nbsp"),
        pytest.param("9.  Telecommunications,Computer,and  Information Services", id="tight"),
        pytest.param("9. Telecommunication, Computer & Information Services", id="singular"),
        pytest.param("9. Telecommunications, Computer, and\nInformation Services", id="wrapped"),
    ],
)
def test_ict_label_variants(label: str) -> None:
    release = parse_headline_pdf(june_pdf(ict_label=label))
    assert values(release) == EXPECTED_JUN26


def test_services_label_variant() -> None:
    release = parse_headline_pdf(june_pdf(services_label="2.\u00a0Exports of services"))
    assert values(release) == EXPECTED_JUN26


def test_status_markers_on_fiscal_year_header() -> None:
    body = june_pdf(markers={"Jun FY26": "P", "May FY26": "R", "Jul-Jun FY26": "P"})

    got = by_key(parse_headline_pdf(body))

    assert got[("9", "2026-06")].status == "P"
    assert got[("services", "2026-05")].status == "R"
    assert got[("9", "2025-07/2026-06")].status == "P"
    assert got[("9", "2025-06")].status is None
    assert got[("9", "2026-06")].header == "Jun FY26"  # marker not part of the header


@pytest.mark.parametrize("style", ["parens", "minus"])
def test_negative_values(style: str) -> None:
    services = {**MIDDLE_SERVICES, **REF_SERVICES, Month(2026, 5): -12}
    body = build_headline_pdf(
        JUN26,
        {**MIDDLE_ICT, **REF_ICT},
        services,
        ytd=REF_ICT_YTD,
        services_ytd=REF_SERVICES_YTD,
        negative_style=style,
    )
    assert values(parse_headline_pdf(body))[("services", "2026-05")] == -12


def test_value_markers_and_decimals() -> None:
    body = june_pdf(cell_text={("ict", "Jun FY26"): "416 (P)", ("services", "Jun FY26"): "955.8"})
    got = by_key(parse_headline_pdf(body))
    assert (got[("9", "2026-06")].value, got[("9", "2026-06")].status) == (416, "P")
    assert got[("services", "2026-06")].value == 955.8


# --- bad inputs ------------------------------------------------------------------------------

HTML = b"<!DOCTYPE html>\n<html><head><title>State Bank of Pakistan</title></head>" + b" " * 6000


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        pytest.param(b"", NotADocumentError, "empty body", id="empty"),
        pytest.param(
            random.Random(7).randbytes(8000), NotADocumentError, "not a PDF", id="random-bytes"
        ),
        pytest.param(HTML, NotADocumentError, "HTML page", id="html"),
        pytest.param(b"\n\n<html><body>moved</body></html>", NotADocumentError, "HTML", id="html2"),
        pytest.param(
            b"%PDF-1.4\n" + random.Random(3).randbytes(6000) + b"\n%%EOF\n",
            NotADocumentError,
            "PDF could not be read",
            id="pdf-header-garbage-body",
        ),
    ],
)
def test_not_a_document(body: bytes, error: type[ParseError], message: str) -> None:
    with pytest.raises(error, match=message) as info:
        parse_headline_pdf(body)
    assert "\n" not in str(info.value)


def test_truncated_pdf() -> None:
    body = june_pdf()
    for cut in (len(body) // 2, len(body) - 30, 200):
        with pytest.raises(NotADocumentError, match="truncated PDF"):
            parse_headline_pdf(body[:cut])


def test_damaged_pdf_with_intact_trailer() -> None:
    body = june_pdf()
    with pytest.raises(NotADocumentError, match="could not be read"):
        parse_headline_pdf(body[:600] + body[-200:])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"ict_label": None},
            r"row '9\. Telecommunications, Computer, and Information Services' not found",
            id="ict-row-missing",
        ),
        pytest.param(
            {"services_label": None},
            r"row '2\. Exports of Services' not found",
            id="services-row-missing",
        ),
        pytest.param(
            {"ict_label": "9.1 Telecommunications services"},
            r"row '9\. Telecommunications.*not found",
            id="only-sub-row",
        ),
        pytest.param({"fy_header": False}, "no fiscal-year header line", id="no-fy-header"),
        pytest.param(
            {"cell_text": {("ict", "Jun FY26"): "n/a"}},
            r'non-numeric value \'n/a\' at page 1, row "9\. Tele.*", column "Jun FY26"',
            id="text-in-ict-cell",
        ),
        pytest.param(
            {"cell_text": {("services", "Jul-Jun FY25"): "8,45O"}},
            r"non-numeric value '8,45O' at page 1, "
            r'row "2\. Exports of Services", column "Jul-Jun FY25"',
            id="letter-o-in-services-cell",
        ),
        pytest.param(
            {"cell_text": {("ict", "May FY26"): "-"}},
            r"non-numeric value '-'.*May FY26",
            id="dash-in-cell",
        ),
        pytest.param(
            {"cell_text": {("ict", "May FY26"): ""}},
            r'no value at page 1, row "9\. Tele.*", column "May FY26"',
            id="empty-cell",
        ),
        pytest.param(
            {"cell_text": {("ict", "Jun FY26"): "416,000"}},
            r"ICT value 416,000 for 2026-06 .* outside the plausible 10-5,000 US\$ m",
            id="ict-in-thousands",
        ),
        pytest.param(
            {"cell_text": {("ict", "May FY26"): "4"}},
            "outside the plausible",
            id="ict-too-small",
        ),
    ],
)
def test_layout_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(LayoutError, match=message) as info:
        parse_headline_pdf(june_pdf(**kwargs))
    assert "\n" not in str(info.value)


def test_ict_row_twice_is_ambiguous() -> None:
    body = june_pdf(services_label="9. Telecommunications, Computer and Information Services")
    with pytest.raises(LayoutError, match=r"found 2 times"):
        parse_headline_pdf(body)


def test_mutated_bytes_raise_only_parse_errors() -> None:
    body = june_pdf(middle_columns=2)
    rng = random.Random(20260720)
    outcomes: set[str] = set()
    messages: list[str] = []
    for _ in range(150):
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try:
            parse_headline_pdf(bytes(mutated))
        except ParseError as exc:  # anything else fails the test
            outcomes.add(type(exc).__name__)
            messages.append(str(exc))
        else:
            outcomes.add("ok")
    assert {"NotADocumentError", "LayoutError"} <= outcomes
    assert not [m for m in messages if "\n" in m]
