"""Tests for the generic SBP table reader and its inspect listing and watch snippets."""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import random
import tomllib
import zipfile
from typing import TYPE_CHECKING

import pytest
import python_calamine
from conftest import executed_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sbp_tables import (
    EXPORTS,
    FDI_LABELS,
    IMPORTS,
    PARTS,
    PERCENT_ROW,
    SUMMARY_LABELS,
    build,
    down_grid,
    fdi_grid,
    fdi_headers,
    monthly,
    months,
    part_value,
    summary_columns,
    summary_grid,
    total,
)
from sbp_workbook import Grid

from itx_scraper.core.errors import LayoutError, NotADocumentError, ParseError, TooLargeError
from itx_scraper.core.periods import Month, fiscal_year_start
from itx_scraper.parsers.ebops import parse_ebops
from itx_scraper.parsers.sbp_table import (
    ACROSS,
    DOWN,
    MAX_QUALIFIERS,
    PERCENT,
    QUALIFIER,
    US_MILLION,
    Figure,
    Series,
    Table,
    _Column,
    _Instance,
    _instances_named,
    _part_names,
    label_key,
    parse_period,
    parse_unit,
    read_table,
)
from itx_scraper.query.inspect import describe, watch_name, watch_snippet

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

MAR26, JUL26 = Month(2026, 3), Month(2026, 7)
FORMATS = [pytest.param("xls", id="xls"), pytest.param("xlsx", id="xlsx")]
HTML_HOME = (
    b"\xef\xbb\xbf\r\n<!DOCTYPE html>\n<html lang='en'><head><title>State Bank of Pakistan"
    b"</title></head><body>" + b"<p>Welcome</p>" * 300 + b"</body></html>"
)


def by_period(series: Series) -> dict[str, float]:
    return {figure.period: figure.value for figure in series.figures}


def at(series: Series, period: str) -> Figure:
    figure = series.get(period)
    assert figure is not None, period
    return figure


# ---------------------------------------------------------------- period headers


@pytest.mark.parametrize(
    ("top", "bottom", "period", "status"),
    [
        pytest.param("Mar-26 (P)", None, "2026-03", "P", id="dt-month"),
        pytest.param("March-2026(P)", None, "2026-03", "P", id="month-dash-year-glued"),
        pytest.param("March 2026(P)", None, "2026-03", "P", id="month-space-year-glued"),
        pytest.param("March 2026 (R)", None, "2026-03", "R", id="month-year-spaced"),
        pytest.param("Mar\u00a02026", None, "2026-03", None, id="month-nbsp-year"),
        pytest.param("Sept 2025", None, "2025-09", None, id="sept"),
        pytest.param("Jul-Mar FY26", None, "2025-07/2026-03", None, id="fytd-no-comma"),
        pytest.param("Jul-Mar, FY26 (P)", None, "2025-07/2026-03", "P", id="dt-fytd"),
        pytest.param("July-March FY26 (P)", None, "2025-07/2026-03", "P", id="fytd-full-names"),
        pytest.param("July\u2013March FY26 (P)", None, "2025-07/2026-03", "P", id="en-dash"),
        pytest.param("Jul-Jun FY25R", None, "2024-07/2025-06", "R", id="fiscal-year-glued"),
        pytest.param("Jul, FY27 (P)", None, "2026-07", "P", id="july-rollover-fytd"),
        pytest.param("July FY27 (P)", None, "2026-07", "P", id="july-rollover-name"),
        pytest.param("Jul-Sep FY26", None, "2025-07/2025-09", None, id="quarter-one-row"),
        pytest.param("Jan-Mar 2026", None, "2026-01/2026-03", None, id="calendar-quarter"),
        pytest.param("FY25", None, "2024-07/2025-06", None, id="fiscal-year"),
        pytest.param("FY2025-26 (P)", None, "2025-07/2026-06", "P", id="fiscal-year-long"),
        pytest.param("2025-26", None, "2025-07/2026-06", None, id="fiscal-year-span"),
        pytest.param("Mar-26*", None, "2026-03", None, id="footnote-mark"),
        pytest.param(dt.date(2014, 7, 14), None, "2014-07", None, id="date-day-14"),
        pytest.param(dt.date(2024, 11, 30), None, "2024-11", None, id="date-month-end"),
        pytest.param(dt.datetime(2026, 3, 1), None, "2026-03", None, id="datetime"),
        pytest.param("Mar", "FY26P", "2026-03", "P", id="two-row-glued-p"),
        pytest.param("Mar", "FY25R", "2025-03", "R", id="two-row-glued-r"),
        pytest.param("Feb", "FY26 (R)", "2026-02", "R", id="two-row-spaced"),
        pytest.param("Mar (P)", "FY26", "2026-03", "P", id="two-row-status-on-top"),
        pytest.param("Jul-Jun", "FY24", "2023-07/2024-06", None, id="two-row-fiscal-year"),
        pytest.param("Jul-Mar", "FY26P", "2025-07/2026-03", "P", id="two-row-fytd"),
        pytest.param("Jul-Sep", "FY26", "2025-07/2025-09", None, id="two-row-quarter-1"),
        pytest.param("Oct-Dec", "FY26R", "2025-10/2025-12", "R", id="two-row-quarter-2"),
        pytest.param("Jan-Mar", "FY26P", "2026-01/2026-03", "P", id="two-row-quarter-3"),
        pytest.param("Jul", "FY27P", "2026-07", "P", id="two-row-july-rollover"),
        pytest.param("Jun", "FY26R", "2026-06", "R", id="two-row-june"),
        pytest.param("Mar", "2026", "2026-03", None, id="two-row-calendar-text"),
        pytest.param("Jan-Mar", 2026.0, "2026-01/2026-03", None, id="two-row-calendar-number"),
    ],
)
def test_period_headers(top: object, bottom: object, period: str, status: str | None) -> None:
    header = parse_period(top, bottom)
    assert header is not None, (top, bottom)
    shown = str(header.start) if header.start == header.end else f"{header.start}/{header.end}"
    assert (shown, header.status) == (period, status)


