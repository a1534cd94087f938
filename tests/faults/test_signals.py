"""SIGTERM and SIGINT end a real run within seconds of work, with its record closed (issue 13 §4).

Each test synchronises on a real event (a checkpoint's file, a request the server saw, a log
line), never on a sleep. The hang guard of ``communicate`` only catches a run that ignores the
signal: the old behaviour waited for a parse to end, or for the download timeout (set to an
hour here), or sat at the paused checkpoint for ten minutes.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import (
    HANG_GUARD,
    HTTP_TIMEOUT,
    Loopback,
    Pause,
    migrated_store,
    wait_for,
    write_config,
)
from faultkit import integrity, misbehave, report, run_cli, sql, start_cli
from sbp_workbook import build_dt, published_ict
from spider_fixtures import SITES

from itx_scraper.core.periods import Month
from itx_scraper.ingest import import_history
from itx_scraper.spiders.sbp_ebops import parse_workbook

PATH = "/ecodata/dt.xls"
RELEASE = Month(2023, 12)  # a new month and a record: two alerts
NOW = "2024-01-20T10:00:00"
HOOKS = ("/hook-a", "/hook-b")
EXIT = {signal.SIGTERM: 143, signal.SIGINT: 130}
NOISE = ("Traceback", "ReactorNotRunning", "Unhandled error", "Task was destroyed")


def finish(proc: subprocess.Popen[str]) -> str:
    """The stderr of a run that was signalled; a run that ignores the signal is killed."""
    try:
        return proc.communicate(timeout=HANG_GUARD)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the run ignored the signal") from None


def runs(db: Path) -> list[tuple[str, int | None]]:
    return sql(db, "SELECT status, exit_code FROM runs ORDER BY id")


def assert_quiet_stop(code: int, stderr: str, signum: int) -> None:
    """Exit 128 + signal, one line naming it, and nothing else alarming on stderr."""
    assert code == EXIT[signum], stderr
    assert f"itx-scraper: interrupted by {signal.Signals(signum).name}" in stderr, stderr
    for noise in NOISE:
        assert noise not in stderr, stderr


@pytest.fixture
def seeded(tmp_path: Path, loopback: Loopback) -> Path:
    """History up to November stored; December's workbook served; two webhooks."""
    lines = ["period,usd_million"]
    lines += [f"{m},{v}" for m, v in sorted(published_ict().items()) if m < RELEASE]
    (tmp_path / "history.csv").write_text("\n".join(lines) + "\n")
    store = migrated_store(tmp_path / "itx.db")
    try:
        import_history(store, tmp_path / "history.csv")
    finally:
        store.close()
    hooks = ", ".join(f'"{loopback.hook(h)}"' for h in HOOKS)
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        f"[history]\nbaseline = false\n[notify]\nurls = [{hooks}]\n",
    )
    loopback.serve(PATH, build_dt(RELEASE, published_ict()))
    return tmp_path / "itx.db"


def posted(loopback: Loopback) -> dict[str, list[str]]:
    return {hook: [p["title"] for p in loopback.posts.get(hook, [])] for hook in HOOKS}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_in_the_middle_of_a_parse_abandons_it(
    signum: signal.Signals, tmp_path: Path, loopback: Loopback
) -> None:
    """The run sits inside parse_page (the soup is built, the text not yet read) when the
    signal comes. It is never released: only a signal that cuts the parse short ends it."""
    base = serve_pseb(tmp_path, loopback)
    pause = Pause(tmp_path / "pause", "parse.page")
    proc = start_cli(tmp_path, "run", **pause.env)
    pause.wait(proc)
    proc.send_signal(signum)
    stderr = finish(proc)
    assert_quiet_stop(proc.returncode, stderr, signum)
    db = tmp_path / "itx.db"
    assert runs(db) == [("interrupted", EXIT[signum])]
    assert sql(db, "SELECT count(*) FROM releases") == [(0,)]  # the abandoned page left nothing
    # List pages were fetched and logged before; the abandoned detail page has no row.
    fetched = {url for (url,) in sql(db, "SELECT url FROM fetches")}
    assert fetched and fetched <= {f"{base}/news", f"{base}/news/page/2"}, fetched
    assert integrity(db) == "ok"
    report("signal", case=f"{signum.name} in the middle of a parse", exit=proc.returncode)


