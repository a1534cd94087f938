"""Tests for the dt.xls EBOPS parser and the byte sniffer it runs first."""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import zipfile
from pathlib import Path

import pytest
from sbp_workbook import (
    DEBIT_SHARE,
    FIRST_DATA_ROW,
    ICT_LABEL,
    LABELS,
    SERVICES_SHARE_OF_ICT,
    build_dt,
    dt_grid,
    expected_ict,
    published_ict,
    write,
)

from itx_scraper.core.errors import LayoutError, NotADocumentError, ParseError, TooLargeError
from itx_scraper.core.periods import Month
from itx_scraper.parsers.ebops import (
    EbopsWorkbook,
    Observation,
    normalise_label,
    parse_ebops,
    parse_period_header,
    row_code,
)
from itx_scraper.parsers.sniff import check_zip_bomb, detect_format, require_format

SBP_DIR = Path(__file__).parents[1].parent / "shared" / "data" / "sbp"
MAR26 = Month(2026, 3)
ICT_ROW = FIRST_DATA_ROW + 1 + LABELS.index(ICT_LABEL)  # 0-based; Excel row 59
HTML_HOME = (
    b"\xef\xbb\xbf\r\n<!DOCTYPE html>\n<html lang='en'><head><title>State Bank of Pakistan"
    b"</title></head><body>" + b"<p>Welcome</p>" * 300 + b"</body></html>"
)


def obs(book: EbopsWorkbook, series: str, flow: str, period: str) -> Observation:
    found = book.find(series, flow, period)
    assert found is not None, (series, flow, period)
    return found


@pytest.fixture(scope="module")
def ict() -> dict[Month, float]:
    return published_ict()


# ---------------------------------------------------------------- period headers


@pytest.mark.parametrize(
    ("value", "period", "status", "fytd"),
    [
        pytest.param("Mar-26 (P)", "2026-03", "P", False, id="month-provisional"),
        pytest.param("Feb-26 (R)", "2026-02", "R", False, id="month-revised"),
        pytest.param("Mar-25", "2025-03", None, False, id="month-no-marker"),
        pytest.param(" Mar-26  (P) ", "2026-03", "P", False, id="month-odd-spaces"),
        pytest.param("Mar-26\u00a0(P)", "2026-03", "P", False, id="month-nbsp"),
        pytest.param("Mar-26(P)", "2026-03", "P", False, id="month-no-space"),
        pytest.param("Mar - 26 ( p )", "2026-03", "P", False, id="month-spaced-lowercase"),
        pytest.param("Sep-25 (R)", "2025-09", "R", False, id="month-sep"),
        pytest.param("Jul-25 (R)", "2025-07", "R", False, id="july-release-year-ago"),
        pytest.param("Jun-26 (R)", "2026-06", "R", False, id="july-release-previous"),
        pytest.param(dt.date(2025, 2, 28), "2025-02", None, False, id="date-cell"),
        pytest.param(dt.datetime(2025, 5, 31), "2025-05", None, False, id="datetime-cell"),
        pytest.param("Jul-Mar, FY26 (P)", "2025-07/2026-03", "P", True, id="fytd-current"),
        pytest.param("Jul-Mar, FY25 (R)", "2024-07/2025-03", "R", True, id="fytd-prior-revised"),
        pytest.param("Jul-Feb, FY25", "2024-07/2025-02", None, True, id="fytd-no-marker"),
        pytest.param("Jul-Dec,FY26", "2025-07/2025-12", None, True, id="fytd-no-space"),
        pytest.param("Jul-Jun, FY26 (P)", "2025-07/2026-06", "P", True, id="fytd-full-year"),
        pytest.param("Jul, FY27 (P)", "2026-07", "P", True, id="fytd-july-rollover-current"),
        pytest.param("Jul, FY26", "2025-07", None, True, id="fytd-july-rollover-prior"),
        pytest.param(
            "Jul-May,\u00a0 FY26  (P)", "2025-07/2026-05", "P", True, id="fytd-odd-spaces"
        ),
    ],
)
def test_period_header_classification(
    value: object, period: str, status: str | None, fytd: bool
) -> None:
    header = parse_period_header(value)
    assert header is not None
    assert (
        str(header.start) if header.start == header.end else f"{header.start}/{header.end}",
        header.status,
        header.fytd,
    ) == (period, status, fytd)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Trade in Services", id="title"),
        pytest.param("Mzz-26 (P)", id="bad-month"),
        pytest.param("Mar-2026 (P)", id="four-digit-year"),
        pytest.param("Mar-26 (X)", id="bad-marker"),
        pytest.param("Jul-Foo, FY26", id="bad-fytd-month"),
        pytest.param("Jan-Mar, FY26", id="fytd-not-from-july"),
        pytest.param("(Amount in Thousand US$)", id="unit-text"),
        pytest.param("", id="empty"),
        pytest.param(45716.0, id="serial-number-not-date"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="none"),
    ],
)
def test_unreadable_period_headers(value: object) -> None:
    assert parse_period_header(value) is None


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("label", "normalised", "code"),
    [
        pytest.param(
            "9.\u00a0Telecommunications, Computer and information services",
            "9. telecommunications computer and information services",
            "9",
            id="ict-nbsp",
        ),
        pytest.param(
            "9.1   Telecommunications services",
            "9.1 telecommunications services",
            "9.1",
            id="three-spaces",
        ),
        pytest.param(
            "9.1.2 Telecommunication services ",
            "9.1.2 telecommunication services",
            "9.1.2",
            id="trailing-space",
        ),
        pytest.param("9.2\u00a0Computer services", "9.2 computer services", "9.2", id="nbsp"),
        pytest.param("12.3\u00a0\u00a0Other", "12.3 other", "12.3", id="double-nbsp"),
        pytest.param(
            "10.3.5   Other Freelance Services",
            "10.3.5 other freelance services",
            "10.3.5",
            id="freelance",
        ),
        pytest.param("5. Construction ", "5. construction", "5", id="top-level-trailing"),
        pytest.param("9.Telecommunications", "9.telecommunications", "9", id="no-space"),
        pytest.param("Services", "services", "services", id="services"),
        pytest.param(" SERVICES\u00a0", "services", "services", id="services-shouting"),
        pytest.param("Trade in Services", "trade in services", None, id="title"),
        pytest.param("Notes:", "notes:", None, id="notes"),
        pytest.param(
            "R' for revised, 'P' for provisional, 'N/A' for Not Available",
            "r' for revised 'p' for provisional 'n/a' for not available",
            None,
            id="legend",
        ),
    ],
)
def test_label_normalisation(label: str, normalised: str, code: str | None) -> None:
    assert normalise_label(label) == normalised
    assert row_code(label) == code


