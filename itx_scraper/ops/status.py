"""``itx-scraper status``: source health, release calendar, last run and outbox, for monitoring."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from itx_scraper.core import exitcodes
from itx_scraper.ops import checks, health

if TYPE_CHECKING:
    from itx_scraper.core.config import Config
    from itx_scraper.store import Store


@dataclass
class Status:
    """Everything ``status`` shows; ``problems`` decide the exit code."""

    now: str
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_run: dict[str, Any] | None = None
    deliveries: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return exitcodes.FAILED if self.problems else exitcodes.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "ok": not self.problems,
            "problems": self.problems,
            "sources": self.sources,
            "last_run": self.last_run,
            "deliveries": self.deliveries,
        }


def _attempt(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    keys = ("started_at", "status", "http_status", "error_class", "error", "url")
    return {key: row.get(key) for key in keys}


def _success(attempt: health.Attempt | None) -> dict[str, Any] | None:
    """The newest attempt that succeeded by the one failure rule (health.failing_fetch)."""
    if attempt is None:
        return None
    return {"started_at": attempt.started_at, "url": attempt.url}


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect(store: Store, config: Config, now: datetime) -> Status:
    """Read the state of every configured source, the last run and the outbox."""
    rules = health.HealthRules.from_config(config)
    status = Status(now=now.isoformat(timespec="seconds"))
    watched = set(config.run_sources)
    forecasts = checks.forecasts(store, config.run_sources, config.watches)
    urls = {name: source.url for name, source in config.sources.items()}
    urls.update((name, watch.url) for name, watch in config.watches.items())  # watches too
    for name, url in urls.items():
        current = checks.source_streak(store, name)
        change = store.last_new_release(name)
        forecast = forecasts.get(name)
        info: dict[str, Any] = {
            "enabled": name in watched,
            "url": url,
            "last_attempt": _attempt(store.last_fetch(name)),
            "last_success": _success(current.last_success),
            "last_change": change
            and {
                "retrieved_at": change["retrieved_at"],
                "latest_period": change["latest_period"],
                "release_id": change["id"],
            },
            "consecutive_failures": current.failures,
            "next_release": forecast.as_dict(now.date(), rules.overdue_days) if forecast else None,
        }
        status.sources[name] = info
        if name not in watched:
            continue
        if current.failures >= rules.failures:
            last = info["last_attempt"] or {}
            status.problems.append(
                f"{name}: {current.failures} consecutive failed attempts "
                f"(last: {last.get('error_class')}: {last.get('error')})"
            )
        late = forecast is not None and forecast.state(now.date(), rules.overdue_days) == "overdue"
        if rules.overdue and forecast and late:
            status.problems.append(
                f"{name}: {forecast.period.label} is overdue (due by {forecast.due.isoformat()})"
            )
    status.last_run = _last_run(store, status.problems)
    by_target = store.pending_by_target()
    retrying = sum(int(row["retrying"] or 0) for row in by_target)
    status.deliveries = {
        "pending": sum(int(row["pending"]) for row in by_target),
        "retrying": retrying,
        "by_target": [
            {k: row[k] for k in ("target", "pending", "retrying", "oldest_attempt")}
            for row in by_target
        ],
    }
    if retrying:
        status.problems.append(f"{retrying} alert delivery(ies) pending after a failed attempt")
    return status


def _last_run(store: Store, problems: list[str]) -> dict[str, Any] | None:
    run = store.last_run()
    if run is None:
        problems.append("no run has been recorded yet")
        return None
    summary = {
        "id": run["id"],
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "status": run["status"],
        "exit_code": run["exit_code"],
        "counts": json.loads(run["counts"] or "{}"),
        "errors": json.loads(run["errors"] or "{}"),
    }
    if run["status"] == "running":
        if pid_alive(run["pid"]):
            summary["status"] = "running"
        else:
            summary["status"] = "interrupted"
            problems.append(f"run {run['id']} started {run['started_at']} never finished")
    elif run["status"] != "ok":
        problems.append(f"the last run ({run['id']}) {run['status']} with exit {run['exit_code']}")
    return summary


def render(status: Status) -> str:
    """Plain-text report; targets are already in Apprise's privacy form."""
    lines = [f"itx-scraper status at {status.now}", ""]
    header = ("source", "last attempt", "last success", "last change", "fails", "next release")
    rows = [header]
    for name, info in status.sources.items():
        last = info["last_attempt"]
        success = info["last_success"]
        change = info["last_change"]
        nxt = info["next_release"]
        rows.append(
            (
                name + ("" if info["enabled"] else " (not run)"),
                f"{last['started_at'][:16]} {last['error_class'] or last['status']}"
                if last
                else "-",
                success["started_at"][:16] if success else "-",
                f"{change['retrieved_at'][:10]} ({change['latest_period']})" if change else "-",
                str(info["consecutive_failures"]),
                f"{nxt['period']} by {nxt['due']} ({nxt['state']})" if nxt else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    run = status.last_run
    lines.append("")
    if run:
        counts = run["counts"].get("fetches", {})
        lines.append(
            f"last run {run['id']}: {run['status']}"
            + (f", exit {run['exit_code']}" if run["exit_code"] is not None else "")
            + f", started {run['started_at']}"
            + (f", fetches {json.dumps(counts, sort_keys=True)}" if counts else "")
        )
    else:
        lines.append("last run: none")
    deliveries = status.deliveries
    lines.append(
        f"deliveries pending: {deliveries['pending']} "
        f"({deliveries['retrying']} after a failed attempt)"
    )
    for row in deliveries["by_target"]:
        lines.append(f"  {row['target']}: {row['pending']} pending, {row['retrying']} retrying")
    lines.append("")
    if status.problems:
        lines.append("ATTENTION:")
        lines += [f"  - {problem}" for problem in status.problems]
    else:
        lines.append("all well")
    return "\n".join(lines)
