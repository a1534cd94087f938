"""Stable CSV/JSON exports: the same database always gives byte-identical output (git scraping)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itx_scraper.core.errors import ItxError
from itx_scraper.query.report import require_series

if TYPE_CHECKING:
    from itx_scraper.store import Store

FORMATS = ("csv", "json")
SUFFIXES = ("", "-wal", "-shm", "-journal")  # the database's own files
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

WATCH_COLUMNS = (
    "watch",
    "period",
    "period_start",
    "period_end",
    "months",
    "value",
    "unit",
    "status",
    "source",
)
WATCH_VINTAGE_COLUMNS = (
    "watch",
    "period",
    "period_start",
    "period_end",
    "months",
    "value",
    "unit",
    "status",
    "release_id",
    "source",
    "retrieved_at",
    "url",
    "sheet",
    "cell",
)


def rows(
    store: Store, *, series: Sequence[str] = (), vintages: bool = False, watch: str | None = None
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns and rows of an export, already in their stable order."""
    if watch is not None:
        columns = WATCH_VINTAGE_COLUMNS if vintages else WATCH_COLUMNS
        return columns, store.export_watch(watch, vintages=vintages)
    for name in series:  # a typo must not become an empty file in someone's git history
        require_series(store, name)
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


class ExportError(ItxError):
    """The export cannot be written where asked."""


def write_file(output: Path, text: str, *, database: Path, force: bool = False) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file.

    Refuses the database itself (and its -wal/-shm files), a symlink, anything that is not a
    regular file, and an existing file unless ``force``: an export must never destroy data.
    """
    # Folders resolved (``..``, symlinked folders); the last part is checked as a link below.
    target = Path(os.path.realpath(output.parent)) / output.name
    base = Path(os.path.realpath(database))
    protected = [base.with_name(base.name + suffix) for suffix in SUFFIXES]
    if target in protected or any(_same_file(target, path) for path in protected):
        raise ExportError(f"refusing to write the export over the database: {output}")
    if output.is_symlink():
        raise ExportError(f"refusing to write through a symbolic link: {output}")
    if output.exists():
        if not output.is_file():
            raise ExportError(f"refusing to replace {output}: it is not a regular file")
        if not force:
            raise ExportError(f"{output} exists; give --force to replace it")
    partial = output.with_name(f".{output.name}.partial")
    try:
        partial.write_bytes(text.encode("utf-8"))
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {output}: {exc.strerror or exc}") from exc


def _same_file(one: Path, other: Path) -> bool:
    """The same inode (a hard link to the database or its -wal); False when either is absent."""
    try:
        return one.samefile(other)
    except OSError:
        return False
