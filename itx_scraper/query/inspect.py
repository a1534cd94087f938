"""Describe what the SBP table reader finds in a workbook and write ready [watches.<name>] snippets."""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from itx_scraper.core.errors import ItxError, TooLargeError
from itx_scraper.core.periods import Month
from itx_scraper.core.urls import origins, refusal
from itx_scraper.parsers.ebops import cell_ref
from itx_scraper.parsers.sbp_table import ACROSS, PERCENT, QUALIFIER, display_label

if TYPE_CHECKING:
    from itx_scraper.core.urls import Origin
    from itx_scraper.parsers.sbp_table import Period, SeriesInfo, SheetTable, Table

RECORDS = ("high", "low", "none")
LIST_ALL_MONTHS = 12  # longer month lists are shown as runs
NAME_LIMIT = 60
_NAME_RE = re.compile(r"[^a-z0-9]+")
_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_LINK_WORDS = frozenset({"and", "of", "the", "in", "on", "for", "with", "from", "to"})


def _letter(col: int) -> str:
    """1-based column number to its letters: 2 -> 'B'."""
    return cell_ref(0, col - 1)[:-1]


def _status(status: str | None) -> str:
    return status or "-"


def _month_runs(periods: list[Period]) -> list[tuple[Month, Month, int, str | None]]:
    """Consecutive months with the same status: (first, last, count, status)."""
    runs: list[tuple[Month, Month, int, str | None]] = []
    for period in sorted(periods, key=lambda p: p.start):
        if runs:
            first, last, count, status = runs[-1]
            if period.start == last.shift(1) and period.status == status:
                runs[-1] = (first, period.start, count + 1, status)
                continue
        runs.append((period.start, period.start, 1, period.status))
    return runs


def _period_lines(periods: tuple[Period, ...]) -> list[str]:
    months = [period for period in periods if period.is_month]
    ranges = [period for period in periods if not period.is_month]
    lines: list[str] = []
    if months:
        first, last = min(p.start for p in months), max(p.start for p in months)
        latest = max(months, key=lambda p: p.start)
        lines.append(
            f"  months ({len(months)}): {first} to {last}, latest {latest.period}"
            f" {_status(latest.status)}"
        )
        if len(months) <= LIST_ALL_MONTHS:
            for period in months:
                lines.append(
                    f"    {period.period}  {_status(period.status)}  {period.header!r} at"
                    f" {period.cell}"
                )
        else:
            for start, end, count, status in _month_runs(months):
                span = str(start) if count == 1 else f"{start} to {end} ({count} months)"
                lines.append(f"    {span}  {_status(status)}")
    if ranges:
        lines.append(f"  ranges ({len(ranges)}):")
        for period in ranges:
            lines.append(
                f"    {period.period}  {_status(period.status)}  {period.header!r} at {period.cell}"
            )
    return lines


def _series_line(info: SeriesInfo, sheet: SheetTable) -> str:
    text = info.name
    fytd = sheet.fytd_parts(info)
    if info.parts:
        shown = [f"{p} (fiscal year to date)" if p in fytd else p for p in info.parts]
        text += f"  [parts: {' | '.join(shown)}]"
    elif None in fytd:
        text += "  (fiscal year to date)"
    if info.unit == PERCENT:
        text += "  (percent)"
    if info.ambiguous:
        text += f"  (label repeats; not selectable, at {info.cell})"
    return f"    {text}"


def describe_sheet(sheet: SheetTable) -> list[str]:
    """Lines describing one sheet's table."""
    lines = [f"sheet {sheet.name!r}"]
    lines.append(f"  unit: {sheet.unit!r} at {sheet.unit_cell} = US$ {sheet.scale}")
    rows = sheet.header_rows
    header_rows = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]}-{rows[-1]}"
    if sheet.orientation == ACROSS:
        lines.append(
            f"  orientation: periods across the columns (headers in {header_rows}),"
            f" series down column {_letter(sheet.label_col)}"
        )
    else:
        lines.append(
            f"  orientation: periods down column {_letter(sheet.label_col)},"
            f" series across the columns (headers in {header_rows})"
        )
    if sheet.marker:
        lines.append(f"  P/R status from the markers in {sheet.marker}")
    lines.extend(_period_lines(sheet.periods))
    lines.append(f"  series ({len(sheet.series_list)}):")
    lines.extend(_series_line(info, sheet) for info in sheet.series_list)
    return lines


