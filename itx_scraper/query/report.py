"""Plain-text tables for the terminal (``show``, ``alerts``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from itx_scraper.core.periods import Month

if TYPE_CHECKING:
    from itx_scraper.store import Store


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


def monthly_table(rows: Sequence[Mapping[str, Any]], months: int) -> str:
    """The latest ``months`` months with MoM and YoY change (US$ million)."""
    if not rows:
        return "no monthly figures stored yet; run `itx-scraper run` first"
    values = {Month.parse(r["period"]): float(r["usd_million"]) for r in rows}
    body = []
    for row in rows[-months:]:
        month = Month.parse(row["period"])
        value = float(row["usd_million"])
        body.append(
            [
                row["period"],
                f"{value:,.2f}",
                _pct(value, values.get(month.shift(-1))),
                _pct(value, values.get(month.shift(-12))),
                row["status"] or "",
                row["source"],
            ]
        )
    return table(["period", "usd_million", "mom", "yoy", "status", "source"], body, {1, 2, 3})


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