@pytest.mark.parametrize(
    ("top", "bottom"),
    [
        pytest.param("Mzz-26", None, id="bad-month"),
        pytest.param("Items", None, id="label-header"),
        pytest.param("Jul-Mar", None, id="no-year"),
        pytest.param("Mar-Jul FY26", None, id="range-backwards"),
        pytest.param("Jul-Mar 2026", None, id="calendar-range-backwards"),
        pytest.param("(Million US$)", None, id="unit"),
        pytest.param("Mar-26 (X)", None, id="bad-marker"),
        pytest.param("2025-27", None, id="fiscal-span-not-consecutive"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
        pytest.param(45716.0, None, id="serial-number"),
        pytest.param(True, None, id="bool"),
        pytest.param("Mar", "Credit", id="two-row-part-below"),
        pytest.param("Value", "FY26", id="two-row-no-month"),
        pytest.param("Jan-Mar", "FY2x", id="two-row-bad-year"),
        pytest.param("Mar-26", "FY26", id="two-row-year-twice"),
    ],
)
def test_unreadable_period_headers(top: object, bottom: object) -> None:
    assert parse_period(top, bottom) is None


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        pytest.param("(Million US$)", "million", id="bpm6"),
        pytest.param("(Million US $)", "million", id="exp-import"),
        pytest.param("Million US $", "million", id="no-parentheses"),
        pytest.param("(Thousand US Dollar)", "thousand", id="dollar-word"),
        pytest.param("(Amount in Thousand US$)", "thousand", id="dt"),
        pytest.param("US$ Million", "million", id="currency-first"),
        pytest.param("(Million U.S. Dollars)", "million", id="u-s-dollars"),
        pytest.param("(Billion US$)", "billion", id="billion"),
        pytest.param("(Billion Rs.)", None, id="rupees"),
        pytest.param("Rs. in Million", None, id="rupees-million"),
        pytest.param("(Million)", None, id="no-currency"),
        pytest.param("(Percent)", None, id="percent"),
    ],
)
def test_units(text: str, scale: str | None) -> None:
    assert parse_unit(text) == scale


def test_label_key_ignores_spaces_case_and_footnote_marks() -> None:
    assert label_key("Exports of\u00a0 Services ") == label_key("exports of services")
    assert label_key("Equity and Investment Fund Shares**") == label_key(
        "equity and investment fund shares"
    )
    assert label_key("Financial Corporations, NFCs*, Households") == label_key(
        "Financial Corporations NFCs Households"
    )
    assert label_key("Net Borrowing (\u2013)") == label_key("net borrowing (-)")
    assert label_key("Exports (BOP)") != label_key("Imports (BOP)")


# ---------------------------------------------------------------- periods across, two header rows


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("merge", [True, False], ids=["merged-fytd", "forward-fill"])
def test_summary_two_row_headers(fmt: str, merge: bool) -> None:
    grid = summary_grid(MAR26, merge_fytd=merge)
    table = read_table(build(grid, fmt))
    sheet = table.sheet("bpm6_summary")
    assert (sheet.orientation, sheet.unit, sheet.scale) == (ACROSS, "(Million US$)", "million")
    assert sheet.header_rows == (5, 6) and sheet.label_col == 2
    assert sheet.latest_month == MAR26
    columns = summary_columns(MAR26)
    assert [(p.period, p.status) for p in sheet.periods] == [(c.period, c.status) for c in columns]
    for label in ("Current Account Balance", "Exports of Goods FOB", "Workers' Remittances"):
        series = table.series(label)
        assert series.unit == US_MILLION and series.sheet == "BPM6_Summary"
        assert by_period(series) == {c.period: total(label, c.start, c.end) for c in columns}
        for figure, column in zip(series.figures, columns, strict=True):
            assert figure.status == column.status
            assert figure.cell == f"{chr(65 + figure.col - 1)}{figure.row}"
            assert grid.cells[figure.row - 1][figure.col - 1] == figure.value
            assert figure.header == f"{column.top} / {column.bottom}"
    months_only = table.series("Current Account Balance").months()
    assert [f.period for f in months_only] == ["2025-03", "2026-02", "2026-03"]
    fytd = table.series("Current Account Balance").get("2025-07/2026-03")
    assert fytd is not None and (fytd.start, fytd.end, fytd.status) == (
        fiscal_year_start(2026),
        MAR26,
        "P",
    )
    assert fytd.value == pytest.approx(
        sum(monthly("Current Account Balance", m) for m in months(Month(2025, 7), MAR26))
    )


def test_summary_labels_match_after_normalising() -> None:
    table = read_table(build(summary_grid(MAR26)))
    spaced = table.series("  exports OF services")
    assert spaced.label == "Exports of\u00a0Services "  # provenance keeps the label as printed
    assert table.series("Equity and Investment Fund Shares").label.endswith("**")
    assert table.series("financial corporations, nfcs, households and npishs").figures


def test_summary_repeated_labels_are_qualified() -> None:
    table = read_table(build(summary_grid(MAR26)))
    names = table.sheets[0].labels()
    assert "Secondary Income Credit > General Government" in names
    assert "Net Incurrence of Liabilities > General Government" in names
    first = table.series("Secondary Income Credit > General Government")
    second = table.series("net incurrence of liabilities>general government")
    rows = [i + 8 for i, label in enumerate(SUMMARY_LABELS) if label == "General Government"]
    assert [first.figures[0].row, second.figures[0].row] == rows
    with pytest.raises(LayoutError, match=r"appears 2 times .*Net Incurrence of Liabilities >"):
        table.series("General Government")


