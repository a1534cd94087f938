"""Command-line interface: options in, module calls, results out, a meaningful exit code."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from itx_scraper import __version__, clock, config, exitcodes
from itx_scraper.errors import ConfigError, ItxError
from itx_scraper.runner import LockedError

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("itx_scraper")


def setup_logging(verbose: int, quiet: bool) -> None:
    """Log to stderr once; ``--quiet`` silences it, ``-v`` adds detail."""
    level = logging.CRITICAL + 1 if quiet else (logging.DEBUG if verbose > 1 else
                                                 logging.INFO if verbose else logging.WARNING)  # fmt: skip
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)  # on the handler: Scrapy resets logger levels when it starts
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def common_options(func: F) -> F:
    """``--config`` and ``--db``, shared by every command that touches the database."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False),
                  help="TOML config file (default: $ITX_CONFIG, then ./itx.toml).")  # fmt: skip
    @click.option("--db", "db_path", type=click.Path(dir_okay=False),
                  help="SQLite database (default: $ITX_DB, then config 'db', then state/itx.db).")  # fmt: skip
    @click.option("-v", "--verbose", count=True, help="More log detail on stderr (-vv: debug).")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def load_config(config_path: str | None, db_path: str | None, sources: tuple[str, ...] = ()
                ) -> config.Config:  # fmt: skip
    try:
        return config.load(config_path, db_path, sources)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def fail(message: str, code: int) -> None:
    click.echo(f"itx-scraper: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"terminal_width": 100, "max_content_width": 100,
                               "help_option_names": ["-h", "--help"]})  # fmt: skip
@click.version_option(__version__, prog_name="itx-scraper")
def cli() -> None:
    """Watch SBP and ministry sources for Pakistan's monthly IT exports, keep every figure
    in SQLite, and alert through Apprise."""


@cli.command()
@common_options
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="Run only this source (repeatable). Default: [run] sources or all enabled.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Crawl and store, but only print pending alerts.")
@click.option("--quiet", "-q", is_flag=True, help="No log output; errors and results only.")
@click.option("--json", "as_json", is_flag=True, help="Print a one-line JSON summary on stdout.")
def run(config_path: str | None, db_path: str | None, verbose: int, sources: tuple[str, ...],
        dry_run: bool, quiet: bool, as_json: bool) -> None:  # fmt: skip
    """Fetch every enabled source once, store new figures, send alerts.

    Exit codes: 0 all well; 1 a source or a delivery failed (the rest was done);
    2 usage or configuration error; 75 another run holds the lock.
    """
    from itx_scraper import runner

    setup_logging(verbose, quiet)
    cfg = load_config(config_path, db_path, sources)
    echo: Callable[[str], None] = (lambda _text: None) if as_json else click.echo
    try:
        summary = runner.run(cfg, dry_run=dry_run, verbose=verbose > 1, echo=echo)
    except LockedError as exc:
        fail(f"{exc}; not starting a second run", exitcodes.LOCKED)
    except ItxError as exc:
        fail(str(exc), exitcodes.FAILED)
    for fetch in summary.fetches:
        if fetch["status"] == "error":
            click.echo(
                f"error: {fetch['source']}: {fetch['error_class']}: {fetch['error']} "
                f"({fetch['url']})", err=True,
            )  # fmt: skip
        elif not as_json and not quiet:
            click.echo(f"{fetch['source']}: {describe_fetch(fetch)}")
    if summary.deliveries.get("failed"):
        click.echo(f"error: {summary.deliveries['failed']} alert delivery attempt(s) failed; "
                   "they stay pending for the next run", err=True)  # fmt: skip
    if as_json:
        click.echo(json.dumps(summary.as_dict(), sort_keys=True))
    sys.exit(summary.exit_code)


def describe_fetch(fetch: dict[str, Any]) -> str:
    if fetch["status"] == "not_modified":
        return "not modified"
    return f"new release {fetch['release_id']} ({fetch['bytes']:,} bytes)"