def test_a_kill_in_the_middle_of_a_parse_loses_nothing(tmp_path: Path, loopback: Loopback) -> None:
    """SIGKILL at the parse checkpoint (test_crash.py tries every other one): nothing of the
    page is stored, and the next run reads it."""
    base = serve_pseb(tmp_path, loopback)
    killed = run_cli(tmp_path, "run", ITX_CRASH_AT="parse.page")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    db = tmp_path / "itx.db"
    assert integrity(db) == "ok"
    assert sql(db, "SELECT count(*) FROM releases") == [(0,)]
    again = run_cli(tmp_path, "run")
    assert again.returncode == 0, again.stderr
    assert sql(db, "SELECT url FROM releases") == [(f"{base}/news/it-exports-march-2024",)]
    report(
        "kill",
        scenario="statement",
        point="parse.page",
        trigger="checkpoint",
        killed=True,
        lost=0,
        duplicates=0,
        window=False,
    )


def serve_pseb(tmp_path: Path, loopback: Loopback) -> str:
    base = loopback.url("")
    for path, page in SITES["pseb"].pages(base).items():
        loopback.serve(path, page.body, headers={"Content-Type": page.content_type})
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["pseb"]\n[sources.pseb]\nurl = "{base}/news"\n'
        "[history]\nbaseline = false\n",
    )
    return base


def trickling_workbook(loopback: Loopback, tmp_path: Path) -> None:
    """sbp_ebops alone, from a server that trickles one byte every half second, with an
    hour's download timeout: only a signal ends that download."""
    misbehave(loopback, "trickle")
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        "[history]\nbaseline = false\n",
    )
    (tmp_path / "itx.toml").write_text(
        (tmp_path / "itx.toml").read_text().replace(f"timeout = {HTTP_TIMEOUT}", "timeout = 3600")
    )


def test_sigterm_during_a_download_does_not_wait_for_it(loopback: Loopback, tmp_path: Path) -> None:
    """A server trickling one byte every half second, with an hour's download timeout."""
    trickling_workbook(loopback, tmp_path)
    proc = start_cli(tmp_path, "run")
    wait_for(lambda: ("127.0.0.1", PATH) in hits(loopback), "the download to start", proc=proc)
    proc.send_signal(signal.SIGTERM)
    stderr = finish(proc)
    assert_quiet_stop(proc.returncode, stderr, signal.SIGTERM)
    db = tmp_path / "itx.db"
    assert runs(db) == [("interrupted", 143)]
    assert sql(db, "SELECT count(*) FROM fetches") == [(0,)]  # no half download recorded
    report("signal", case="SIGTERM during a download (1 byte / 0.5 s)", exit=proc.returncode)


def hits(loopback: Loopback) -> list[tuple[str, str]]:
    """(host, path) of every request the server has seen so far."""
    return [(request.host.split(":")[0], request.path) for request in loopback.requests]


def test_sigterm_inside_the_write_transaction_lets_it_commit(
    seeded: Path, tmp_path: Path, loopback: Loopback
) -> None:
    """The transaction storing the release is open (after the release row, before its
    figures) when SIGTERM comes: it commits whole, then the run stops; the next run delivers
    its alerts exactly once."""
    pause = Pause(tmp_path / "pause", "ingest.release")
    proc = start_cli(tmp_path, "run", ITX_NOW=NOW, **pause.env)
    pause.wait(proc)
    proc.send_signal(signal.SIGTERM)
    pause.release()
    stderr = finish(proc)
    assert_quiet_stop(proc.returncode, stderr, signal.SIGTERM)
    db = seeded
    assert integrity(db) == "ok"
    assert runs(db) == [("interrupted", 143)]
    expected = len(parse_workbook(build_dt(RELEASE, published_ict())).observations)
    assert sql(
        db,
        """SELECT count(*) FROM observations o JOIN releases r ON r.id = o.release_id
           WHERE r.source = 'sbp_ebops'""",
    ) == [(expected,)]
    assert sorted(k for (k,) in sql(db, "SELECT kind FROM alerts")) == ["new_month", "record"]
    assert posted(loopback) == {hook: [] for hook in HOOKS}  # stopped before delivering
    again = run_cli(tmp_path, "run", ITX_NOW=NOW)
    assert again.returncode == 0, again.stderr
    titles = sorted(t for (t,) in sql(db, "SELECT title FROM alerts"))
    assert {hook: sorted(got) for hook, got in posted(loopback).items()} == {
        hook: titles for hook in HOOKS
    }
    assert [s for s, _ in runs(db)] == ["interrupted", "ok"]
    report("signal", case="SIGTERM inside the write transaction", exit=proc.returncode)