def test_summary_percent_row_and_not_available_marks() -> None:
    table = read_table(build(summary_grid(MAR26)))
    series = table.series(PERCENT_ROW)
    assert series.unit == PERCENT
    # '-' in the month columns means not published: no figure, never zero
    assert all(not figure.is_month for figure in series.figures)
    assert len(series.figures) == len([c for c in summary_columns(MAR26) if c.start != c.end])


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_july_rollover(fmt: str) -> None:
    """July: the month and the one-month fiscal year to date are the same period, kept once."""
    table = read_table(build(summary_grid(JUL26), fmt))
    sheet = table.sheets[0]
    assert sheet.latest_month == JUL26
    series = table.series("Exports of Goods FOB")
    periods = [figure.period for figure in series.figures]
    assert periods == ["2024-07/2025-06", "2025-07", "2025-07/2026-06", "2026-06", "2026-07"]
    assert at(series, "2026-07").status == "P"
    assert at(series, "2026-07").value == monthly("Exports of Goods FOB", JUL26)
    assert at(series, "2026-07").cell == "G" + str(8 + SUMMARY_LABELS.index("Exports of Goods FOB"))
    assert series.warnings == ()


def test_summary_july_rollover_disagreement_is_a_warning() -> None:
    grid = summary_grid(JUL26)
    row = 7 + SUMMARY_LABELS.index("Exports of Goods FOB")
    grid.cells[row][len(grid.cells[row]) - 1] = 1.0  # the FY27 'Jul' column disagrees
    series = read_table(build(grid)).series("Exports of Goods FOB")
    assert at(series, "2026-07").value == monthly("Exports of Goods FOB", JUL26)
    assert len(series.warnings) == 1 and "2026-07" in series.warnings[0]


def test_status_from_a_marker_row() -> None:
    cells: list[list[object]] = [
        ["Workers' Remittances", "", "", ""],
        ["", "", "", "(Million US$)"],
        ["Country", "Feb-26", "Mar-26", "Jul-Mar FY26"],
        ["", "R", "P", "(P)"],
        ["Total", 3288.0, 3831.0, 30319.0],
        ["Saudi Arabia", 800.5, 950.25, 7000.0],
    ]
    table = read_table(build(Grid("Remittances", cells)))
    sheet = table.sheets[0]
    assert sheet.marker == "row 4"
    series = table.series("saudi arabia")
    assert [(f.period, f.value, f.status) for f in series.figures] == [
        ("2026-02", 800.5, "R"),
        ("2026-03", 950.25, "P"),
        ("2025-07/2026-03", 7000.0, "P"),
    ]


# ---------------------------------------------------------------- periods across with parts


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("unit", ["thousand", "million"])
@pytest.mark.parametrize("merge", [True, False], ids=["merged", "unmerged"])
def test_parts_triplet(fmt: str, unit: str, merge: bool) -> None:
    headers = fdi_headers(MAR26)
    table = read_table(build(fdi_grid(MAR26, unit=unit, merge_headers=merge), fmt))
    sheet = table.sheets[0]
    assert sheet.scale == unit
    assert [p.header for p in sheet.periods] == [text for text, *_ in headers]
    info = sheet.info("china")
    assert info.parts == PARTS
    for label in ("Total", "China", "U.A.E"):
        for part in PARTS:
            series = table.series(label, part=part.upper())
            assert series.part == part
            got = by_period(series)
            want = {
                (str(s) if s == e else f"{s}/{e}"): part_value(label, part, s, e)
                for _, s, e, _ in headers
            }
            assert got.keys() == want.keys()
            for period, value in want.items():
                assert got[period] == pytest.approx(value, rel=1e-12)
    statuses = [f.status for f in table.series("Total", "Net").figures]
    assert statuses == [status for *_, status in headers]


def test_parts_must_be_chosen() -> None:
    table = read_table(build(fdi_grid(MAR26)))
    with pytest.raises(LayoutError, match=r"has parts 'Inflow', 'Outflow', 'Net'; choose one"):
        table.series("China")
    with pytest.raises(LayoutError, match=r"has no part 'Gross' \(parts: 'Inflow', 'Outflow'"):
        table.series("China", part="Gross")


def test_parts_july_rollover() -> None:
    """'July 2026(P)' and 'July FY27 (P)' are the same month: one figure, the first column."""
    table = read_table(build(fdi_grid(JUL26, headers=fdi_headers(JUL26))))
    series = table.series("Power", "Inflow")
    assert [f.period for f in series.figures] == ["2025-07", "2026-06", "2026-07"]
    assert [f.header for f in series.figures] == ["July 2025", "June-2026(R)", "July 2026(P)"]
    assert at(series, "2026-07").value == pytest.approx(monthly("Power", JUL26))
    assert series.warnings == ()


# ---------------------------------------------------------------- periods down the rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_down_orientation(fmt: str) -> None:
    status = {m: "R" for m in months(Month(2024, 7), Month(2025, 6))}
    status.update({Month(2026, 2): "R", MAR26: "P"})
    grid, rows = down_grid(Month(2014, 7), MAR26, status=status)
    table = read_table(build(grid, fmt))
    sheet = table.sheets[0]
    assert (sheet.orientation, sheet.scale, sheet.marker) == (DOWN, "million", "column B")
    assert sheet.header_rows == (4, 5, 6)
    assert len(sheet.periods) == len(rows) == 141
    assert sheet.latest_month == MAR26
    assert [info.name for info in sheet.series_list] == [
        EXPORTS,
        f"{EXPORTS} > Growth Rate",
        IMPORTS,
        f"{IMPORTS} > Growth Rate",
        "Balance of Trade",
    ]
    value = table.series(EXPORTS, "Value")
    assert value.part == "Value / a"
    assert [(f.period, f.value, f.status, f.row) for f in value.figures] == [
        (str(r.month), monthly(EXPORTS, r.month), r.status, r.row + 1) for r in rows
    ]
    cumulative = table.series(EXPORTS, "b")  # the letter tag selects the column too
    for figure, row in zip(cumulative.figures, rows, strict=True):
        assert (figure.start, figure.end) == (fiscal_year_start(row.month.fiscal_year), row.month)
        assert figure.value == pytest.approx(
            total(EXPORTS, fiscal_year_start(row.month.fiscal_year), row.month)
        )
    balance = table.series("balance of trade", "a-c")
    assert all(f.is_month for f in balance.figures)
    assert table.series("balance of trade", "b-d").figures[-1].period == "2025-07/2026-03"
    growth = table.series("Imports (BOP) > Growth Rate", "Monthly")
    assert growth.unit == PERCENT and growth.figures[0].cell == "I8"