# ---------------------------------------------------------------- the real SBP files


@pytest.fixture(scope="module")
def real() -> dict[str, EbopsWorkbook]:
    if not SBP_DIR.is_dir():
        pytest.skip(f"real SBP files not available ({SBP_DIR} is absent)")
    return {
        vintage: parse_ebops((SBP_DIR / f"dt-{vintage}.xls").read_bytes())
        for vintage in ("2026-02", "2026-03")
    }


@pytest.mark.parametrize(
    ("vintage", "series", "flow", "period", "value", "status", "header"),
    [
        pytest.param(
            "2026-03", "9", "credit", "2026-03", 413.62, "P", "Mar-26 (P)", id="ict-mar26"
        ),
        pytest.param("2026-03", "9", "debit", "2026-03", 53.16, "P", "Mar-26 (P)", id="ict-debit"),
        pytest.param("2026-03", "9", "net", "2026-03", 360.46, "P", "Mar-26 (P)", id="ict-net"),
        pytest.param(
            "2026-03", "9", "credit", "2026-02", 363.81, "R", "Feb-26 (R)", id="ict-feb-r"
        ),
        pytest.param("2026-03", "9", "credit", "2025-03", 344.93, "R", "Mar-25 (R)", id="year-ago"),
        pytest.param(
            "2026-03",
            "9",
            "credit",
            "2025-07/2026-03",
            3387.92,
            "P",
            "Jul-Mar, FY26 (P)",
            id="fytd-fy26",
        ),
        pytest.param(
            "2026-03",
            "9",
            "credit",
            "2024-07/2025-03",
            2833.53,
            "R",
            "Jul-Mar, FY25 (R)",
            id="fytd-fy25-revised",
        ),
        pytest.param("2026-03", "9.1", "credit", "2026-03", 54.17, "P", "Mar-26 (P)", id="9.1"),
        pytest.param("2026-03", "9.2", "credit", "2026-03", 359.01, "P", "Mar-26 (P)", id="9.2"),
        pytest.param(
            "2026-03", "9.2.5", "credit", "2026-03", 112.98, "P", "Mar-26 (P)", id="freelance-ict"
        ),
        pytest.param(
            "2026-03", "10.3.5", "credit", "2026-03", 57.99, "P", "Mar-26 (P)", id="freelance-other"
        ),
        pytest.param(
            "2026-03",
            "services",
            "credit",
            "2026-03",
            902.91,
            "P",
            "Mar-26 (P)",
            id="services-mar26",
        ),
        pytest.param(
            "2026-03",
            "services",
            "credit",
            "2026-02",
            800.21,
            "R",
            "Feb-26 (R)",
            id="services-feb26-revised",
        ),
        pytest.param("2026-02", "9", "credit", "2026-02", 363.81, "P", "Feb-26 (P)", id="feb-p"),
        pytest.param("2026-02", "9", "credit", "2026-01", 373.53, "R", "Jan-26 (R)", id="jan-r"),
        pytest.param(
            "2026-02", "9", "credit", "2025-02", 306.29, None, "2025-02-28", id="date-cell-year-ago"
        ),
        pytest.param(
            "2026-02",
            "9",
            "credit",
            "2024-07/2025-02",
            2486.62,
            None,
            "Jul-Feb, FY25",
            id="fytd-unmarked",
        ),
        pytest.param(
            "2026-02",
            "9",
            "credit",
            "2025-07/2026-02",
            2974.29,
            "P",
            "Jul-Feb, FY26 (P)",
            id="fytd-feb",
        ),
        pytest.param(
            "2026-02",
            "services",
            "credit",
            "2026-02",
            812.25,
            "P",
            "Feb-26 (P)",
            id="services-feb26-provisional",
        ),
    ],
)
def test_real_release_values(
    real: dict[str, EbopsWorkbook],
    vintage: str,
    series: str,
    flow: str,
    period: str,
    value: float,
    status: str | None,
    header: str,
) -> None:
    found = obs(real[vintage], series, flow, period)
    assert round(found.value, 2) == value
    assert (found.status, found.header) == (status, header)


