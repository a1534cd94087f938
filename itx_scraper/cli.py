"""Command-line interface: options in, module calls, results out, a meaningful exit code."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from itx_scraper import __version__
from itx_scraper.core import clock, config, exitcodes
from itx_scraper.core.errors import ConfigError, ItxError, LockedError
from itx_scraper.core.interrupt import Interrupted
from itx_scraper.core.sources import ICT, STATEMENTS
from itx_scraper.ops.daemon import DEFAULT_CYCLE_TIMEOUT, DEFAULT_IDLE, DEFAULT_INTERVAL, MAX_JITTER
from itx_scraper.query.export import FORMATS

if TYPE_CHECKING:
    from itx_scraper.store import Store

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("itx_scraper")
# Scrapy's own messages about a failed download repeat, with a traceback, the one line per
# source that `run` prints; they go to -v.
SCRAPY_REPEATS = ("Error downloading", "Gave up retrying", "Error while obtaining start requests")


def setup_logging(verbose: int, quiet: bool) -> None:
    """Log to stderr once; ``--quiet`` silences it, ``-v`` adds detail."""
    if quiet:
        level = logging.CRITICAL + 1
    else:
        level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)  # on the handler: Scrapy resets logger levels when it starts
    handler.addFilter(_quiet_apprise)
    if not verbose:
        handler.addFilter(_no_scrapy_tracebacks)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _quiet_apprise(record: logging.LogRecord) -> bool:
    """Apprise's debug and info lines print full URLs, secrets included: keep only warnings."""
    return not (record.name.startswith("apprise") and record.levelno < logging.WARNING)


def _no_scrapy_tracebacks(record: logging.LogRecord) -> bool:
    """At the default level, Scrapy and Twisted say a thing in one line, or not at all."""
    if not record.name.startswith(("scrapy", "twisted", "py.warnings")):
        return True
    if str(record.msg).startswith(SCRAPY_REPEATS):
        return False
    record.exc_info = record.exc_text = record.stack_info = None
    return True


def common_options(func: F) -> F:
    """``--config``, ``--db`` and ``-v``, shared by every command that touches the database."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="TOML config file (default: $ITX_CONFIG, then ./itx.toml).",
    )
    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        help="SQLite database (default: $ITX_DB, then config 'db', then state/itx.db).",
    )
    @click.option("-v", "--verbose", count=True, help="More log detail on stderr (-vv: debug).")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def load_config(
    config_path: str | None, db_path: str | None, sources: tuple[str, ...] = ()
) -> config.Config:
    """The config, its templates checked; its warnings reach stderr even under --quiet."""
    from itx_scraper.alerts.messages import check_overrides

    clock.now()  # a garbled ITX_NOW is a configuration error before anything runs
    cfg = config.load(config_path, db_path, sources)
    try:
        check_overrides(cfg.templates)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    for warning in cfg.warnings:
        click.echo(f"itx-scraper: warning: {warning}", err=True)
    return cfg


@contextmanager
def reader(cfg: config.Config) -> Iterator[Store]:
    """The configured database, read-only: a command that only reads never creates one (nor
    imports what a run needs: the runner, ingest, Scrapy)."""
    from itx_scraper.store import Store

    store = Store.open(cfg.db, readonly=True)
    try:
        yield store
    finally:
        store.close()


def check_destinations(cfg: config.Config) -> list[Any]:
    """Every configured destination; one that Apprise cannot read is a configuration error."""
    from itx_scraper.alerts import notify

    try:
        return notify.destinations(cfg)
    except notify.DestinationError as exc:
        raise ConfigError(str(exc)) from exc


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"itx-scraper: {message}", err=True)
    sys.exit(code)


def watch_option(func: F) -> F:
    """``--watch NAME``: a configured watch instead of an EBOPS ``--series``."""
    return click.option(
        "--watch",
        metavar="NAME",
        help="A watch ([watches.<name>] in the config) instead of --series.",
    )(func)


def check_watch(cfg: config.Config, store: Store, watch: str) -> None:
    """``--watch`` excludes ``--series``; an unknown watch is one line naming the known ones."""
    from click.core import ParameterSource

    from itx_scraper.query import report

    ctx = click.get_current_context()
    if ctx.get_parameter_source("series") is not ParameterSource.DEFAULT:
        raise click.UsageError("give --watch or --series, not both")
    report.require_watch(watch, cfg.watches, store.watch(watch))


class Group(click.Group):
    """Every error the package raises on purpose ends as one line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(f"configuration error: {exc}", exitcodes.USAGE)
        except LockedError as exc:
            fail(f"{exc}; not starting a second run", exitcodes.LOCKED)
        except ItxError as exc:
            fail(str(exc), exitcodes.FAILED)
        except Interrupted as exc:  # SIGTERM/SIGINT during `run` (core/interrupt.py)
            fail(str(exc), exc.exit_code)