def test_down_blank_cells_are_not_published() -> None:
    gap = {Month(2020, 5), Month(2020, 6)}
    grid, rows = down_grid(Month(2019, 7), Month(2020, 12), blank=gap)
    series = read_table(build(grid)).series(EXPORTS, "Value")
    assert {f.start for f in series.figures} == {r.month for r in rows} - gap
    assert 0.0 not in by_period(series).values()


def test_down_july_rollover() -> None:
    grid, _ = down_grid(Month(2025, 7), JUL26, status={JUL26: "P"})
    table = read_table(build(grid))
    cumulative = table.series(IMPORTS, "Cumulative")
    july = cumulative.figures[-1]
    assert (july.period, july.status) == ("2026-07", "P")
    assert july.value == pytest.approx(monthly(IMPORTS, JUL26))
    assert cumulative.figures[-2].period == "2025-07/2026-06"


# ---------------------------------------------------------------- damage is failure


def _error(body: bytes, series: str = "Current Account Balance", part: str | None = None) -> str:
    with pytest.raises(ParseError) as info:
        read_table(body).series(series, part)
    return f"{type(info.value).__name__}: {info.value}"


def test_missing_label_names_it_and_close_labels() -> None:
    grid = summary_grid(MAR26)
    grid.cells[7][1] = "Current Acount Balance (revised)"
    message = _error(build(grid))
    assert message.startswith("LayoutError: layout: no series 'Current Account Balance'")
    assert "Current Acount Balance (revised)" in message and "\n" not in message


def test_unreadable_period_header_across() -> None:
    grid = summary_grid(MAR26)
    ref = next(p.cell for p in read_table(build(grid)).sheets[0].periods if p.period == "2026-03")
    col = ord(ref[0]) - 65
    grid.cells[4][col] = "Mzr"
    message = _error(build(grid))
    assert message == (
        f"LayoutError: layout: unreadable period header 'Mzr / FY26P' at {ref}"
        " in sheet 'BPM6_Summary'"
    )


def test_number_under_no_period_header() -> None:
    grid = summary_grid(MAR26)
    grid.cells[4][3] = grid.cells[5][3] = ""
    assert "lies under no period header" in _error(build(grid))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("top", "bottom", "problem"),
    [
        pytest.param("Jul-Jun", "FY 2023-2024", "unreadable period header", id="unreadable"),
        pytest.param("", "", "lies under no period header", id="blank"),
    ],
)
def test_first_figure_column_with_a_bad_header(
    fmt: str, top: str, bottom: str, problem: str
) -> None:
    """Column C, the first column of figures, is examined although its header cannot be read."""
    grid = summary_grid(MAR26)
    grid.cells[4][2], grid.cells[5][2] = top, bottom
    message = _error(build(grid, fmt))
    assert message.startswith("LayoutError: layout: ") and problem in message
    assert ("at C5 " if top else "at C8 ") in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_period_texts_hidden_under_a_merge_are_no_headers(fmt: str) -> None:
    """A merged A2:C2 shows its blank top-left A2; 'Mar-26' and 'Feb-26' hidden in B2, C2 are
    not period headers (they used to escape as an IndexError)."""
    cells: list[list[object]] = [
        ["(Million US$)", "", ""],
        ["", "Mar-26", "Feb-26"],
        ["Exports", 1.0, 2.0],
    ]
    with pytest.raises(LayoutError, match=r"^layout: no period headers .* in sheet 'S'$"):
        read_table(build(Grid("S", cells, [(1, 0, 1, 2)], hidden=True), fmt))


def test_unreadable_period_down() -> None:
    grid, rows = down_grid(Month(2024, 7), MAR26)
    grid.cells[rows[5].row][0] = "Dec 2O24"
    message = _error(build(grid), EXPORTS, "Value")
    assert message == (
        f"LayoutError: layout: unreadable period 'Dec 2O24' at A{rows[5].row + 1}"
        " in sheet 'Exp.Imp.(BOP)'"
    )


@pytest.mark.parametrize("value", ["Apri 2026", ""], ids=["unreadable", "blank"])
def test_new_month_down_that_cannot_be_read_fails(value: str) -> None:
    grid, rows = down_grid(Month(2024, 7), Month(2026, 2))
    grid.cells.insert(rows[-1].row + 1, [value, "P", *[1.0] * 10])
    message = _error(build(grid), EXPORTS, "Value")
    where = f"A{rows[-1].row + 2}"
    assert message.startswith("LayoutError: layout: ")
    assert where in message and ("unreadable period" if value else "has no period") in message


def test_duplicated_month_down() -> None:
    grid, rows = down_grid(Month(2024, 7), MAR26)
    grid.cells[rows[3].row][0] = grid.cells[rows[2].row][0]
    assert "month 2024-09 appears twice" in _error(build(grid), EXPORTS, "Value")


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_in_a_figure_cell(fmt: str) -> None:
    grid = summary_grid(MAR26)
    grid.cells[7][4] = "1,2O7"
    body = build(grid, fmt)
    table = read_table(body)  # other series stay readable
    assert table.series("Exports of Goods FOB").figures
    with pytest.raises(ParseError) as info:
        table.series("Current Account Balance")
    assert type(info.value) is ParseError and info.value.error_class == "parse"
    assert str(info.value) == (
        "parse: text '1,2O7' in figure cell E8 of sheet 'BPM6_Summary'"
        " (Current Account Balance, Jul-Jun / FY25R)"
    )