def test_real_release_shape(real: dict[str, EbopsWorkbook]) -> None:
    book = real["2026-03"]
    assert (book.format, book.sheet, book.unit, book.latest_month) == (
        "xls",
        "EBOPS ",
        "thousand",
        MAR26,
    )
    assert book.warnings == ()
    headline = obs(book, "9", "credit", "2026-03")
    assert headline.cell == "I59"
    assert headline.label == "9.\u00a0Telecommunications, Computer and information services"
    assert headline.value == pytest.approx(413.62289200000005)  # kept unrounded
    assert obs(book, "services", "credit", "2026-03").cell == "I9"
    # Debit cells of 9.2.5 and 10.3.5 hold 'N/A' and produce no observation.
    assert book.find("9.2.5", "debit", "2026-03") is None
    assert book.find("10.3.5", "debit", "2026-03") is None
    assert {o.series for o in book.observations} >= {"1", "3.3", "9.3.2", "12.3", "services"}
    assert real["2026-02"].latest_month == Month(2026, 2)


def test_real_vintages_agree_where_unrevised(real: dict[str, EbopsWorkbook]) -> None:
    feb, mar = real["2026-02"], real["2026-03"]
    assert obs(feb, "9", "credit", "2026-02").value == obs(mar, "9", "credit", "2026-02").value
    assert obs(feb, "10.3.5", "credit", "2026-02").value == pytest.approx(
        obs(mar, "10.3.5", "credit", "2026-02").value, abs=0.001
    )
    fytd_gain = (
        obs(mar, "9", "credit", "2025-07/2026-03").value
        - obs(feb, "9", "credit", "2025-07/2026-02").value
    )
    assert fytd_gain == pytest.approx(obs(mar, "9", "credit", "2026-03").value, abs=1e-6)


