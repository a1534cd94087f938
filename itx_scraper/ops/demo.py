"""Offline demo: serve the bundled SBP releases on 127.0.0.1 and replay the real pipeline."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import itx_scraper
from itx_scraper.core.errors import ItxError
from itx_scraper.core.periods import Month
from itx_scraper.core.sources import ICT
from itx_scraper.ingest import baseline_bytes
from itx_scraper.ops.loopback import Loopback
from itx_scraper.query import report
from itx_scraper.store import Store

PATH = "/ecodata/dt.xls"
STEP_TIMEOUT = 180  # seconds for one `itx-scraper run`; a step normally takes one or two
Echo = Callable[[str], None]


class DemoUsageError(ItxError):
    """The demo cannot start as asked (bad --notify URL, workdir already holds a database)."""


@dataclass(frozen=True)
class Release:
    """One bundled release: the month it publishes, its file, and when SBP put it out."""

    month: Month
    file: str
    published_at: str

    def body(self) -> bytes:
        return resources.files("itx_scraper").joinpath(f"demo/{self.file}").read_bytes()


def timeline() -> tuple[Month, list[Release]]:
    """The last month of imported history and the releases replayed after it."""
    manifest = json.loads(
        resources.files("itx_scraper").joinpath("demo/timeline.json").read_text("utf-8")
    )
    releases = [
        Release(Month.parse(item["month"]), item["file"], item["published_at"])
        for item in manifest["releases"]
    ]
    return Month.parse(manifest["history_until"]), releases


def notify_target(url: str) -> str:
    """Apprise's privacy rendering of ``url``; the raw URL is never printed."""
    import apprise

    from itx_scraper.alerts.notify import mask_url, unquoted_apprise

    with unquoted_apprise():
        service = apprise.Apprise.instantiate(url)
    if not service:
        raise DemoUsageError(f"--notify: not a valid Apprise URL: {mask_url(url)}")
    return str(service.url(privacy=True))


