"""Stable CSV/JSON exports: the same database always gives byte-identical output (git scraping)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itx_scraper.store import Store

FORMATS = ("csv", "json")
BEST_COLUMNS = (
    "series",
    "flow",
    "period",
    "period_start",
    "period_end",
    "months",
    "usd_million",
    "status",
    "source",
)
VINTAGE_COLUMNS = (
    "series",
    "flow",
    "period",
    "period_start",
    "period_end",
    "months",
    "usd_million",
    "status",
    "release_id",
    "source",
    "retrieved_at",
    "url",
    "sheet",
    "cell",
)


def rows(
    store: Store, *, series: Sequence[str] = (), vintages: bool = False
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns and rows of an export, already in their stable order."""
    if vintages:
        return VINTAGE_COLUMNS, store.export_vintages(series)
    return BEST_COLUMNS, store.export_best(series)


def _clean(value: Any) -> Any:
    # Values converted from thousands carry float noise (413.62000000000003); six decimals
    # keep every digit SBP publishes and make the text the same on every platform.
    return round(value, 6) if isinstance(value, float) else value


def render(columns: Sequence[str], records: Sequence[Mapping[str, Any]], fmt: str) -> str:
    """CSV (header + one line per row, '\\n' endings) or a JSON array with sorted keys."""
    cleaned = [{column: _clean(record[column]) for column in columns} for record in records]
    if fmt == "json":
        return json.dumps(cleaned, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(cleaned)
    return out.getvalue()