def test_sigterm_between_deliveries_leaves_the_rest_pending(
    seeded: Path, tmp_path: Path, loopback: Loopback
) -> None:
    """Two alerts to two webhooks; SIGTERM while the first message is about to go: that one
    is sent and recorded, the other three wait for the next run, which sends each once."""
    pause = Pause(tmp_path / "pause", "deliver.before_send")
    proc = start_cli(tmp_path, "run", ITX_NOW=NOW, **pause.env)
    pause.wait(proc)
    proc.send_signal(signal.SIGTERM)
    pause.release()
    stderr = finish(proc)
    assert_quiet_stop(proc.returncode, stderr, signal.SIGTERM)
    db = seeded
    assert sql(db, "SELECT status, count(*) FROM deliveries GROUP BY status") == [
        ("pending", 3),
        ("sent", 1),
    ]
    assert sum(len(titles) for titles in posted(loopback).values()) == 1
    again = run_cli(tmp_path, "run", ITX_NOW=NOW)
    assert again.returncode == 0, again.stderr
    titles = sorted(t for (t,) in sql(db, "SELECT title FROM alerts"))
    assert {hook: sorted(got) for hook, got in posted(loopback).items()} == {
        hook: titles for hook in HOOKS
    }
    report("signal", case="SIGTERM between two deliveries", exit=proc.returncode)


def test_a_signal_before_the_crawl_closes_the_runs_row(
    seeded: Path, tmp_path: Path, loopback: Loopback
) -> None:
    pause = Pause(tmp_path / "pause", "run.started")
    proc = start_cli(tmp_path, "run", ITX_NOW=NOW, **pause.env)
    pause.wait(proc)
    proc.send_signal(signal.SIGTERM)
    pause.release()
    stderr = finish(proc)
    assert_quiet_stop(proc.returncode, stderr, signal.SIGTERM)
    assert runs(seeded) == [("interrupted", 143)]
    assert loopback.requests_to(PATH) == []  # the crawl never started
    status = run_cli(tmp_path, "status", ITX_NOW=NOW)
    assert status.returncode == 1
    assert "interrupted" in status.stdout
    report("signal", case="SIGTERM before the crawl", exit=proc.returncode)


def test_the_daemons_second_signal_ends_the_cycle(loopback: Loopback, tmp_path: Path) -> None:
    """First SIGTERM: the daemon says it stops after the cycle; second: the cycle, stuck in a
    trickling download with an hour's timeout, ends at once and the daemon exits 0."""
    trickling_workbook(loopback, tmp_path)
    daemon = start_cli(tmp_path, "daemon", "--interval", "3600")
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(daemon.stderr), daemon=True)
    reader.start()
    try:
        wait_for(lambda: ("127.0.0.1", PATH) in hits(loopback), "the cycle's download", proc=daemon)
        daemon.send_signal(signal.SIGTERM)
        wait_for(lambda: any("stopping after this cycle" in line for line in log), "ack")
        assert daemon.poll() is None  # the first signal lets the cycle run on
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=HANG_GUARD)
    finally:
        if daemon.poll() is None:  # the cycle ignored the signals: end it and the daemon
            daemon.kill()
            for (pid,) in sql(
                tmp_path / "itx.db", "SELECT pid FROM runs WHERE finished_at IS NULL"
            ):
                os.killpg(pid, signal.SIGKILL)  # the cycle leads its own session
        reader.join(timeout=10)
        daemon.communicate()
    text = "".join(log)
    assert daemon.returncode == 0, text
    assert "cycle 1 was interrupted by SIGTERM" in text, text
    assert "Traceback" not in text
    assert runs(tmp_path / "itx.db") == [("interrupted", 143)]
    report("signal", case="daemon: second SIGTERM ends the cycle", exit=daemon.returncode)


def test_the_interrupted_database_is_a_normal_one(seeded: Path, tmp_path: Path) -> None:
    """An interrupted run leaves nothing that a reader or the next writer trips over."""
    pause = Pause(tmp_path / "pause", "ingest.observations")
    proc = start_cli(tmp_path, "run", ITX_NOW=NOW, **pause.env)
    pause.wait(proc)
    # A reader during the open transaction sees the state before it.
    with sqlite3.connect(seeded) as conn:
        assert (
            conn.execute("SELECT count(*) FROM releases WHERE source = 'sbp_ebops'").fetchone()[0]
            == 0
        )
    proc.send_signal(signal.SIGTERM)
    pause.release()
    finish(proc)
    assert proc.returncode == 143
    copy = tmp_path / "copy.db"
    shutil.copy(seeded, copy)
    assert integrity(copy) == "ok"
    assert sql(seeded, "SELECT count(*) FROM releases WHERE source = 'sbp_ebops'") == [(1,)]
