"""Monthly exports as a PNG (matplotlib Agg): bars, records, fiscal years, 12-month average."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from itx_scraper.alerts.events import is_record
from itx_scraper.core.errors import ItxError
from itx_scraper.core.periods import MONTH_ABBR, Month, fiscal_year_label
from itx_scraper.core.sources import ICT, label

if TYPE_CHECKING:
    from itx_scraper.store import Store

logger = logging.getLogger(__name__)
INSTALL_HINT = "charts need matplotlib; install it with: pip install 'itx-scraper[chart]'"
TITLES = {
    ICT: "Pakistan's IT exports: telecom, computer and information services (EBOPS 9)",
    "services": "Pakistan's services exports (all EBOPS services)",
}
BAR, RECORD, AVERAGE, BOUNDARY = "#7fa7c9", "#d1495b", "#2e4057", "#9a9a9a"


class ChartError(ItxError):
    """The chart cannot be drawn (no data, unwritable path)."""


class ChartUnavailable(ChartError):
    """matplotlib, an optional extra, is not installed."""


@dataclass(frozen=True)
class Plan:
    """What the chart shows, decided without matplotlib (so it can be tested and reported)."""

    window: tuple[Month, ...]  # every calendar month shown, gaps included
    values: Mapping[Month, float]  # the whole history, so records and averages see it all
    records: tuple[Month, ...]  # months in the window that beat every earlier month
    average: Mapping[Month, float]  # trailing 12-month mean where all 12 months are known
    boundaries: tuple[Month, ...]  # Julys inside the window: a fiscal year starts there
    sources: Mapping[Month, str] = field(default_factory=dict)  # where each month comes from

    @property
    def credit(self) -> str:
        """The sources of the months drawn, e.g. 'SBP EBOPS workbook (2023-10 … 2024-06);
        bundled history (2021-07 … 2023-09)'."""
        spans: dict[str, list[Month]] = {}
        for month in self.window:
            if month in self.sources:
                spans.setdefault(self.sources[month], []).append(month)
        ordered = sorted(spans.items(), key=lambda item: max(item[1]), reverse=True)
        return "; ".join(
            f"{label(source)} ({min(months)} … {max(months)})"
            if len(months) > 1
            else f"{label(source)} ({months[0]})"
            for source, months in ordered
        )


@dataclass(frozen=True)
class ChartInfo:
    path: Path
    plan: Plan

    def describe(self) -> str:
        window = self.plan.window
        records = ", ".join(map(str, self.plan.records)) or "none"
        return (
            f"wrote {self.path} ({window[0]} to {window[-1]}, {len(window)} months; "
            f"record months: {records}; sources: {self.plan.credit})"
        )


def plan(rows: Sequence[Mapping[str, Any]], months: int, *, low: bool = False) -> Plan:
    """Window of the last ``months`` calendar months up to the newest stored month; records
    are new highs (``low``: new lows)."""
    values = {Month.parse(row["period"]): float(row["usd_million"]) for row in rows}
    sources = {Month.parse(row["period"]): str(row["source"]) for row in rows}
    if not values:
        raise ChartError("no monthly figures stored yet; run `itx-scraper run` first")
    last = max(values)
    window = tuple(last.shift(-i) for i in range(max(months, 1) - 1, -1, -1))
    average = {}
    for month in window:
        year = [month.shift(-i) for i in range(12)]
        if all(m in values for m in year):
            average[month] = sum(values[m] for m in year) / 12
    return Plan(
        window=window,
        values=values,
        records=tuple(m for m in window if is_record(values, m, low=low)[0]),
        average=average,
        boundaries=tuple(m for m in window[1:] if m.month == 7),
        sources=sources,
    )