def test_numbers_as_text_are_read() -> None:
    grid = summary_grid(MAR26)
    grid.cells[7][4] = "1,207.5"
    assert read_table(build(grid)).series("Current Account Balance").figures[2].value == 1207.5


@pytest.mark.parametrize("fmt", FORMATS)
def test_unit_note_under_a_period_header_is_no_part(fmt: str) -> None:
    """'(Million US$)' on the row below 'Mar-26 (P)' neither hides nor splits that column."""
    cells: list[list[object]] = [
        ["Exports of Goods", "", "", ""],
        ["Item", "Jan-26", "Feb-26 (R)", "Mar-26 (P)"],
        ["", "", "", "(Million US$)"],
        ["Total", 2400.5, 2511.0, 2630.25],
    ]
    table = read_table(build(Grid("Goods", cells), fmt))
    sheet = table.sheets[0]
    series = sheet.monthly_series("Total")
    assert [(f.period, f.value, f.status, f.cell) for f in series.figures] == [
        ("2026-01", 2400.5, None, "B4"),
        ("2026-02", 2511.0, "R", "C4"),
        ("2026-03", 2630.25, "P", "D4"),
    ]
    assert (sheet.unit_cell, sheet.info("Total").parts) == ("D3", ())


def test_unit_note_between_a_period_header_and_its_parts() -> None:
    grid = fdi_grid(MAR26)
    unit = grid.cells[2][len(grid.cells[2]) - 3]
    grid.cells[2] = [""] * len(grid.cells[2])
    grid.merges = [m for m in grid.merges if m[0] != 2]
    grid.insert_row(5)  # between the period headers (row 5) and the parts
    grid.cells[5][len(grid.cells[5]) - 3] = unit  # under the last period header only
    table = read_table(build(grid))
    assert table.sheets[0].info("China").parts == PARTS
    for part in PARTS:
        series = table.series("China", part)
        assert [f.header for f in series.figures] == [text for text, *_ in fdi_headers(MAR26)]


def test_parts_under_some_period_headers_only_are_a_layout_change() -> None:
    cells: list[list[object]] = [
        ["(Million US$)", "", ""],
        ["Country", "Feb-26", "Mar-26 (P)"],
        ["", "", "Inflow"],
        ["China", 10.5, 11.25],
    ]
    message = _error(build(Grid("FDI", cells)), "China")
    assert message == (
        "LayoutError: layout: series 'China' in sheet 'FDI' has part 'Inflow' in column C"
        " ('Mar-26 (P)') but no part in column B ('Feb-26')"
    )


def test_a_part_without_figures_is_a_failure() -> None:
    grid = fdi_grid(MAR26)
    row = 6 + FDI_LABELS.index("China")
    for col in range(2, len(grid.cells[row]), 3):  # every Outflow cell
        grid.cells[row][col] = "N/A" if col % 2 else ""
    table = read_table(build(grid))
    assert table.series("China", "Inflow").figures
    message = _error(build(grid), "China", "Outflow")
    assert message == "LayoutError: layout: series 'China' at A8 has no figures in sheet 'FDI'"


def test_a_row_without_numbers_is_no_series() -> None:
    grid = summary_grid(MAR26)
    for col in range(2, len(grid.cells[7])):
        grid.cells[7][col] = "-" if col % 2 else ""
    assert "no series 'Current Account Balance'" in _error(build(grid))


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        pytest.param("(Billion Rs.)", "unknown unit '(Billion Rs.)' at", id="rupees"),
        pytest.param("", "no unit line", id="missing"),
    ],
)
def test_unit_failures(unit: str, message: str) -> None:
    assert message in _error(build(summary_grid(MAR26, unit=unit)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_unit_in_a_short_title(fmt: str) -> None:
    """A title of 40 characters or fewer with its unit in brackets: the bracket is the unit."""
    cells: list[list[object]] = [
        ["Workers' Remittances (Thousand US$)", "", ""],
        ["Country", "Feb-26", "Mar-26 (P)"],
        ["Total", 3288.5, 3831.25],
    ]
    table = read_table(build(Grid("Remittances", cells), fmt))
    assert (table.sheets[0].scale, table.sheets[0].unit_cell) == ("thousand", "A1")
    assert by_period(table.series("Total")) == {"2026-02": 3.2885, "2026-03": 3.83125}
    cells[0][0] = "Workers' Remittances (Billion Rs.)"
    message = _error(build(Grid("Remittances", cells), fmt), "Total")
    assert message.startswith("LayoutError: layout: unknown unit \"Workers' Remittances (Billion")


def test_conflicting_units() -> None:
    grid = summary_grid(MAR26)
    grid.cells[2][2] = "(Thousand US$)"
    assert "conflicting units" in _error(build(grid))


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 2**20))
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "error", "text"),
    [
        pytest.param(lambda body: HTML_HOME, NotADocumentError, "HTML page", id="html"),
        pytest.param(lambda body: b"", NotADocumentError, "empty", id="empty"),
        pytest.param(
            lambda body: body[: len(body) // 2], NotADocumentError, "truncated", id="truncated"
        ),
        pytest.param(
            lambda body: random.Random(14).randbytes(9000),
            NotADocumentError,
            "unrecognised",
            id="random-bytes",
        ),
        pytest.param(lambda body: _zip_bomb(), TooLargeError, "compression ratio", id="zip-bomb"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_not_a_workbook(
    make: Callable[[bytes], bytes], error: type[Exception], text: str, fmt: str
) -> None:
    body = make(build(summary_grid(MAR26), fmt))
    with pytest.raises(error, match=text) as info:
        read_table(body)
    assert "\n" not in str(info.value)


@functools.cache
def _pristine(fmt: str) -> bytes:
    return build(summary_grid(MAR26), fmt)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["xls", "xlsx"]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=12),
    cut=st.floats(0.05, 1.0),
)
def test_damaged_bytes_fail_only_with_parse_errors(
    fmt: str, edits: list[tuple[float, int]], cut: float
) -> None:
    """Flipped bytes or a cut-off body: figures come out, or a ParseError; nothing else."""
    body = bytearray(_pristine(fmt))
    for where, byte in edits:
        body[int(where * len(body))] = byte
    damaged = bytes(body[: max(1, int(cut * len(body)))])
    try:
        table = read_table(damaged)
        for sheet in table.sheets:
            for info in sheet.series_list:
                for part in info.parts or (None,):
                    sheet.series(info.name, part)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc)