# ---------------------------------------------------------------- builder round trips


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
@pytest.mark.parametrize(
    ("release", "year_ago_as_date", "headers"),
    [
        pytest.param(
            MAR26,
            False,
            ["Mar-25 (R)", "Feb-26 (R)", "Mar-26 (P)", "Jul-Mar, FY25", "Jul-Mar, FY26 (P)"],
            id="march",
        ),
        pytest.param(
            Month(2026, 2),
            True,
            ["2025-02-28", "Jan-26 (R)", "Feb-26 (P)", "Jul-Feb, FY25", "Jul-Feb, FY26 (P)"],
            id="date-cell",
        ),
        pytest.param(
            Month(2026, 7),
            False,
            ["Jul-25 (R)", "Jun-26 (R)", "Jul-26 (P)", "Jul, FY26", "Jul, FY27 (P)"],
            id="july-rollover",
        ),
        pytest.param(
            Month(2026, 6),
            False,
            ["Jun-25 (R)", "May-26 (R)", "Jun-26 (P)", "Jul-Jun, FY25", "Jul-Jun, FY26 (P)"],
            id="june",
        ),
    ],
)
def test_fixture_round_trip(
    ict: dict[Month, float],
    fmt: str,
    release: Month,
    year_ago_as_date: bool,
    headers: list[str],
) -> None:
    body = build_dt(release, ict, fmt=fmt, year_ago_as_date=year_ago_as_date)
    book = parse_ebops(body)
    assert (book.format, book.sheet, book.unit, book.latest_month) == (
        fmt,
        "EBOPS ",
        "thousand",
        release,
    )
    assert book.warnings == ()
    expected = expected_ict(release, ict)
    statuses = [None if year_ago_as_date else "R", "R", "P", None, "P"]
    periods = [period for period, _ in expected]
    for (period, value), col, header, status in zip(
        expected, "CFILO", headers, statuses, strict=True
    ):
        credit = obs(book, "9", "credit", period)
        assert credit.value == pytest.approx(value, rel=1e-12)
        if periods.index(period) != "CFILO".index(col):
            continue  # July's one-month FYTD block repeats the month block, which wins
        assert (credit.cell, credit.header, credit.status) == (f"{col}59", header, status)
        assert obs(book, "9", "debit", period).value == pytest.approx(value * DEBIT_SHARE)
        assert obs(book, "9", "net", period).value == pytest.approx(value * (1 - DEBIT_SHARE))
        services = obs(book, "services", "credit", period)
        assert services.value == pytest.approx(value / SERVICES_SHARE_OF_ICT)
        assert services.cell == f"{col}9"
        assert book.find("9.2.5", "debit", period) is None
    assert len({o.series for o in book.observations}) == len(LABELS) + 1
    keys = [(o.series, o.flow, o.period) for o in book.observations]
    assert len(keys) == len(set(keys))


def test_unit_million_is_not_divided(ict: dict[Month, float]) -> None:
    book = parse_ebops(build_dt(MAR26, ict, unit="million"))
    assert book.unit == "million"
    assert obs(book, "9", "credit", "2026-03").value == pytest.approx(ict[MAR26])


def test_builder_overrides(ict: dict[Month, float]) -> None:
    body = build_dt(
        MAR26,
        ict,
        fmt="xls",
        status={Month(2026, 2): None},
        fytd={(2026, 9): 3400.5},
        services={MAR26: 902.91},
    )
    book = parse_ebops(body)
    previous = obs(book, "9", "credit", "2026-02")
    assert (previous.header, previous.status) == ("Feb-26", None)
    assert obs(book, "9", "credit", "2025-07/2026-03").value == pytest.approx(3400.5)
    assert obs(book, "services", "credit", "2026-03").value == pytest.approx(902.91)


def test_builder_needs_every_month(ict: dict[Month, float]) -> None:
    # April 2021: the prior-FY block (Jul-Apr FY20) spans the csv's gaps.
    with pytest.raises(ValueError, match=r"^no ICT value for 2019-11, 2019-12, 2020-01, 2020-03$"):
        build_dt(Month(2021, 4), ict)


def test_text_outside_required_rows_is_a_warning(ict: dict[Month, float]) -> None:
    grid = dt_grid(MAR26, ict)
    row = FIRST_DATA_ROW + 1 + LABELS.index("10.1 Research and development services")
    grid.cells[row][8] = "see note"
    book = parse_ebops(write(grid, "xlsx"))
    assert book.find("10.1", "credit", "2026-03") is None
    assert any("I74" in warning and "see note" in warning for warning in book.warnings)
    assert obs(book, "9", "credit", "2026-03").value == pytest.approx(ict[MAR26])