def history_csv(until: Month) -> str:
    """The bundled history up to ``until``: what a user would have imported before."""
    reader = csv.DictReader(io.StringIO(baseline_bytes().decode("utf-8-sig")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or ()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(row for row in reader if Month.parse(row["period"]) <= until)
    return out.getvalue()


def write_config(path: Path, url: str) -> None:
    path.write_text(
        "# Written by `itx-scraper demo`: one source, served on loopback, no bundled history.\n"
        f'[sources.sbp_ebops]\nurl = "{url}"\n\n'
        '[run]\nsources = ["sbp_ebops"]\n\n'
        "[history]\nbaseline = false\n\n"
        "[http]\ndelay = 0.0\ntimeout = 10.0\nretries = 0\n",
        encoding="utf-8",
    )


class Replay:
    """Runs the real CLI in a subprocess per step (Twisted's reactor cannot restart)."""

    def __init__(self, workdir: Path, notify_url: str | None, echo: Echo) -> None:
        self.workdir = workdir
        self.db = workdir / "itx.db"
        self.echo = echo
        package_root = str(Path(itx_scraper.__file__).resolve().parents[1])
        env = {k: v for k, v in os.environ.items() if not k.startswith("ITX_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        env.update(ITX_DB=str(self.db), ITX_CONFIG=str(workdir / "itx.toml"))
        if notify_url:  # through the environment: a child's argv is visible in `ps`
            env["ITX_NOTIFY"] = notify_url
        self.env = env
        self.failed: list[str] = []

    def step(self, label: str, now: str, *args: str) -> None:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "itx_scraper", *args],
                env={**self.env, "ITX_NOW": now},
                cwd=self.workdir,
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.echo(f"  {label} did not finish within {STEP_TIMEOUT} s")
            self.failed.append(f"{label} (timeout)")
            return
        for line in proc.stdout.rstrip().splitlines():
            self.echo(f"  {line}".rstrip())
        if proc.stderr.strip():
            sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            self.failed.append(f"{label} (exit {proc.returncode})")


def run(*, workdir: Path | None, notify_url: str | None, echo: Echo = print) -> int:
    """Replay every bundled release; return 0 when every step succeeded, else 1."""
    started = time.monotonic()
    target = notify_target(notify_url) if notify_url else None
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="itx-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if (workdir / "itx.db").exists():
        raise DemoUsageError(f"{workdir / 'itx.db'} exists already; give an empty --workdir")
    history_until, releases = timeline()
    replay = Replay(workdir, notify_url, echo)
    first_day = datetime.fromisoformat(releases[0].published_at) - timedelta(days=1)
    # Like SBP's site: one URL that answers with the release published last.
    with Loopback(content_type="application/vnd.ms-excel") as server:
        url = server.url(PATH)
        write_config(workdir / "itx.toml", url)
        (workdir / "history.csv").write_text(history_csv(history_until), encoding="utf-8")
        echo(
            f"itx-scraper demo: {len(releases)} monthly SBP releases, "
            f"{releases[0].month.label} to {releases[-1].month.label}, "
            f"served from {url}"
        )
        echo(f"working folder: {workdir}")
        echo(
            f"alerts go to: {target}"
            if target
            else "alerts: no destination configured, so each run prints them"
        )
        echo(
            f"\n== {first_day:%Y-%m-%d}: import the history known so far "
            f"(to {history_until.label}) =="
        )
        replay.step("import-history", first_day.isoformat(), "import-history", "history.csv")
        for release in releases:
            server.serve(PATH, release.body())
            echo(f"\n== {release.published_at[:10]}: SBP publishes {release.month.label} ==")
            seen = _last_alert_id(replay.db)
            replay.step(f"run for {release.month}", release.published_at, "run")
            if target:
                _echo_deliveries(replay.db, seen, echo)

    _summary(replay.db, workdir, echo)
    seconds = time.monotonic() - started
    if replay.failed:
        echo(f"\ndemo finished in {seconds:.1f} s; these steps failed: " + "; ".join(replay.failed))
        return 1
    echo(f"\ndemo finished in {seconds:.1f} s")
    return 0


def _last_alert_id(db: Path) -> int:
    store = Store.open(db, readonly=True)
    try:
        return store.last_alert_id()
    finally:
        store.close()


def _echo_deliveries(db: Path, after: int, echo: Echo) -> None:
    store = Store.open(db, readonly=True)
    try:
        for alert in store.alerts_after(after):
            echo(f"  [{alert['kind']}] {alert['title']}")
            for delivery in store.deliveries_of(alert["id"]):
                error = f" ({delivery['last_error']})" if delivery["last_error"] else ""
                echo(f"      {delivery['status']} -> {delivery['target']}{error}")
    finally:
        store.close()


def _summary(db: Path, workdir: Path, echo: Echo) -> None:
    from itx_scraper.query import chart

    store = Store.open(db, readonly=True)
    try:
        kinds = Counter(alert["kind"] for alert in store.alerts_after(0))
        echo("\n== What the database holds now ==")
        echo(
            "alerts raised: "
            + (", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "none")
        )
        echo("")
        echo(report.monthly_table(store.best_monthly(ICT), 13))
        fytd = store.fytd()
        if fytd and fytd[-1]["prior_usd_million"] is not None:
            last = fytd[-1]
            echo(
                f"\n{last['fiscal_year']}, {last['months']} months: "
                f"US${last['usd_million']:,.0f}m vs US${last['prior_usd_million']:,.0f}m "
                f"a year earlier ({last['growth_pct']:+.1f}%)"
            )
        try:
            info = chart.render(store, workdir / "itx-chart.png")
            echo(f"\nchart: {info.path}")
        except chart.ChartUnavailable as exc:
            echo(f"\nchart: skipped ({exc})")
    finally:
        store.close()
    echo(f"explore: itx-scraper show --db {db} --as-of 2024-05-20")
    echo(f"         datasette {db} -m {_metadata_path()}")


def _metadata_path() -> str:
    return str(resources.files("itx_scraper").joinpath("datasette/metadata.yml"))