def test_sheet_without_a_table_is_reported_not_fatal() -> None:
    grid = summary_grid(MAR26)
    body = _two_sheets(grid, Grid("Notes", [["Contact: statistics department"]]))
    table = read_table(body)
    assert table.sheet_names == ("BPM6_Summary", "Notes")
    assert [name for name, _ in table.problems] == ["Notes"]
    assert table.series("Current Account Balance").sheet == "BPM6_Summary"
    with pytest.raises(LayoutError, match="no period headers"):
        table.series("Current Account Balance", sheet="Notes")
    with pytest.raises(LayoutError, match=r"no sheet named 'Nope' \(sheets: 'BPM6_Summary'"):
        table.series("Current Account Balance", sheet="Nope")


def _two_sheets(*grids: Grid) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for sheet in workbook.worksheets:
        workbook.remove(sheet)
    for grid in grids:
        sheet = workbook.create_sheet(grid.name)
        for r, line in enumerate(grid.cells):
            for c, value in enumerate(line):
                if value != "":
                    sheet.cell(row=r + 1, column=c + 1, value=value)
        for r1, c1, r2, c2 in grid.merges:
            sheet.merge_cells(
                start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_series_in_two_sheets_needs_a_sheet() -> None:
    first = summary_grid(MAR26)
    second = summary_grid(Month(2026, 2))
    second.name = "Previous"
    table = read_table(_two_sheets(first, second))
    with pytest.raises(LayoutError, match="is in several sheets"):
        table.series("Current Account Balance")
    feb = table.series("Current Account Balance", sheet="previous")
    assert feb.sheet == "Previous" and feb.months()[-1].period == "2026-02"


# ---------------------------------------------------------------- cost grows with the sheet


def _parts_sheet(n: int) -> bytes:
    """One period header over n columns, each with a part of its own."""
    cells: list[list[object]] = [
        ["(Million US$)", *[""] * n],
        ["Item", *["Mar-26"] * n],
        ["", *[f"p{i}" for i in range(n)]],
        ["Exports", *[float(i) for i in range(n)]],
    ]
    return build(Grid("Parts", cells), "xlsx")


def _repeated_labels_sheet(n: int) -> bytes:
    """n labels, then the same n labels again."""
    rows = [[f"L{i}", 1.0, 2.0] for i in range(n)] * 2
    return build(Grid("Names", [["(Million US$)", "", ""], ["Item", "Mar-26", "Feb-26"], *rows]))


@pytest.mark.parametrize(
    "sheet", [_parts_sheet, _repeated_labels_sheet], ids=["part-per-column", "labels-twice"]
)
def test_reading_costs_twice_as_much_for_twice_the_columns_or_rows(
    sheet: Callable[[int], bytes],
) -> None:
    """Part names compared every part with every other (8,000 columns: 162 s) and a repeated
    label scanned back to its last use (16,000 labels twice: 20 s); both grew with n squared."""
    read_table(sheet(10))
    bodies = {n: sheet(n) for n in (150, 300)}
    costs = {n: executed_lines(lambda body=body: read_table(body)) for n, body in bodies.items()}
    assert costs[300] / costs[150] < 2.3, costs


def _old_part_names(columns: list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """The quadratic part naming before review, kept as the reference for its names."""
    distinct = list(dict.fromkeys(parts for parts in columns if parts))
    names: dict[tuple[str, ...], str] = {}
    for parts in distinct:
        others = [other for other in distinct if other != parts]
        names[parts] = next(
            (
                level
                for level in parts
                if not any(label_key(level) in map(label_key, other) for other in others)
            ),
            " / ".join(parts),
        )
    return names


LEVELS = st.sampled_from(["Inflow", "inflow ", "Outflow", "Net", "a", "A", "b-d", "Value", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(LEVELS, max_size=3).map(tuple), max_size=12))
def test_part_names_are_those_of_the_quadratic_naming(parts: list[tuple[str, ...]]) -> None:
    columns = [_Column(col, levels) for col, levels in enumerate(parts)]
    assert _part_names(columns) == _old_part_names(parts)


def _old_instances_named(keys: list[str]) -> list[tuple[str, bool]]:
    """The naming before review (a scan back to each label's last use), as the reference."""
    names: list[tuple[str, bool]] = []
    for i, key in enumerate(keys):
        if keys.count(key) == 1:
            names.append((key, False))
            continue
        anchors: list[tuple[int, int, str]] = []
        for j in range(i - 1, -1, -1):
            if keys[j] == key:
                break
            name, ambiguous = names[j]
            if not ambiguous:
                anchors.append((name.count(QUALIFIER), i - j, name))
        names.append((f"{min(anchors)[2]}{QUALIFIER}{key}", False) if anchors else (key, True))
    return names


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from("abcdefg"), max_size=40))
def test_series_names_are_those_of_the_backward_scan(keys: list[str]) -> None:
    """The same names as before, except that one with over MAX_QUALIFIERS '>' is ambiguous."""
    instances = [_Instance(key, key, i, f"A{i + 1}") for i, key in enumerate(keys)]
    for (name, ambiguous), (old, old_ambiguous) in zip(
        _instances_named(instances), _old_instances_named(keys), strict=True
    ):
        if old.count(QUALIFIER) <= MAX_QUALIFIERS:
            assert (name, ambiguous) == (old, old_ambiguous)
        else:
            assert (name, ambiguous) == (old.rpartition(QUALIFIER)[2], True)