def test_missing_expected_row_is_a_warning(ict: dict[Month, float]) -> None:
    grid = dt_grid(MAR26, ict)
    row = FIRST_DATA_ROW + 1 + LABELS.index("9.3\u00a0Information services")
    del grid.cells[row]
    book = parse_ebops(write(grid, "xlsx"))
    assert any("'9.3'" in warning for warning in book.warnings)
    assert obs(book, "9", "credit", "2026-03").value == pytest.approx(ict[MAR26])


def test_july_fytd_repeat_is_folded_into_the_month(ict: dict[Month, float]) -> None:
    grid = dt_grid(Month(2026, 7), ict)
    clean = parse_ebops(write(grid, "xls"))
    july = [o for o in clean.observations if o.series == "9" and o.period == "2026-07"]
    assert [(o.flow, o.header, o.cell) for o in july] == [
        ("credit", "Jul-26 (P)", "I59"),
        ("debit", "Jul-26 (P)", "J59"),
        ("net", "Jul-26 (P)", "K59"),
    ]
    grid.cells[ICT_ROW][11] = _float(grid.cells[ICT_ROW][11]) + 2000.0  # 'Jul, FY26' +2 m
    book = parse_ebops(write(grid, "xls"))
    assert [w for w in book.warnings if "L59" in w] == [
        "9 credit 2025-07: C59 (Jul-25 (R)) has 354.000 but L59 (Jul, FY26) has 356.000"
    ]


# ---------------------------------------------------------------- bad inputs


def _float(value: object) -> float:
    assert isinstance(value, float)
    return value


def _grid_body(ict: dict[Month, float], change: str) -> bytes:
    """A March-2026 xlsx with one deliberate defect."""
    grid = dt_grid(MAR26, ict)
    cells = grid.cells
    if change == "no-ict-row":
        del cells[ICT_ROW]
    elif change == "ict-label-changed":
        cells[ICT_ROW][1] = "9. Something else entirely"
    elif change == "unreadable-header":
        cells[6][8] = "March 2026 (P)"
    elif change == "header-deleted":
        cells[6][2] = ""
    elif change == "unknown-unit":
        cells[5][11] = "(Amount in Billion US$)"
    elif change == "no-unit":
        cells[5][11] = ""
    elif change == "text-in-ict":
        cells[ICT_ROW][8] = "413,6xx"
    elif change == "nan-in-ict":
        cells[ICT_ROW][9] = math.nan
    elif change == "bool-in-services":
        cells[FIRST_DATA_ROW][11] = True
    elif change == "na-headline":
        cells[ICT_ROW][5] = "N/A"
    elif change == "unit-changed":
        cells[ICT_ROW][8] = _float(cells[ICT_ROW][8]) / 1000  # US$ m under a thousand label
    elif change == "identity-broken":
        cells[ICT_ROW + 9][8] = _float(cells[ICT_ROW + 9][8]) + 5000.0  # 9.2.5 credit +5 m
    elif change == "fytd-behind":
        cells[6][14] = "Jul-Feb, FY26 (P)"
    elif change == "duplicate-period":
        cells[6][2] = "Mar-26 (P)"
    elif change == "no-flow-headers":
        for col in range(2, 17):
            cells[7][col] = ""
    elif change == "no-sheet":
        grid.name = "Sheet1"
    elif change == "block-without-headers":
        cells[6][2:5] = ["", "", ""]
        cells[7][2:5] = ["", "", ""]
    elif change == "stray-flow-header":
        cells[7][2] = ""
    elif change == "duplicate-ict-row":
        cells.insert(ICT_ROW + 1, list(cells[ICT_ROW]))
    elif change == "conflicting-units":
        cells[4][1] = "(Amount in Million US$)"
    elif change == "empty-sheet":
        grid.cells = [[""] * 17]
    return write(grid, "xlsx")


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * 2**20
            for _ in range(16):
                member.write(chunk)
    return out.getvalue()