def _matplotlib() -> tuple[Any, Any, Any, Any]:
    """Import matplotlib lazily: it is an optional extra and slow to import."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
    except ImportError as exc:
        raise ChartUnavailable(INSTALL_HINT) from exc
    return Figure, FigureCanvasAgg, Patch, Line2D


def _tick_step(count: int) -> int:
    return 1 if count <= 15 else 3 if count <= 48 else 6 if count <= 96 else 12


@dataclass(frozen=True)
class Labels:
    """The words of a chart: its title, y axis and legend."""

    title: str
    unit: str = "US$ million per month"
    bars: str = "monthly exports"
    record: str | None = "all-time monthly record"  # None: the chart marks no records

    @classmethod
    def of_series(cls, series: str) -> Labels:
        return cls(TITLES.get(series, f"Pakistan's exports of EBOPS {series} services"))

    @classmethod
    def of_watch(cls, watch: Mapping[str, Any], unit: str | None) -> Labels:
        record = {"low": "all-time monthly low", "high": "all-time monthly high"}
        return cls(
            f"{watch.get('label') or watch['series']} (watch {watch['name']})",
            "percent" if unit == "percent" else "US$ million per month",
            "monthly value",
            record.get(watch.get("record") or "high"),  # record = "none": no records
        )


def draw(chart: Plan, output: Path, *, series: str = ICT, labels: Labels | None = None) -> Path:
    """Render ``chart`` to a PNG at ``output``."""
    labels = labels or Labels.of_series(series)
    figure_class, canvas_class, patch_class, line_class = _matplotlib()
    if not output.parent.is_dir():
        raise ChartError(f"cannot write {output}: directory {output.parent} does not exist")
    figure = figure_class(figsize=(11, 5.5), dpi=100)
    canvas_class(figure)  # the Agg canvas: no display, no global pyplot state
    axes = figure.add_subplot()
    position = {month: i for i, month in enumerate(chart.window)}
    shown = [m for m in chart.window if m in chart.values]
    records = set(chart.records)
    axes.bar(
        [position[m] for m in shown],
        [chart.values[m] for m in shown],
        width=0.8,
        color=[RECORD if m in records else BAR for m in shown],
    )
    if chart.average:
        months = sorted(chart.average)
        axes.plot(
            [position[m] for m in months],
            [chart.average[m] for m in months],
            color=AVERAGE,
            linewidth=2,
        )
    top = max(0.0, *(chart.values[m] for m in shown))
    bottom = min(0.0, *(chart.values[m] for m in shown))
    if top == bottom:
        top = 1.0
    axes.set_ylim(bottom * 1.1, top * 1.1)  # a balance goes below zero
    above = axes.get_xaxis_transform()  # x in data, y in axes fractions
    for month in chart.boundaries:
        x = position[month] - 0.5
        axes.axvline(x, color=BOUNDARY, linestyle="--", linewidth=0.9)
        axes.text(
            x + 0.2,
            1.01,
            fiscal_year_label(month.fiscal_year),
            transform=above,
            fontsize=8,
            color="#555555",
            va="bottom",
        )
    for month in chart.records:
        below = chart.values[month] < 0
        axes.annotate(
            f"{chart.values[month]:,.0f}",
            (position[month], chart.values[month]),
            xytext=(0, -2 if below else 2),
            textcoords="offset points",
            ha="center",
            va="top" if below else "bottom",
            fontsize=7,
            color=RECORD,
            fontweight="bold",
        )
    step = _tick_step(len(chart.window))
    ticks = [i for i, m in enumerate(chart.window) if (m.index - chart.window[0].index) % step == 0]
    axes.set_xticks(ticks)
    axes.set_xticklabels(
        [
            f"{MONTH_ABBR[chart.window[i].month - 1].capitalize()}-{chart.window[i].year % 100:02d}"
            for i in ticks
        ],
        rotation=45,
        ha="right",
        fontsize=8,
    )
    axes.set_xlim(-0.7, len(chart.window) - 0.3)
    axes.set_ylabel(labels.unit)
    axes.set_title(labels.title, fontsize=12, pad=18)
    axes.grid(axis="y", color="#e5e5e5")
    axes.set_axisbelow(True)
    handles = [patch_class(color=BAR, label=labels.bars)]
    if labels.record:
        handles.append(patch_class(color=RECORD, label=labels.record))
    if chart.average:
        handles.append(line_class([], [], color=AVERAGE, linewidth=2, label="12-month average"))
    if chart.boundaries:
        handles.append(
            line_class([], [], color=BOUNDARY, linestyle="--", label="fiscal year starts (July)")
        )
    figure.legend(
        handles=handles,
        loc="lower center",
        fontsize=8,
        frameon=False,
        ncols=len(handles),
        bbox_to_anchor=(0.5, 0.035),
    )
    figure.text(
        0.01,
        0.01,
        f"Sources: {chart.credit}. Chosen vintage per month (best-ranked source, latest"
        " release). Chart: itx-scraper.",
        fontsize=7,
        color="#666666",
    )
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    try:
        figure.savefig(output, format="png")
    except OSError as exc:
        raise ChartError(f"cannot write {output}: {exc.strerror or exc}") from exc
    return output


class RecordCharts:
    """Attachments for the outbox: record alerts carry the chart where Apprise can attach it.

    Drawn once per series per drain, in a scratch folder removed on exit.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.scratch: tempfile.TemporaryDirectory[str] | None = None
        self.paths: dict[str, str | None] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.scratch is not None:
            self.scratch.cleanup()

    def __call__(self, delivery: Mapping[str, Any], destination: Any) -> list[str]:
        if delivery["kind"] != "record" or not destination.service.attachment_support:
            return []
        series = self.store.alert_series(delivery["alert_id"]) or ICT
        if series not in self.paths:
            self.paths[series] = self._draw(series)
        path = self.paths[series]
        return [path] if path else []

    def _draw(self, series: str) -> str | None:
        if self.scratch is None:
            self.scratch = tempfile.TemporaryDirectory(prefix="itx-chart-")
        output = Path(self.scratch.name) / f"itx-scraper-{series}.png"
        try:
            watch = self.store.watch(series)
            if watch is not None:
                render_watch(self.store, output, watch)
            else:
                render(self.store, output, series=series)
        except ChartUnavailable:
            logger.info("matplotlib is not installed; record alerts go out without the chart")
            return None
        except Exception:  # a chart must never hold back an alert
            logger.exception("drawing the chart for a record alert failed; sending without it")
            return None
        return str(output)


def render(store: Store, output: Path, *, series: str = ICT, months: int = 36) -> ChartInfo:
    """Chart the chosen monthly values of ``series`` from the store."""
    chart = plan(store.best_monthly(series), months)
    return ChartInfo(draw(chart, output, series=series), chart)


def render_watch(
    store: Store, output: Path, watch: Mapping[str, Any], months: int = 36
) -> ChartInfo:
    """Chart a watch's chosen monthly values (``watch_monthly``); ``watch`` is its row of the
    ``watches`` table."""
    rows = [{**row, "usd_million": row["value"]} for row in store.watch_monthly(watch["name"])]
    chart = plan(rows, months, low=watch.get("record") == "low")
    unit = rows[-1]["unit"] if rows else None
    labels = Labels.of_watch(watch, "percent" if unit == "percent" else None)
    if labels.record is None:
        chart = replace(chart, records=())
    return ChartInfo(draw(chart, output, series=watch["name"], labels=labels), chart)