def test_qualified_names_stay_short() -> None:
    """'U', then 'A', 'B', 'A', 'B', ...: each name qualified the one before it, so the n-th
    name held n labels (4,000 rows: 32 MB of names)."""
    rows = [["U", 1.0, 2.0], *[["A" if i % 2 else "B", 1.0, 2.0] for i in range(400)]]
    head = [["(Million US$)", "", ""], ["Item", "Mar-26", "Feb-26"]]
    table = read_table(build(Grid("Chain", [*head, *rows])))
    names = list(table.sheets[0].labels())
    assert max(name.count(QUALIFIER) for name in names) == MAX_QUALIFIERS
    assert names[:4] == ["U", "U > B", "U > A", "U > A > B"]
    assert table.series("U > A > B").figures[0].cell == "B6"
    with pytest.raises(LayoutError, match=r"series 'A' appears 200 times"):
        table.series("A")


# ---------------------------------------------------------------- inspect listing and snippets


def test_describe_lists_sheets_periods_and_series() -> None:
    status = {Month(2026, 2): "R", MAR26: "P"}
    grid, _ = down_grid(Month(2014, 7), MAR26, status=status)
    text = describe(read_table(build(grid)), source="exp_import_BOP.xls")
    lines = text.splitlines()
    assert lines[0] == "exp_import_BOP.xls: xls workbook, sheets: 'Exp.Imp.(BOP)'"
    assert "  months (141): 2014-07 to 2026-03, latest 2026-03 P" in lines
    assert "    2014-07 to 2026-01 (139 months)  -" in lines
    assert "    2026-03  P" in lines
    assert "    Exports (BOP)  [parts: Value | Cumulative (fiscal year to date)]" in lines
    assert "    Balance of Trade  [parts: a-c | b-d (fiscal year to date)]" in lines
    summary = describe(read_table(build(summary_grid(MAR26))))
    assert "    2026-03  P  'Mar / FY26P' at J5" in summary.splitlines()
    assert "  ranges (7):" in summary.splitlines()
    assert "    Current Account % of GDP  (percent)" in summary.splitlines()


@pytest.mark.parametrize(
    ("label", "part", "name"),
    [
        pytest.param("Current Account Balance", None, "current_account_balance", id="plain"),
        pytest.param("Exports (BOP)", "Value", "exports_bop_value", id="part"),
        pytest.param(
            "9.2.5 Freelance of Computer and Information Services",
            "Credit",
            "series_9_2_5_freelance_of_computer_and_information_services_credit",
            id="leading-digit",
        ),
        pytest.param(
            "Net Incurrence of Liabilities > General Government",
            None,
            "net_incurrence_of_liabilities_general_government",
            id="qualified",
        ),
        pytest.param("***", None, "series", id="nothing-left"),
    ],
)
def test_watch_names(label: str, part: str | None, name: str) -> None:
    assert watch_name(label, part) == name


def _watches(snippet: str) -> dict[str, dict[str, str]]:
    return tomllib.loads(snippet)["watches"]


def _read_back(table: Table, watch: dict[str, str]) -> Series:
    return table.series(watch["series"], watch.get("part"), watch.get("sheet"))


def test_snippets_parse_and_work_unchanged() -> None:
    table = read_table(build(fdi_grid(MAR26)))
    url = "https://www.sbp.org.pk/ecodata/NetinflowSummary.xls"
    watches = _watches(watch_snippet(table, "china", url=url, part="net", record="low"))
    assert watches == {
        "china_net": {
            "url": url,
            "series": "China",
            "part": "net",
            "record": "low",
            "label": "China, net",
        }
    }
    named = watch_snippet(table, "Total", url=url, part="Inflow", name="fdi inflows")
    assert named.startswith('[watches."fdi inflows"]\n')
    assert _watches(named)["fdi inflows"]["part"] == "Inflow"
    every = _watches(watch_snippet(table, "U.A.E", url=url))
    assert list(every) == ["u_a_e_inflow", "u_a_e_outflow", "u_a_e_net"]
    for watch in every.values():
        assert _read_back(table, watch).figures
    summary = read_table(build(summary_grid(MAR26)))
    quoted = _watches(
        watch_snippet(summary, "Net Incurrence of Liabilities > General Government", url=url)
    )
    (watch,) = quoted.values()
    assert watch["label"] == "Net Incurrence of Liabilities: General Government"
    assert _read_back(summary, watch).figures[0].row == 19
    with pytest.raises(LayoutError, match="no series 'Nothing'"):
        watch_snippet(summary, "Nothing", url=url)
    with pytest.raises(ValueError, match="record must be one of"):
        watch_snippet(summary, "Current Account Balance", url=url, record="max")


def test_snippet_names_the_sheet_in_a_workbook_with_several() -> None:
    body = _two_sheets(summary_grid(MAR26), Grid("Notes", [["Contact"]]))
    table = read_table(body)
    (watch,) = _watches(
        watch_snippet(table, "Workers' Remittances", url="http://x/y.xlsx")
    ).values()
    assert watch["sheet"] == "BPM6_Summary"
    assert watch["series"] == "Workers' Remittances"
    assert _read_back(table, watch).figures


# ---------------------------------------------------------------- the real SBP files


def _calamine_grid(path: Path) -> tuple[str, list[list[object]]]:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    name = workbook.sheet_names[0]
    return name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)


# Balancepayment_BPM6 columns as printed (sources.md section 4): period, status.
BPM6_COLUMNS = {
    "C": ("2023-07/2024-06", None),
    "D": ("2025-03", "R"),
    "E": ("2024-07/2025-06", "R"),
    "F": ("2025-07/2025-09", None),
    "G": ("2025-10/2025-12", "R"),
    "H": ("2026-02", "R"),
    "I": ("2026-03", "P"),
    "J": ("2026-01/2026-03", "P"),
    "K": ("2024-07/2025-03", "R"),
    "L": ("2025-07/2026-03", "P"),
}


