"""Write PDFs in the layout of SBP's ExportsImports-Goods.pdf (sources.md §3) for parser tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fpdf import FPDF

from itx_scraper.core.periods import (
    MONTH_ABBR,
    Month,
    fiscal_year_label,
    fiscal_year_start,
    fytd_range,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

DEFAULT_ICT_LABEL = "9. Telecommunications, Computer, and Information Services"
DEFAULT_SERVICES_LABEL = "2. Exports of Services"

_PAGE_LEFT = 10.0  # mm
_LABEL_WIDTH = 92.0
_TABLE_WIDTH = 277.0  # A4 landscape less margins
_ROW_HEIGHT = 5.5
_FONT_SIZE = 8
_SERVICES_FACTOR = 2.3  # placeholder services = ICT x factor when no services figures are given


def _abbr(month: Month) -> str:
    return MONTH_ABBR[month.month - 1].capitalize()


@dataclass(frozen=True)
class _Column:
    period: str  # printed period label, e.g. 'Jul-Jun' or 'Jun'
    fiscal_year: int
    start: Month
    end: Month
    ytd_group: bool = False  # one of the two trailing YTD columns (label may be merged)

    @property
    def header(self) -> str:
        return f"{self.period} {fiscal_year_label(self.fiscal_year)}"


def _columns(
    latest: Month, full_fy: int, middle_columns: int, quarter_column: bool
) -> list[_Column]:
    current_fy = latest.fiscal_year
    cols = [_Column("Jul-Jun", full_fy, fiscal_year_start(full_fy), Month(full_fy, 6))]
    year_ago = latest.shift(-12)
    cols.append(_Column(_abbr(year_ago), year_ago.fiscal_year, year_ago, year_ago))
    if quarter_column:
        # last calendar quarter that ends before the previous month, e.g. Jan-Mar for a June release
        q_end = latest.shift(-2)
        while q_end.month % 3:
            q_end = q_end.shift(-1)
        q_start = q_end.shift(-2)
        label = f"{_abbr(q_start)}-{_abbr(q_end)}"
        cols.append(_Column(label, q_end.fiscal_year, q_start, q_end))
    for back in range(middle_columns + 1, 1, -1):
        month = latest.shift(-back)
        cols.append(_Column(_abbr(month), month.fiscal_year, month, month))
    previous = latest.shift(-1)
    cols.append(_Column(_abbr(previous), previous.fiscal_year, previous, previous))
    cols.append(_Column(_abbr(latest), current_fy, latest, latest))
    ytd_label = "Jul" if latest.month == 7 else f"Jul-{_abbr(latest)}"
    for fy in (current_fy - 1, current_fy):
        start, end = fytd_range(Month(fy - 1 if latest.month >= 7 else fy, latest.month))
        cols.append(_Column(ytd_label, fy, start, end, ytd_group=True))
    return cols


def _months(start: Month, end: Month) -> list[Month]:
    return [Month.from_index(i) for i in range(start.index, end.index + 1)]


def _resolve(
    name: str, col: _Column, months: Mapping[Month, float], ytd: Mapping[int, float]
) -> float:
    if col.start == col.end:
        if col.start not in months:
            raise ValueError(f"no {name} value for {col.start} (column {col.header!r})")
        return months[col.start]
    if col.start == fiscal_year_start(col.fiscal_year) and col.fiscal_year in ytd:
        return ytd[col.fiscal_year]
    missing = [str(m) for m in _months(col.start, col.end) if m not in months]
    if missing:
        raise ValueError(
            f"no {name} value for {', '.join(missing)} to sum column {col.header!r};"
            " pass the months or a ytd override"
        )
    return sum(months[m] for m in _months(col.start, col.end))


def format_value(value: float, negative_style: str = "parens") -> str:
    """Print like the SBP table: integers with thousands commas, negatives as (123) or -123."""
    text = f"{abs(value):,.0f}" if float(value).is_integer() else f"{abs(value):,}"
    if value >= 0:
        return text
    if negative_style == "parens":
        return f"({text})"
    if negative_style == "minus":
        return f"-{text}"
    raise ValueError(f"unknown negative_style {negative_style!r}")


def build_headline_pdf(
    latest: Month,
    ict: Mapping[Month, float],
    services: Mapping[Month, float] | None = None,
    *,
    ytd: Mapping[int, float] | None = None,
    services_ytd: Mapping[int, float] | None = None,
    middle_columns: int = 2,
    merged_ytd_label: bool = True,
    extra_rows: bool = True,
    full_fy: int | None = None,
    quarter_column: bool = False,
    ict_label: str | None = DEFAULT_ICT_LABEL,
    services_label: str | None = DEFAULT_SERVICES_LABEL,
    fy_header: bool = True,
    markers: Mapping[str, str] | None = None,
    cell_text: Mapping[tuple[str, str], str] | None = None,
    negative_style: str = "parens",
) -> bytes:
    """Return the bytes of a one-page PDF in the ExportsImports-Goods.pdf layout.

    Columns: ``Jul-Jun`` of ``full_fy`` (default: two fiscal years before ``latest``'s), the
    year-ago month, an optional calendar quarter (``quarter_column``, e.g. ``Jan-Mar``),
    ``middle_columns`` months before the previous month, the previous and latest months, then the
    prior- and current-FY YTD columns (``Jul-<latest>``, or ``Jul`` in a July release; printed
    once over both when ``merged_ytd_label``). Month values come from ``ict`` / ``services``
    (a missing month raises ``ValueError``); multi-month columns default to the sum of their
    months unless ``ytd`` / ``services_ytd`` give a value for that fiscal year. Without
    ``services`` every services cell is a placeholder (ICT x 2.3).

    Test switches: ``ict_label`` / ``services_label`` change the row label (``None`` drops the
    row; a ``\\n`` wraps it onto two lines with the values on the second), ``fy_header=False``
    drops the FY header line, ``markers`` maps a column header such as ``'Jun FY26'`` to ``'P'``
    or ``'R'`` (printed glued, ``FY26P``), ``cell_text`` maps ``('ict' | 'services', header)`` to
    the text printed in that cell, ``negative_style`` is ``'parens'`` or ``'minus'``.
    """
    if middle_columns < 0:
        raise ValueError("middle_columns must be >= 0")
    full_fy = latest.fiscal_year - 2 if full_fy is None else full_fy
    cols = _columns(latest, full_fy, middle_columns, quarter_column)
    ict_values = [_resolve("ICT", col, ict, ytd or {}) for col in cols]
    if services is None:
        services_values = [float(round(v * _SERVICES_FACTOR)) for v in ict_values]
    else:
        services_values = [_resolve("services", col, services, services_ytd or {}) for col in cols]
    markers = markers or {}
    cell_text = cell_text or {}

    def texts(key: str | None, values: list[float]) -> list[str]:
        return [
            cell_text.get((key, col.header), format_value(v, negative_style))
            if key
            else format_value(v, negative_style)
            for col, v in zip(cols, values, strict=True)
        ]

    def scaled(factor: float) -> Callable[[list[float]], list[float]]:
        return lambda values: [float(round(v * factor)) for v in values]

    rows: list[tuple[str, list[str]]] = []
    if extra_rows:
        goods_x = scaled(6.9)(ict_values)
        goods_m = scaled(14.1)(ict_values)
        rows += [
            ("1. Exports of Goods", texts(None, goods_x)),
            ("Imports of Goods", texts(None, goods_m)),
            (
                "Balance on Trade in Goods",
                texts(None, [x - m for x, m in zip(goods_x, goods_m, strict=True)]),
            ),
        ]
    if services_label is not None:
        rows.append((services_label, texts("services", services_values)))
    if extra_rows:
        services_m = scaled(1.2)(services_values)
        rows += [
            ("Imports of Services", texts(None, services_m)),
            (
                "Balance on Trade in Services",
                texts(None, [x - m for x, m in zip(services_values, services_m, strict=True)]),
            ),
        ]
    if ict_label is not None:
        rows.append((ict_label, texts("ict", ict_values)))
    if extra_rows:
        rows += [
            ("9.1 Telecommunications services", texts(None, scaled(0.15)(ict_values))),
            ("9.2 Computer services", texts(None, scaled(0.84)(ict_values))),
            ("9.3 Information services", texts(None, scaled(0.01)(ict_values))),
        ]

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(datetime(2026, 7, 20, tzinfo=UTC))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=11)
    y = 12.0
    pdf.set_xy(_PAGE_LEFT, y)
    pdf.cell(_TABLE_WIDTH, 6, "Exports and Imports of Goods and Services", align="C")
    y += 7
    pdf.set_font("Helvetica", size=_FONT_SIZE)
    pdf.set_xy(_PAGE_LEFT, y)
    pdf.cell(_TABLE_WIDTH, _ROW_HEIGHT, "(Million US$)", align="R")
    y += _ROW_HEIGHT + 2

    width = min(20.0, (_TABLE_WIDTH - _LABEL_WIDTH) / len(cols))
    x_of = [_PAGE_LEFT + _LABEL_WIDTH + i * width for i in range(len(cols))]

    # header line 1: period labels (the YTD label optionally once over both YTD columns)
    pdf.set_font("Helvetica", style="B", size=_FONT_SIZE)
    pdf.set_xy(_PAGE_LEFT, y)
    pdf.cell(_LABEL_WIDTH, _ROW_HEIGHT, "Items")
    i = 0
    while i < len(cols):
        col = cols[i]
        span = 2 if merged_ytd_label and col.ytd_group and i + 1 < len(cols) else 1
        pdf.set_xy(x_of[i], y)
        pdf.cell(width * span, _ROW_HEIGHT, col.period, align="C")
        i += span
    y += _ROW_HEIGHT
    # header line 2: fiscal years, status glued on as in the BPM6 summary ('FY26P')
    if fy_header:
        for col, x in zip(cols, x_of, strict=True):
            pdf.set_xy(x, y)
            label = fiscal_year_label(col.fiscal_year) + markers.get(col.header, "")
            pdf.cell(width, _ROW_HEIGHT, label, align="C")
        y += _ROW_HEIGHT
    pdf.set_draw_color(0)
    pdf.line(_PAGE_LEFT, y, _PAGE_LEFT + _LABEL_WIDTH + width * len(cols), y)
    y += 1

    pdf.set_font("Helvetica", size=_FONT_SIZE)
    for label, values in rows:
        first, _, rest = label.partition("\n")
        if rest:
            pdf.set_xy(_PAGE_LEFT, y)
            pdf.cell(_LABEL_WIDTH, _ROW_HEIGHT, first)
            y += _ROW_HEIGHT - 1.5
            first = "    " + rest
        pdf.set_xy(_PAGE_LEFT, y)
        pdf.cell(_LABEL_WIDTH, _ROW_HEIGHT, first)
        for text, x in zip(values, x_of, strict=True):
            pdf.set_xy(x, y)
            pdf.cell(width - 1.5, _ROW_HEIGHT, text, align="R")
        y += _ROW_HEIGHT
    y += 3
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(_PAGE_LEFT, y)
    pdf.cell(_TABLE_WIDTH, 4, "P: Provisional; R: Revised. Totals may not add up due to rounding.")
    pdf.set_xy(_PAGE_LEFT, y + 4)
    pdf.cell(_TABLE_WIDTH, 4, "Source: State Bank of Pakistan, Statistics & DWH Department")
    return bytes(pdf.output())