@click.group(
    cls=Group,
    context_settings={
        "terminal_width": 100,
        "max_content_width": 100,
        "help_option_names": ["-h", "--help"],
    },
)
@click.version_option(__version__, prog_name="itx-scraper")
def cli() -> None:
    """Watch SBP and ministry sources for Pakistan's monthly IT exports, keep every figure
    in SQLite, and alert through Apprise."""


@cli.command()
@common_options
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Run only this source (repeatable). Default: [run] sources or all enabled.",
)
@click.option("--dry-run", is_flag=True, help="Crawl and store, but only print pending alerts.")
@click.option("--quiet", "-q", is_flag=True, help="No log output; errors and results only.")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary on stdout.")
def run(
    config_path: str | None,
    db_path: str | None,
    verbose: int,
    sources: tuple[str, ...],
    dry_run: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Fetch every enabled source once, store new figures, send alerts.

    Exit codes: 0 all well; 1 a source or a delivery failed (the rest was done);
    2 usage or configuration error; 75 another run holds the lock; 143 (SIGTERM) or 130
    (SIGINT) stopped within seconds, the run recorded as interrupted.
    """
    from itx_scraper.ops import runner
    from itx_scraper.query import report

    setup_logging(verbose, quiet)
    cfg = load_config(config_path, db_path, sources)
    check_destinations(cfg)
    printed: list[str] = []  # with --json, alerts printed for want of a destination go in it
    echo: Callable[[str], None] = printed.append if as_json else click.echo
    summary = runner.run(cfg, dry_run=dry_run, verbose=verbose > 1, echo=echo)
    if not quiet:
        for note in summary.notes:
            click.echo(f"itx-scraper: {note}", err=True)
    for line in report.fetch_lines(summary.fetches, summary.source_errors, STATEMENTS):
        if line.startswith(("error: ", "warning: ")):  # warnings survive --quiet
            click.echo(line, err=True)
        elif not as_json and not quiet:
            click.echo(line)
    if summary.deliveries.get("failed"):
        click.echo(
            f"error: {summary.deliveries['failed']} alert delivery attempt(s) failed; "
            "they stay pending for the next run",
            err=True,
        )
    if as_json:
        click.echo(json.dumps({**summary.as_dict(), "printed": printed}, sort_keys=True))
    sys.exit(summary.exit_code)


@cli.command()
@common_options
@click.option(
    "--months",
    type=click.IntRange(min=1),
    default=13,
    show_default=True,
    help="How many recent months.",
)
@click.option("--series", default=ICT, show_default=True, help="EBOPS code ('9' = ICT total).")
@watch_option
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="What was known at the end of this day (UTC): only releases retrieved by then count.",
)
def show(
    config_path: str | None,
    db_path: str | None,
    verbose: int,
    months: int,
    series: str,
    watch: str | None,
    as_of: datetime | None,
) -> None:
    """Print the latest months: value, MoM and YoY change, status and source.

    With --watch, the change from the month and the year before is a difference, not a
    percentage (a balance changes sign).
    """
    from itx_scraper.core.config import WATCH_FLOW
    from itx_scraper.query import report

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    with reader(cfg) as store:
        if watch is not None:
            check_watch(cfg, store, watch)
            if as_of:
                rows = store.monthly_as_of(as_of.date(), watch, WATCH_FLOW)
                rows = [{**row, "value": row["usd_million"]} for row in rows]
            else:
                rows = store.watch_monthly(watch)
        else:
            report.require_series(store, series)
            rows = (
                store.monthly_as_of(as_of.date(), series) if as_of else store.best_monthly(series)
            )
    if as_of is not None:
        day = as_of.date().isoformat()  # strftime drops the leading zeros of year 1
        if not rows:
            click.echo(f"nothing was stored by the end of {day} (UTC)")
            return
        click.echo(f"As known at the end of {day} (UTC):")
    if watch is not None:
        click.echo(report.watch_table(rows, months))
    else:
        click.echo(report.monthly_table(rows, months))


@cli.command("import-history")
@common_options
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_history_command(
    config_path: str | None, db_path: str | None, verbose: int, file: Path
) -> None:
    """Import more history from a CSV with columns period,usd_million[,series,source_url].

    Imported months rank below SBP's own files and raise no alerts.
    """
    from itx_scraper.ops import runner

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    added = runner.import_history(cfg, file)
    click.echo(
        f"imported {added} observations from {file}"
        if added
        else f"{file} was imported before; nothing added"
    )


@cli.command()
@common_options
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many recent alerts.",
)
def alerts(config_path: str | None, db_path: str | None, verbose: int, limit: int) -> None:
    """List recent alerts and the delivery state of each destination."""
    from itx_scraper.query import report

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    with reader(cfg) as store:
        click.echo(report.alerts_table(store, limit))


@cli.command("notify-test")
@common_options
@click.option("--tag", default=None, help="Send only to destinations that receive this route.")
def notify_test(
    config_path: str | None, db_path: str | None, verbose: int, tag: str | None
) -> None:
    """Send a test message and print the result per destination."""
    from itx_scraper.alerts import notify

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    targets = check_destinations(cfg)
    if tag:
        targets = notify.for_route(targets, tag)
    if not targets:
        fail(
            "no notification destination configured" + (f" for tag {tag!r}" if tag else ""),
            exitcodes.FAILED,
        )
    failed = 0
    for destination in targets:
        result = notify.send(
            destination,
            "itx-scraper test message",
            f"Test message from itx-scraper {__version__} at {clock.iso()}.",
            f"**Test message** from itx-scraper {__version__} at {clock.iso()}.",
        )
        failed += not result.ok
        click.echo(
            f"{'ok    ' if result.ok else 'FAILED'} {destination.target}"
            + (f"  {result.error}" if result.error else "")
        )
    sys.exit(exitcodes.FAILED if failed else exitcodes.OK)


@cli.command()
@click.argument("file", required=False, type=click.File("r", encoding="utf-8"))
@click.option(
    "--date",
    "published",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Publication date, to resolve 'April' or 'the current fiscal year'.",
)
def extract(file: Any, published: Any) -> None:
    """Print the US$ figures that a statement's text gives, one JSON object per line.

    Reads FILE, or standard input when FILE is omitted (at most 1 MB of text).
    """
    from itx_scraper.extract import UnreadableText, read, read_capped

    stream = file or sys.stdin
    try:
        text = read_capped(stream, "standard input" if file is None else file.name)
    except UnreadableText as exc:
        fail(str(exc), exitcodes.FAILED)
    day: date | None = published.date() if published else None
    reading = read(text, day)
    for line in reading.lines():
        click.echo(line)
    hint = reading.hint()
    if hint:
        click.echo(f"itx-scraper: {hint}", err=True)


@cli.command()
@common_options
@click.argument("query")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many matches.",
)
@click.option("--raw", is_flag=True, help="QUERY is FTS5 syntax (phrases, NEAR, prefix*).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per match.")
def search(
    config_path: str | None,
    db_path: str | None,
    verbose: int,
    query: str,
    limit: int,
    raw: bool,
    as_json: bool,
) -> None:
    """Search the stored statements (title and text) and print the best matches.

    Each match shows its release, publication date, source, version and a snippet.
    """
    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    with reader(cfg) as store:
        hits = store.search(query, limit=limit, raw=raw)
    for hit in hits:
        if as_json:
            click.echo(json.dumps(hit, ensure_ascii=False, sort_keys=True))
            continue
        click.echo(
            f"#{hit['release_id']}  {hit['published_at'] or '?'}  {hit['source']}"
            f"  v{hit['version']}  {hit['title'] or ''}\n    {hit['snippet']}\n"
            f"    {hit['url']}"
        )
    if not hits and not as_json:
        click.echo(f"no statement matches {query!r}")


@cli.command("export")
@common_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--series",
    multiple=True,
    metavar="S",
    help="Only this EBOPS series, e.g. 9 or 9.2 (repeatable). Default: all.",
)
@watch_option
@click.option(
    "--vintages",
    is_flag=True,
    help="Every stored observation with its release, source, retrieval time, status "
    "and cell, instead of the chosen value per period.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write to FILE instead of standard output (through a temporary file and a rename).",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists (a regular file only).")
def export_command(
    config_path: str | None,
    db_path: str | None,
    verbose: int,
    fmt: str,
    series: tuple[str, ...],
    watch: str | None,
    vintages: bool,
    output: Path | None,
    force: bool,
) -> None:
    """Export figures as CSV or JSON, sorted for readable diffs (git scraping).

    Rows are sorted by series, flow and period (then by vintage), so the same database
    always gives byte-identical output. Without --vintages: the chosen value of every
    period, months and fiscal-year-to-date ranges (best-ranked source, latest vintage).
    With --watch: that watch's figures, with columns watch, …, value, unit, ….
    """
    from itx_scraper.query import export

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    with reader(cfg) as store:
        if watch is not None:
            check_watch(cfg, store, watch)
        columns, records = export.rows(store, series=series, vintages=vintages, watch=watch)
    text = export.render(columns, records, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    export.write_file(output, text, database=cfg.db, force=force)
    click.echo(f"wrote {len(records)} rows to {output}", err=True)


@cli.command("chart")
@common_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png",
    default=Path("itx-chart.png"),
    show_default=True,
    help="Where to write the PNG.",
)
@click.option(
    "--months",
    type=click.IntRange(min=1),
    default=36,
    show_default=True,
    help="How many recent months to draw.",
)
@click.option("--series", default=ICT, show_default=True, help="EBOPS code ('9' = ICT total).")
@watch_option
def chart_command(
    config_path: str | None,
    db_path: str | None,
    verbose: int,
    output: Path,
    months: int,
    series: str,
    watch: str | None,
) -> None:
    """Draw monthly exports as a PNG: bars, record months marked, fiscal years, 12-month average.

    Needs matplotlib (pip install 'itx-scraper[chart]').
    """
    from itx_scraper.query import chart, report

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    with reader(cfg) as store:
        if watch is not None:
            check_watch(cfg, store, watch)
            row = store.watch(watch)
            if row is None:
                raise report.ReportError(f"watch {watch!r} has no figures stored yet")
            info = chart.render_watch(store, output, row, months=months)
        else:
            report.require_series(store, series)
            info = chart.render(store, output, series=series, months=months)
    click.echo(info.describe())


@cli.command("demo")
@click.option(
    "--notify",
    "notify_url",
    metavar="URL",
    help="Also send the demo's alerts to this Apprise URL (to check a Slack or e-mail "
    "setup). Without it, alerts are only printed.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Keep the demo's database, config and chart here (default: a new "
    "temporary folder, which is kept so you can explore it).",
)
@click.option("-v", "--verbose", count=True, help="More log detail on stderr (-vv: debug).")
def demo_command(notify_url: str | None, workdir: Path | None, verbose: int) -> None:
    """Replay eight monthly SBP releases offline: the whole pipeline, its alerts, a table, a chart.

    Serves the bundled releases (Nov 2023 to Jun 2024, the real dt.xls layout) on 127.0.0.1
    and runs `itx-scraper run` once per release into a fresh database. No network needed.
    """
    from itx_scraper.ops import demo

    setup_logging(verbose, False)
    try:
        code = demo.run(workdir=workdir, notify_url=notify_url, echo=click.echo)
    except demo.DemoUsageError as exc:
        raise click.UsageError(str(exc)) from exc
    sys.exit(code)


@cli.command()
@common_options
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help=(
        "Start a cycle this often while a release is expected, and while nothing is known"
        f" (default {DEFAULT_INTERVAL:g})."
    ),
)
@click.option(
    "--cron",
    "cron",
    metavar="EXPR",
    help='Start cycles on a cron schedule instead (local time), e.g. "0 * * * *".',
)
@click.option(
    "--idle-interval",
    type=click.FloatRange(min=0),
    default=DEFAULT_IDLE,
    show_default=True,
    metavar="SECONDS",
    help="While no release is expected, at most one cycle this often (0: --interval always).",
)
@click.option(
    "--jitter",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help=f"Random delay added to each start (default: a tenth of the gap, max {MAX_JITTER:g}).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Run only this source (repeatable), as with `run`.",
)
@click.option(
    "--max-cycles",
    type=click.IntRange(min=1),
    metavar="N",
    help="Stop after N cycles (for tests and benchmarks).",
)
@click.option(
    "--cycle-timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_CYCLE_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Terminate a cycle that runs longer than this.",
)
def daemon(
    config_path: str | None,
    db_path: str | None,
    verbose: int,
    interval: float | None,
    cron: str | None,
    idle_interval: float,
    jitter: float | None,
    sources: tuple[str, ...],
    max_cycles: int | None,
    cycle_timeout: float,
) -> None:
    """Run `itx-scraper run` on a schedule, each cycle in a fresh subprocess.

    Checks at --interval (or --cron) while a release is expected, at most every
    --idle-interval otherwise. A release is expected from the first day of a source's window
    (the lag it published with before) until the month arrives, in the hours (PKT) and on
    the weekdays of its earlier releases (from the server's Last-Modified; office hours on
    working days until a year of them exists). With nothing known (no release stored yet,
    or the month a full cycle overdue), every --interval. SIGTERM or SIGINT lets the running
    cycle finish, then exits 0; a second signal ends the cycle within seconds. A cycle that
    fails or crashes is logged and the daemon goes on.
    """
    from itx_scraper.ops import daemon as daemon_module

    setup_logging(max(verbose, 1), False)  # the daemon's log is its output: INFO by default
    cfg = load_config(config_path, db_path, sources)
    if interval is None and cron is None:
        interval = DEFAULT_INTERVAL
    try:
        schedule = daemon_module.Schedule(
            interval=interval, cron=cron, idle_interval=idle_interval, jitter=jitter
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    command = daemon_module.cycle_command(cfg, sources, max(0, verbose - 1))
    sys.exit(
        daemon_module.serve(
            cfg, schedule, command, max_cycles=max_cycles, cycle_timeout=cycle_timeout
        )
    )


PLACEHOLDER_URL = "REPLACE-ME: the workbook's http(s) URL, or give inspect --url"


@cli.command()
@click.argument("target", metavar="FILE|URL")
@click.option("--series", metavar="LABEL", help="Print a [watches.<name>] snippet for it.")
@click.option("--part", metavar="PART", help="The part of the series (e.g. Value, Net).")
@click.option("--sheet", metavar="NAME", help="The sheet (default: where the series is).")
@click.option("--name", metavar="NAME", help="The watch's name (default: from the label).")
@click.option("--url", "watch_url", metavar="URL", help="The workbook's URL, for a FILE.")
@click.option(
    "--record",
    type=click.Choice(["high", "low", "none"]),
    default="high",
    show_default=True,
    help="Which extreme is a record.",
)
@click.option("--label", metavar="TEXT", help="The name alert texts use.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="TOML config file, for [http] (User-Agent, timeout, size cap) when fetching a URL.",
)
def inspect(
    target: str,
    series: str | None,
    part: str | None,
    sheet: str | None,
    name: str | None,
    watch_url: str | None,
    record: str,
    label: str | None,
    config_path: str | None,
) -> None:
    """List what an SBP workbook holds, and write a ready [watches.<name>] for --series.

    FILE|URL is a workbook on disk, or an http(s) URL fetched once (with the configured
    User-Agent and size cap). The listing gives each sheet's unit, orientation, periods with
    their P/R status, and every series label (with its parts), one per line. With --series,
    a snippet follows that works pasted into the config as it is; for a FILE, give the
    workbook's --url, or the snippet's url is a placeholder that the config refuses.
    """
    from itx_scraper.parsers.sbp_table import read_table
    from itx_scraper.query import inspect as inspect_module

    setup_logging(0, False)
    cfg = load_config(config_path, None)
    for given, what in ((watch_url, "--url"), (target if "://" in target else None, "URL")):
        reason = config.url_problem(given) if given is not None else None
        if reason:
            raise click.BadParameter(
                f"{given!r} is not an absolute http(s) URL: {reason}", param_hint=what
            )
    # Fetched, and written into the snippet, as a run will request it (spaces encoded, ...).
    watch_url = config.canonical_url(watch_url) if watch_url is not None else None
    target = config.canonical_url(target) if "://" in target else target
    if name is not None:
        problem = config.watch_name_problem(name)
        if problem:
            raise click.BadParameter(problem, param_hint="--name")
    if "://" in target:
        http = cfg.section("http")
        body = inspect_module.fetch_workbook(
            target,
            user_agent=str(http["user_agent"]),
            max_bytes=int(http["max_bytes"]),
            timeout=float(http["timeout"]),
        )
    else:
        try:
            body = Path(target).read_bytes()
        except OSError as exc:
            fail(f"cannot read {target}: {exc.strerror or exc}", exitcodes.FAILED)
    table = read_table(body)
    click.echo(inspect_module.describe(table, source=target), nl=False)
    if series is None:
        return
    url = watch_url or (target if "://" in target else PLACEHOLDER_URL)
    snippet = inspect_module.watch_snippet(
        table, series, url=url, part=part, sheet=sheet, name=name, record=record, label=label
    )
    click.echo(f"\n# Paste into itx.toml:\n{snippet}", nl=False)
    if url == PLACEHOLDER_URL:
        click.echo("itx-scraper: set the snippet's url (or give --url)", err=True)


@cli.command("datasette-metadata")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="TOML config file (default: $ITX_CONFIG, then ./itx.toml).",
)
def datasette_metadata(config_path: str | None) -> None:
    """Print Datasette metadata (JSON): the shipped file plus a canned query per watch.

    Each configured watch gets a query watch_<name> (its months, newest first, with the
    change from the month and the year before):

    \b
        itx-scraper datasette-metadata > itx-metadata.json
        datasette state/itx.db -m itx-metadata.json
    """
    from itx_scraper.query import datasette

    cfg = load_config(config_path, None)
    data = datasette.metadata(cfg.watches.values())
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def status(config_path: str | None, db_path: str | None, verbose: int, as_json: bool) -> None:
    """Show each source's last attempt, success and change, failures and next release,
    the last run and pending deliveries.

    Exits 1 when something needs attention (a failing source, an overdue release, deliveries
    pending after a failed attempt, a failed or unfinished last run), so monitoring can call it.
    """
    from itx_scraper.ops import status as status_module

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    with reader(cfg) as store:
        report = status_module.collect(store, cfg, clock.now())
    click.echo(
        json.dumps(report.as_dict(), sort_keys=True) if as_json else status_module.render(report)
    )
    sys.exit(report.exit_code)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="itx-scraper")