def test_real_bpm6_current_account(sbp_files: Path) -> None:
    path = sbp_files / "Balancepayment_BPM6-2026-03.xls"
    name, grid = _calamine_grid(path)
    row = next(
        i for i, line in enumerate(grid) if str(line[1]).strip() == "Current Account Balance"
    )
    assert (grid[4][7], grid[5][7], grid[4][8], grid[5][8]) == ("Feb", "FY26R", "Mar", "FY26P")
    table = read_table(path.read_bytes())
    series = table.series("Current Account Balance")
    assert series.sheet == name == "BPM6_Summary"
    expected = {
        period: (grid[row][ord(col) - 65], status, f"{col}{row + 1}")
        for col, (period, status) in BPM6_COLUMNS.items()
    }
    assert {f.period: (f.value, f.status, f.cell) for f in series.figures} == expected
    assert (at(series, "2026-03").value, at(series, "2026-03").status) == (1070, "P")
    assert (at(series, "2026-02").value, at(series, "2026-02").status) == (231, "R")
    # every numeric cell of every row is read where it stands
    sheet = table.sheets[0]
    checked = 0
    for info in sheet.series_list:
        if info.ambiguous:
            continue
        for figure in table.series(info.name).figures:
            assert grid[figure.row - 1][figure.col - 1] == figure.value
            assert BPM6_COLUMNS[chr(64 + figure.col)][0] == figure.period
            checked += 1
    assert checked > 800


def test_real_exp_import_full_history(sbp_files: Path) -> None:
    path = sbp_files / "exp_import_BOP-2026-03.xls"
    _, grid = _calamine_grid(path)
    expected = {
        Month(line[0].year, line[0].month): (line[2], line[3], line[1] or None, r + 1)
        for r, line in enumerate(grid)
        if isinstance(line[0], dt.date)
    }
    table = read_table(path.read_bytes())
    value = table.series("Exports (BOP)", "Value")
    assert [f.start for f in value.figures] == months(Month(2014, 7), MAR26)
    assert len(value.figures) == len(expected) == 141
    for figure in value.figures:
        cell, _, status, row = expected[figure.start]
        assert (figure.value, figure.status, figure.cell) == (cell, status, f"C{row}")
    assert (round(at(value, "2026-03").value, 2), at(value, "2026-03").status) == (2525.99, "P")
    assert (round(at(value, "2026-02").value, 2), at(value, "2026-02").status) == (2480.03, "R")
    cumulative = table.series("Exports (BOP)", "Cumulative")
    for figure in cumulative.figures:
        assert figure.start == fiscal_year_start(figure.end.fiscal_year)
        assert figure.value == expected[figure.end][1]
    imports = table.series("Imports (BOP)", "Value")
    assert at(imports, "2026-03").value == grid[158][6]


@pytest.mark.parametrize("vintage", ["2026-02", "2026-03"])
def test_real_ebops_parts_match_the_ebops_parser(sbp_files: Path, vintage: str) -> None:
    body = (sbp_files / f"dt-{vintage}.xls").read_bytes()
    ebops = parse_ebops(body)
    table = read_table(body)
    generic: dict[tuple[str, str, str], tuple[float, str | None, str]] = {}
    labels = {obs.label for obs in ebops.observations}
    for label in labels:
        for part in ("Credit", "Debit", "Net"):
            try:
                series = table.series(label, part)
            except LayoutError as exc:  # 'N/A' in every debit cell of 9.2.5 and 10.3.5
                assert part == "Debit" and "has no figures" in str(exc)
                continue
            for f in series.figures:
                generic[(label, part.casefold(), f.period)] = (f.value, f.status, f.cell)
    want = {(o.label, o.flow, o.period): (o.value, o.status, o.cell) for o in ebops.observations}
    assert generic.keys() == want.keys()
    for key, (value, status, cell) in want.items():
        got = generic[key]
        assert math.isclose(got[0], value, rel_tol=1e-12) and got[1:] == (status, cell), key
    ict = table.series("9.\u00a0Telecommunications, Computer and information services", "credit")
    assert round(ict.months()[-1].value, 2) == {"2026-02": 363.81, "2026-03": 413.62}[vintage]


def test_real_inspect_listings_and_snippets(sbp_files: Path) -> None:
    cases = [
        ("Balancepayment_BPM6-2026-03.xls", "Current Account Balance", None, "months (3)"),
        ("exp_import_BOP-2026-03.xls", "Exports (BOP)", "Value", "months (141): 2014-07"),
        ("dt-2026-03.xls", "9.2 Computer services", "Credit", "ranges (2):"),
    ]
    for file, series, part, periods in cases:
        table = read_table((sbp_files / file).read_bytes())
        text = describe(table, source=file)
        lines = text.splitlines()
        assert any(periods in line for line in lines), file
        listed = [
            line[4:].split("  ")[0] for line in lines if line.startswith("    ") and line[4] != " "
        ]
        names = [info.name for info in table.sheets[0].series_list]
        assert [name for name in listed if name in names] == names
        url = f"https://www.sbp.org.pk/ecodata/{file.rsplit('-', 2)[0]}.xls"
        watches = _watches(watch_snippet(table, series, url=url, part=part))
        assert len(watches) == 1
        (watch,) = watches.values()
        assert set(watch) == {"url", "series", "record", "label"} | ({"part"} if part else set())
        assert watch["url"] == url and watch["record"] == "high"
        assert _read_back(table, watch).figures
    bpm6 = read_table((sbp_files / "Balancepayment_BPM6-2026-03.xls").read_bytes())
    text = describe(bpm6)
    assert "    2026-03  P  'Mar / FY26P' at I5" in text.splitlines()
    assert "    2025-07/2026-03  P  'Jul-Mar / FY26P' at K5" in text.splitlines()