def _body(kind: str, ict: dict[Month, float]) -> bytes:
    if kind == "empty":
        return b""
    if kind == "whitespace":
        return b" \r\n\t"
    if kind == "truncated-xls":
        return build_dt(MAR26, ict, fmt="xls")[:4096]
    if kind == "truncated-xlsx":
        body = build_dt(MAR26, ict)
        return body[: len(body) * 2 // 3]
    if kind == "random":
        return random.Random(7).randbytes(3000)
    if kind == "html":
        return HTML_HOME
    if kind == "pdf":
        return b"%PDF-1.7\n" + b"0" * 6000
    if kind == "zip-bomb":
        return _zip_bomb()
    return _grid_body(ict, kind)


@pytest.mark.parametrize(
    ("kind", "error", "message"),
    [
        pytest.param("empty", NotADocumentError, r"^empty response$", id="empty"),
        pytest.param("whitespace", NotADocumentError, r"^empty response", id="whitespace"),
        pytest.param(
            "truncated-xls",
            NotADocumentError,
            r"xls workbook \(4,096 bytes; corrupt",
            id="truncated-xls",
        ),
        pytest.param("truncated-xlsx", NotADocumentError, r"truncated", id="truncated-xlsx"),
        pytest.param(
            "random",
            NotADocumentError,
            r"^expected a workbook \(xls/xlsx\) but got a truncated or unrecognised"
            r" file \(3,000 bytes, starts with 0x",
            id="random-bytes",
        ),
        pytest.param(
            "html",
            NotADocumentError,
            r"^expected a workbook \(xls/xlsx\) but got an HTML page \([\d,]+ bytes\)$",
            id="html-home-page",
        ),
        pytest.param("pdf", NotADocumentError, r"but got a PDF document", id="pdf"),
        pytest.param("zip-bomb", TooLargeError, r"compression ratio", id="zip-bomb"),
        pytest.param(
            "no-sheet",
            LayoutError,
            r"no sheet named 'EBOPS' \(sheets found: 'Sheet1'\)",
            id="no-ebops-sheet",
        ),
        pytest.param(
            "no-ict-row",
            LayoutError,
            r"^layout: no row labelled '9\. Telecommunications, computer and information"
            r" services' in sheet 'EBOPS '$",
            id="no-ict-row",
        ),
        pytest.param(
            "ict-label-changed", LayoutError, r"row 59 has code 9 but label", id="ict-label-changed"
        ),
        pytest.param(
            "unreadable-header",
            LayoutError,
            r"unreadable period header 'March 2026 \(P\)' at I7",
            id="unreadable-header",
        ),
        pytest.param(
            "header-deleted", LayoutError, r"no period header in C7:E7", id="header-deleted"
        ),
        pytest.param(
            "unknown-unit",
            LayoutError,
            r"unknown unit '\(Amount in Billion US\$\)' at L6",
            id="unknown-unit",
        ),
        pytest.param(
            "no-unit", LayoutError, r"no '\(Amount in Thousand US\$\)' unit cell", id="no-unit"
        ),
        pytest.param(
            "text-in-ict",
            LayoutError,
            r"text '413,6xx' in I59 \(9 credit, Mar-26",
            id="text-in-ict",
        ),
        pytest.param("nan-in-ict", LayoutError, r"non-finite number nan in J59", id="nan-in-ict"),
        pytest.param("bool-in-services", LayoutError, r"boolean True in L9", id="bool-in-services"),
        pytest.param("na-headline", LayoutError, r"headline is 'N/A' in F59", id="na-headline"),
        pytest.param(
            "unit-changed", LayoutError, r"I59 is outside .*possible unit change", id="unit-changed"
        ),
        pytest.param(
            "identity-broken",
            LayoutError,
            r"9\.2 credit .* at I63 != sum of 9\.2\.1",
            id="identity-broken",
        ),
        pytest.param(
            "fytd-behind",
            LayoutError,
            r"ends in 2026-02 but the latest month is 2026-03",
            id="fytd-behind-latest",
        ),
        pytest.param(
            "duplicate-period", LayoutError, r"period 2026-03 appears twice", id="duplicate-period"
        ),
        pytest.param(
            "no-flow-headers",
            LayoutError,
            r"no Credit/Debit/Net column headers",
            id="no-flow-headers",
        ),
        pytest.param(
            "block-without-headers",
            LayoutError,
            r"number .* at C9 lies under no period header",
            id="block-without-headers",
        ),
        pytest.param(
            "stray-flow-header",
            LayoutError,
            r"column header 'Debit' at D8 is not part of a Credit/Debit/Net group",
            id="stray-flow-header",
        ),
        pytest.param(
            "duplicate-ict-row",
            LayoutError,
            r"two rows \(59 and 60\) with code '9'",
            id="duplicate-ict-row",
        ),
        pytest.param(
            "conflicting-units",
            LayoutError,
            r"conflicting unit cells .*million at B5, thousand at L6",
            id="conflicting-units",
        ),
        pytest.param("empty-sheet", LayoutError, r"sheet 'EBOPS ' is empty", id="empty-sheet"),
    ],
)
def test_bad_input_raises_clear_parse_error(
    ict: dict[Month, float], kind: str, error: type[ParseError], message: str
) -> None:
    body = _body(kind, ict)
    with pytest.raises(error, match=message) as info:
        parse_ebops(body)
    assert type(info.value) is error
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "xls", id="ole2"),
        pytest.param(b"PK\x03\x04....xl/workbook.xml....", "xlsx", id="xlsx"),
        pytest.param(b"PK\x03\x04....word/document.xml", "unknown", id="docx"),
        pytest.param(b"%PDF-1.4\n", "pdf", id="pdf"),
        pytest.param(b"  <!doctype HTML><p>", "html", id="doctype"),
        pytest.param(b"\xef\xbb\xbf<HTML>", "html", id="bom-html"),
        pytest.param(b"<?xml version='1.0'?>\n<!-- x -->\n<html xmlns='x'>", "html", id="xhtml"),
        pytest.param("\ufeff<html>".encode("utf-16-le"), "html", id="utf16"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\r\n \t", "empty", id="blank"),
        pytest.param(b"\x00\x01\x02", "unknown", id="binary"),
        pytest.param(b"period,value\n", "unknown", id="csv"),
    ],
)
def test_detect_format(body: bytes, fmt: str) -> None:
    assert detect_format(body) == fmt