@cli.command()
@common_options
@click.option("--months", default=13, show_default=True, help="How many recent months.")
@click.option("--series", default="9", show_default=True, help="EBOPS code ('9' = ICT total).")
def show(config_path: str | None, db_path: str | None, verbose: int, months: int,
         series: str) -> None:  # fmt: skip
    """Print the latest months: value, MoM and YoY change, status and source."""
    from itx_scraper import report, runner

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    try:
        store = runner.open_store(cfg)
    except ItxError as exc:
        fail(str(exc), exitcodes.FAILED)
    try:
        rows = store.best_monthly(series)
    finally:
        store.close()
    click.echo(report.monthly_table(rows, months))


@cli.command("import-history")
@common_options
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_history_command(config_path: str | None, db_path: str | None, verbose: int,
                           file: Path) -> None:  # fmt: skip
    """Import more history from a CSV with columns period,usd_million[,series,source_url].

    Imported months rank below SBP's own files and raise no alerts.
    """
    from itx_scraper import ingest, runner

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    try:
        store = runner.open_store(cfg)
        try:
            with runner.run_lock(cfg.db):
                runner.prepare(store, cfg)
                added = ingest.import_history(store, file)
        finally:
            store.close()
    except LockedError as exc:
        fail(str(exc), exitcodes.LOCKED)
    except ItxError as exc:
        fail(str(exc), exitcodes.FAILED)
    click.echo(f"imported {added} observations from {file}" if added
               else f"{file} was imported before; nothing added")  # fmt: skip


@cli.command()
@common_options
@click.option("--limit", default=20, show_default=True, help="How many recent alerts.")
def alerts(config_path: str | None, db_path: str | None, verbose: int, limit: int) -> None:
    """List recent alerts and the delivery state of each destination."""
    from itx_scraper import report, runner

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    try:
        store = runner.open_store(cfg)
    except ItxError as exc:
        fail(str(exc), exitcodes.FAILED)
    try:
        click.echo(report.alerts_table(store, limit))
    finally:
        store.close()


@cli.command("notify-test")
@common_options
@click.option("--tag", default=None, help="Send only to destinations that receive this route.")
def notify_test(config_path: str | None, db_path: str | None, verbose: int,
                tag: str | None) -> None:  # fmt: skip
    """Send a test message and print the result per destination."""
    from itx_scraper import notify

    setup_logging(verbose, False)
    cfg = load_config(config_path, db_path)
    try:
        targets = notify.destinations(cfg)
    except notify.DestinationError as exc:
        raise click.UsageError(str(exc)) from exc
    if tag:
        targets = notify.for_route(targets, tag)
    if not targets:
        fail("no notification destination configured"
             + (f" for tag {tag!r}" if tag else ""), exitcodes.FAILED)  # fmt: skip
    failed = 0
    for destination in targets:
        result = notify.send(
            destination, "itx-scraper test message",
            f"Test message from itx-scraper {__version__} at {clock.iso()}.",
            f"**Test message** from itx-scraper {__version__} at {clock.iso()}.",
        )  # fmt: skip
        failed += not result.ok
        click.echo(f"{'ok    ' if result.ok else 'FAILED'} {destination.target}"
                   + (f"  {result.error}" if result.error else ""))  # fmt: skip
    sys.exit(exitcodes.FAILED if failed else exitcodes.OK)


@cli.command()
@click.argument("file", required=False, type=click.File("r", encoding="utf-8"))
@click.option("--date", "published", type=click.DateTime(["%Y-%m-%d"]),
              help="Publication date, to resolve 'April' or 'the current fiscal year'.")  # fmt: skip
def extract(file: Any, published: Any) -> None:
    """Print the US$ figures that a statement's text gives, one JSON object per line.

    Reads FILE, or standard input when FILE is omitted.
    """
    from itx_scraper.extract import main_lines

    text = (file or sys.stdin).read()
    day: date | None = published.date() if published else None
    for line in main_lines(text, day):
        click.echo(line)


def main() -> None:
    """Console-script entry point; a configuration error exits 2 (click's usage code)."""
    cli(prog_name="itx-scraper")