def describe(table: Table, *, source: str | None = None) -> str:
    """Text listing of a workbook: sheets, unit, orientation, periods with status, series."""
    names = ", ".join(repr(name) for name in table.sheet_names)
    head = f"{source}: " if source else ""
    lines = [f"{head}{table.format} workbook, sheets: {names}"]
    for sheet in table.sheets:
        lines.append("")
        lines.extend(describe_sheet(sheet))
    for name, problem in table.problems:
        lines.append("")
        lines.append(f"sheet {name!r}: no readable table ({problem})")
    return "\n".join(lines) + "\n"


def watch_name(label: str, part: str | None = None) -> str:
    """A snake_case watch name from a series label (and part): 'Exports (BOP)' -> 'exports_bop'."""
    base = _NAME_RE.sub("_", display_label(label.replace(QUALIFIER, " ")).casefold()).strip("_")
    if len(base) > NAME_LIMIT:
        words = base[: NAME_LIMIT + 1].split("_")[:-1]
        while len(words) > 1 and words[-1] in _LINK_WORDS:
            words.pop()
        base = "_".join(words)
    if part:
        suffix = _NAME_RE.sub("_", part.casefold()).strip("_")
        base = f"{base}_{suffix}" if suffix else base
    base = base or "series"
    return f"series_{base}" if base[0].isdigit() else base


def _toml(value: str) -> str:
    """A TOML basic string (JSON escapes are valid TOML escapes)."""
    return json.dumps(value, ensure_ascii=False)


def watch_snippet(
    table: Table,
    series: str,
    *,
    url: str,
    part: str | None = None,
    sheet: str | None = None,
    name: str | None = None,
    record: str = "high",
    label: str | None = None,
) -> str:
    """TOML ``[watches.<name>]`` tables for a series, checked against the workbook.

    Without ``part``, a series with parts gets one table per part. Raises LayoutError when the
    series (or part) cannot be read, so a printed snippet always works with this workbook.
    """
    if record not in RECORDS:
        raise ValueError(f"record must be one of {', '.join(RECORDS)}, not {record!r}")
    found = table.locate(series, sheet)
    info = found.info(series)
    if part:
        parts: list[str | None] = [part]
    else:  # a fiscal-year-to-date part cannot be watched; the rest can
        cumulative = found.fytd_parts(info)
        parts = [p for p in info.parts if p not in cumulative] or [None]
    blocks: list[str] = []
    for chosen in parts:
        found.monthly_series(info.name, chosen)  # the rule the spider applies: reads as printed
        suffix = chosen if len(parts) > 1 or len(info.parts) > 1 else None
        if name:
            key = name if len(parts) == 1 else watch_name(name, chosen)
        else:
            key = watch_name(info.name, suffix)
        key = key if _BARE_KEY_RE.match(key) else _toml(key)
        shown = label or info.name.replace(QUALIFIER, ": ")
        if chosen and not label and len(info.parts) > 1:
            shown = f"{shown}, {chosen}"
        lines = [f"[watches.{key}]", f"url = {_toml(url)}", f"series = {_toml(info.name)}"]
        if chosen is not None:
            lines.append(f"part = {_toml(chosen)}")
        if len(table.sheet_names) > 1:
            lines.append(f"sheet = {_toml(found.name)}")
        lines.append(f"record = {_toml(record)}")
        lines.append(f"label = {_toml(shown)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


# -- fetching a workbook once ---------------------------------------------------------------


class FetchError(ItxError):
    """``inspect`` could not fetch the workbook (refused URL, HTTP error, network)."""


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the host and port (and http or https) of the URL asked for."""

    def __init__(self, allowed: frozenset[Origin]) -> None:
        self.allowed = allowed

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        reason = refusal(newurl, self.allowed)
        if reason is not None:
            fp.close()  # the redirect's own answer: its socket must not outlive the refusal
            raise FetchError(f"refused redirect from {req.full_url} to {newurl[:200]}: {reason}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_workbook(url: str, *, user_agent: str, max_bytes: int, timeout: float) -> bytes:
    """GET ``url`` once, as a run would: identified by ``user_agent``, http(s) only, to its
    own host and port (redirects too), at most ``max_bytes``."""
    allowed = origins([url])
    reason = refusal(url, allowed)
    if reason is not None:
        raise FetchError(f"cannot fetch {url[:200]}: {reason}")
    opener = urllib.request.build_opener(_SameOrigin(allowed))
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length") or ""
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooLargeError(f"{url} is {int(declared):,} bytes, over {max_bytes:,}")
            body = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise FetchError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        raise FetchError(f"cannot fetch {url}: {why}") from exc
    if len(body) > max_bytes:
        raise TooLargeError(f"{url} is over {max_bytes:,} bytes (http.max_bytes)")
    return bytes(body)
