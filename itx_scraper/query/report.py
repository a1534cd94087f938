"""Plain-text tables for the terminal (``show``, ``alerts``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from itx_scraper.core.errors import ItxError
from itx_scraper.core.periods import Month

if TYPE_CHECKING:
    from collections.abc import Collection

    from itx_scraper.store import Store


class ReportError(ItxError):
    """What was asked for is not in the database."""


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Align columns; ``right`` holds the indexes of numeric columns."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _pct(new: float, old: float | None) -> str:
    return f"{(new / old - 1) * 100:+.1f}%" if old else ""


def _change_rows(
    rows: Sequence[Mapping[str, Any]],
    months: int,
    value_key: str,
    change: Callable[[float, float | None], str],
) -> list[list[str]]:
    """period, value, change from the month before and the year before, status, source."""
    values = {Month.parse(r["period"]): float(r[value_key]) for r in rows}
    body = []
    for row in rows[-months:]:
        month = Month.parse(row["period"])
        value = float(row[value_key])
        body.append(
            [
                row["period"],
                f"{value:,.2f}",
                change(value, values.get(month.shift(-1))),
                change(value, values.get(month.shift(-12))),
                row["status"] or "",
                row["source"],
            ]
        )
    return body


def monthly_table(rows: Sequence[Mapping[str, Any]], months: int) -> str:
    """The latest ``months`` months with MoM and YoY change (US$ million)."""
    if not rows:
        return "no monthly figures stored yet; run `itx-scraper run` first"
    body = _change_rows(rows, months, "usd_million", _pct)
    return table(["period", "usd_million", "mom", "yoy", "status", "source"], body, {1, 2, 3})


def _change(new: float, old: float | None) -> str:
    return f"{new - old:+,.2f}" if old is not None else ""


def watch_table(rows: Sequence[Mapping[str, Any]], months: int) -> str:
    """A watch's latest ``months`` months with the change from the month and the year before
    (differences, not percentages: a balance changes sign)."""
    if not rows:
        return "no monthly figures stored for this watch yet; run `itx-scraper run` first"
    body = _change_rows(rows, months, "value", _change)
    unit = "percent" if rows[-1].get("unit") == "percent" else "usd_million"
    headers = ["period", unit, "mom_change", "yoy_change", "status", "source"]
    return table(headers, body, {1, 2, 3})


def require_watch(name: str, configured: Collection[str], stored: Mapping[str, Any] | None) -> None:
    """Refuse, naming the configured watches, a watch that is neither configured nor stored."""
    if name in configured or stored is not None:
        return
    listed = ", ".join(sorted(configured)) or "none ([watches.<name>] in the config)"
    raise ReportError(f"no watch named {name!r}; configured watches: {listed}")


MAX_ERROR_LINES = 10  # per source and run; the fetches table keeps every one


def fetch_lines(
    fetches: Sequence[Mapping[str, Any]], failing: Mapping[str, str], statements: Collection[str]
) -> list[str]:
    """What ``run`` prints of its fetches: a progress line per fetch that worked; for a source
    that failed (``failing``, by the one failure rule) ``error:`` lines — one for a file source
    (its last URL; earlier ones are counted), one per failed page of a statement source, at most
    MAX_ERROR_LINES — and a ``warning:`` for a failed URL of a file source whose fallback worked."""
    lines: list[str] = []
    errors: dict[str, list[Mapping[str, Any]]] = {}
    for fetch in fetches:
        if fetch["status"] == "error":
            errors.setdefault(fetch["source"], []).append(fetch)
        else:
            lines.append(f"{fetch['source']}: {_describe(fetch)}")
    for source, failed in errors.items():
        if source not in failing:
            lines += [f"warning: {_error(f)}; another URL of {source} worked" for f in failed]
            continue
        if source not in statements:
            earlier = f" (after {len(failed) - 1} other URL(s) failed)" if len(failed) > 1 else ""
            lines.append(f"error: {_error(failed[-1])}{earlier}")
            continue
        lines += [f"error: {_error(f)}" for f in failed[:MAX_ERROR_LINES]]
        if len(failed) > MAX_ERROR_LINES:
            lines.append(
                f"error: {source}: and {len(failed) - MAX_ERROR_LINES} more failed pages"
                " (itx-scraper status, or the fetches table)"
            )
    return lines


def _error(fetch: Mapping[str, Any]) -> str:
    kind, error = fetch["error_class"], fetch["error"] or ""
    error = error.removeprefix(f"{kind}: ")  # parser messages name their class already
    return f"{fetch['source']}: {kind}: {error} ({fetch['url']})"


def _describe(fetch: Mapping[str, Any]) -> str:
    if fetch["status"] == "not_modified":
        return "not modified"
    return f"new release {fetch['release_id']} ({fetch['bytes']:,} bytes)"


def require_series(store: Store, series: str) -> None:
    """Refuse, naming the stored series, a series that has no monthly figures."""
    stored = store.monthly_series()
    if series in stored:
        return
    shown = ", ".join(stored[:12]) + (", …" if len(stored) > 12 else "")
    raise ReportError(
        f"series {series} has no monthly figures; stored series: {shown or 'none yet'}"
    )


def alerts_table(store: Store, limit: int) -> str:
    """Recent alerts, newest first, each with one line per destination."""
    alerts = store.recent_alerts(limit)
    if not alerts:
        return "no alerts yet"
    lines = []
    for alert in alerts:
        state = f"delivered {alert['delivered_at']}" if alert["delivered_at"] else "PENDING"
        lines.append(
            f"#{alert['id']} {alert['created_at']} {alert['kind']} {alert['period'] or ''} "
            f"{state}: {alert['title']}"
        )
        for delivery in store.deliveries_of(alert["id"]):
            error = f" ({delivery['last_error']})" if delivery["last_error"] else ""
            lines.append(
                f"    {delivery['status']:<8} {delivery['target']} "
                f"attempts={delivery['attempts']}{error}"
            )
    return "\n".join(lines)