@pytest.mark.parametrize(
    "content_type", ["application/vnd.ms-excel", "application/octet-stream", None]
)
def test_require_format_trusts_magic_bytes(
    ict: dict[Month, float], content_type: str | None
) -> None:
    body = build_dt(MAR26, ict, fmt="xls")
    assert require_format(body, content_type, {"xls", "xlsx"}, min_size=5000) == "xls"


@pytest.mark.parametrize(
    ("body", "content_type", "min_size", "message"),
    [
        pytest.param(
            b"<html>" + b" " * 4806,
            "text/html",
            0,
            "expected a workbook (xls/xlsx) but got an HTML page (text/html, 4,812 bytes)",
            id="html",
        ),
        pytest.param(b"", "text/html", 0, "empty response", id="empty"),
        pytest.param(
            b"<?xml " + b"1" * 1018,
            None,
            0,
            "expected a workbook (xls/xlsx) but got a truncated or unrecognised file"
            " (1,024 bytes, starts with 0x3c3f786d6c203131)",
            id="unknown",
        ),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1016,
            "application/vnd.ms-excel",
            5000,
            "truncated xls file (1,024 bytes, expected at least 5,000)",
            id="too-small",
        ),
        pytest.param(
            b"PK\x03\x04" + b"\0" * 60,
            None,
            0,
            "expected a workbook (xls/xlsx) but got a zip archive that is not an xlsx"
            " workbook, or is truncated (64 bytes, starts with 0x504b030400000000)",
            id="zip-not-xlsx",
        ),
    ],
)
def test_require_format_messages(
    body: bytes, content_type: str | None, min_size: int, message: str
) -> None:
    with pytest.raises(NotADocumentError) as info:
        require_format(body, content_type, {"xls", "xlsx"}, min_size=min_size)
    assert str(info.value) == message


def test_require_format_other_kinds() -> None:
    with pytest.raises(NotADocumentError, match=r"^expected a PDF document but got an HTML page"):
        require_format(HTML_HOME, "text/html; charset=utf-8", {"pdf"})
    assert require_format(b"%PDF-1.7\n", "application/pdf", {"pdf"}) == "pdf"


def test_check_zip_bomb_limits(ict: dict[Month, float]) -> None:
    body = build_dt(MAR26, ict)
    check_zip_bomb(body)  # an ordinary workbook passes
    check_zip_bomb(build_dt(MAR26, ict, fmt="xls"))  # not a zip: nothing to check
    with pytest.raises(TooLargeError, match=r"declares [\d,]+ bytes uncompressed"):
        check_zip_bomb(body, max_uncompressed=10_000)
    with pytest.raises(TooLargeError, match="compression ratio"):
        check_zip_bomb(body, max_ratio=1.5)
    with pytest.raises(NotADocumentError, match="corrupt or truncated xlsx"):
        check_zip_bomb(body[:-200])
