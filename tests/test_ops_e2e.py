"""Operations end to end: the lock, --json/--quiet, the daemon, source health, overdue, status."""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import Cli, Loopback, Route
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

PATH = "/ecodata/dt.xls"


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def configure(
    tmp_path: Path,
    loopback: Loopback,
    *,
    http: str = "retries = 0",
    extra: str = "",
    hook: str | None = None,
) -> Path:
    notify = f'[notify]\nurls = ["{hook}"]\n' if hook else ""
    (tmp_path / "itx.toml").write_text(
        f'[run]\nsources = ["sbp_ebops"]\n[http]\ndelay = 0.0\ntimeout = 10.0\n{http}\n'
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        f"[history]\nbaseline = false\n{notify}{extra}"
    )
    return tmp_path / "itx.db"


def workbook(month: Month) -> bytes:
    return build_dt(month, published_ict())


@contextmanager
def held_lock(db: Path) -> Iterator[None]:
    """Hold the run lock as a concurrent run would."""
    with (db.parent / (db.name + ".lock")).open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_for(condition: Callable[[], bool], timeout: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def runs(db: Path) -> list[tuple]:
    try:
        return rows(db, "SELECT id, status, exit_code, pid, finished_at FROM runs ORDER BY id")
    except sqlite3.OperationalError:  # not created or not migrated yet
        return []


def posts(loopback: Loopback, path: str = "/hook") -> list[str]:
    return [p["title"] for p in loopback.posts.get(path, [])]


# -- run: the lock, --json and --quiet ---------------------------------------------------------


def test_a_second_run_while_the_lock_is_held_exits_75(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(PATH, workbook(Month(2024, 4)))
    assert cli("run").returncode == 0
    with held_lock(db):
        result = cli("run")
    assert result.returncode == 75
    assert "another itx-scraper run holds" in result.stderr
    assert "not starting a second run" in result.stderr
    assert result.stdout == ""
    assert len(runs(db)) == 1  # the refused run left no trace
    assert len(loopback.requests_to(PATH)) == 1
    assert cli("run").returncode == 0  # released: runs again


def test_run_json_is_one_line_and_quiet_is_silent(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = configure(tmp_path, loopback)
    april = workbook(Month(2024, 4))
    loopback.serve(PATH, april)
    first = cli("run", "--json", "--quiet")
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    lines = first.stdout.splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["exit_code"] == 0 and summary["fetches"] == {"ok": 1}
    assert summary["bytes"] == len(april)

    # A new month raises alerts; with no destination they are printed, here inside the JSON.
    loopback.serve(PATH, workbook(Month(2024, 5)))
    second = cli("run", "--json")
    assert second.returncode == 0, second.stderr
    assert len(second.stdout.splitlines()) == 1
    summary = json.loads(second.stdout)
    assert summary["alerts"] >= 1
    assert any("May 2024" in text for text in summary["printed"])

    # A failure: still one JSON line on stdout; stderr carries the one error line, no log.
    loopback.serve(PATH, b"gone", status=404, headers={"Content-Type": "text/plain"})
    failed = cli("run", "--json", "--quiet")
    assert failed.returncode == 1
    summary = json.loads(failed.stdout)
    assert summary["exit_code"] == 1 and summary["errors"]["sbp_ebops"].startswith("4xx")
    assert [line.split(":")[0] for line in failed.stderr.splitlines()] == ["error"]

    # Without --quiet the same failure is logged with levels on stderr.
    loud = cli("run", "-v")
    assert " INFO " in loud.stderr

    recorded = rows(
        db, "SELECT status, exit_code, counts, errors, finished_at FROM runs ORDER BY id"
    )
    assert [r[:2] for r in recorded] == [("ok", 0), ("ok", 0), ("failed", 1), ("failed", 1)]
    assert json.loads(recorded[2][3]) == {"sbp_ebops": summary["errors"]["sbp_ebops"]}
    assert all(r[4] for r in recorded)
    fetch = rows(db, "SELECT bytes, duration_ms FROM fetches ORDER BY id LIMIT 1")[0]
    assert fetch[0] == len(april) and fetch[1] is not None


# -- the daemon --------------------------------------------------------------------------------


@contextmanager
def daemon(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log = tmp_path / "daemon.log"
    full_env = {
        **os.environ,
        "ITX_DB": str(tmp_path / "itx.db"),
        "ITX_CONFIG": str(tmp_path / "itx.toml"),
        **(env or {}),
    }
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "itx_scraper", "daemon", *args],
            cwd=tmp_path,
            env=full_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc, log
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_daemon_runs_cycles_and_stops_cleanly_on_sigterm(
    tmp_path: Path, loopback: Loopback
) -> None:
    db = configure(tmp_path, loopback, http="retries = 2")
    body = workbook(Month(2024, 4))
    slow = Route(b"busy", 429, {"Retry-After": "2", "Content-Type": "text/plain"})
    loopback.script(PATH, [Route(body), Route(body), slow, Route(body)])
    with daemon(tmp_path, "--interval", "1", "--jitter", "0") as (proc, log):
        wait_for(lambda: [r[1] for r in runs(db)][:2] == ["ok", "ok"], what="two cycles")
        # The third cycle waits on Retry-After: stop the daemon in the middle of it.
        wait_for(lambda: len(loopback.requests_to(PATH)) >= 3, what="the third cycle")
        assert runs(db)[2][1] == "running"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
        text = log.read_text()
    recorded = runs(db)
    assert [r[1] for r in recorded] == ["ok", "ok", "ok"], text  # the cycle finished
    assert len({r[3] for r in recorded}) == 3  # each cycle in its own process
    assert "cycle 2 finished" in text and "signal received" in text


def test_daemon_survives_a_killed_cycle_and_a_held_lock(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = configure(tmp_path, loopback, http="retries = 2")
    body = workbook(Month(2024, 4))
    slow = Route(b"busy", 429, {"Retry-After": "60", "Content-Type": "text/plain"})  # killed first
    loopback.script(PATH, [slow, Route(body)])
    with daemon(tmp_path, "--interval", "3", "--jitter", "0") as (proc, log):
        wait_for(lambda: len(loopback.requests_to(PATH)) >= 1, what="the first cycle")
        # A manual run while a daemon cycle holds the lock is refused.
        manual = cli("run")
        assert manual.returncode == 75, manual.stderr
        os.kill(runs(db)[0][3], signal.SIGKILL)  # crash the cycle
        wait_for(lambda: "killed by signal 9" in log.read_text(), what="the crash report")
        # And a daemon cycle while a manual run holds the lock is skipped.
        with held_lock(db):
            wait_for(
                lambda: "skipped: another run holds the lock" in log.read_text(),
                what="a skipped cycle",
            )
        wait_for(lambda: any(r[1] == "ok" for r in runs(db)), what="a good cycle")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=90) == 0
        text = log.read_text()
    assert [r[1] for r in runs(db)][:2] == ["running", "ok"], text  # the killed one never finished


def test_daemon_wakes_from_its_sleep_on_sigterm(tmp_path: Path, loopback: Loopback) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(PATH, workbook(Month(2024, 4)))
    # A frozen clock: the wait does not shrink by however long the cycle took on a busy machine.
    with daemon(tmp_path, "--interval", "3600", env={"ITX_NOW": "2026-11-30T06:00:00"}) as (
        proc,
        log,
    ):
        wait_for(lambda: [r[1] for r in runs(db)] == ["ok"], what="the first cycle")
        wait_for(
            lambda: log.read_text().count("next cycle in") == 2, what="the daemon to go to sleep"
        )
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - sent < 10
        waits = [int(w) for w in re.findall(r"next cycle in (\d+) s", log.read_text())]
        assert 3600 <= waits[-1] <= 3660  # an hour, plus up to a minute of jitter


def test_daemon_rejects_a_bad_cron_expression(tmp_path: Path, cli: Cli) -> None:
    result = cli("daemon", "--cron", "61 * * * *")
    assert result.returncode == 2
    assert "cron" in result.stderr


def test_daemon_on_a_cron_schedule(tmp_path: Path, loopback: Loopback) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(PATH, workbook(Month(2024, 4)))
    # Every minute; the first cycle waits for the next minute, so this takes up to ~60 s.
    with daemon(tmp_path, "--cron", "* * * * *", "--jitter", "0", "--max-cycles", "1") as (
        proc,
        log,
    ):
        assert proc.wait(timeout=120) == 0, log.read_text()
    assert [r[1] for r in runs(db)] == ["ok"]
    started = rows(db, "SELECT started_at FROM runs")[0][0]
    assert started[17:19] in ("00", "01", "02", "03")  # at the top of a minute


# -- source health -----------------------------------------------------------------------------


def test_three_failures_alert_once_remind_once_and_recover_once(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = configure(tmp_path, loopback, hook=loopback.hook("/hook"))
    loopback.serve(PATH, b"gone", status=404, headers={"Content-Type": "text/plain"})

    def run_at(moment: str) -> int:
        return cli("run", env={"ITX_NOW": moment}).returncode

    assert run_at("2024-05-20T08:00:00") == 1
    assert run_at("2024-05-20T09:00:00") == 1
    assert posts(loopback) == []
    assert run_at("2024-05-20T10:00:00") == 1
    assert posts(loopback) == ["SBP Trade in Services (EBOPS 2010) workbook dt.xls is failing"]
    message = loopback.posts["/hook"][0]["message"]
    assert "failed 3 times in a row since 2024-05-20T08:00:00+00:00" in message
    assert "HTTP 404" in message and loopback.url(PATH) in message
    assert run_at("2024-05-21T10:00:00") == 1  # still failing, reminder not due yet
    assert len(posts(loopback)) == 1
    assert run_at("2024-05-27T10:00:00") == 1  # seven days after the alert
    assert posts(loopback)[1:] == [
        "SBP Trade in Services (EBOPS 2010) workbook dt.xls is still failing"
    ]
    assert "has failed 5 times" in loopback.posts["/hook"][1]["message"]
    assert run_at("2024-05-28T10:00:00") == 1
    assert len(posts(loopback)) == 2

    loopback.serve(PATH, workbook(Month(2024, 4)))
    assert run_at("2024-05-28T11:00:00") == 0
    assert posts(loopback)[2:] == ["SBP Trade in Services (EBOPS 2010) workbook dt.xls works again"]
    assert "after 6 failed attempt(s)" in loopback.posts["/hook"][2]["message"]
    assert run_at("2024-05-28T12:00:00") == 0
    assert len(posts(loopback)) == 3

    # A new streak is a new incident.
    loopback.serve(PATH, b"", status=503, headers={"Content-Type": "text/plain"})
    for hour in (13, 14, 15):
        assert run_at(f"2024-05-28T{hour}:00:00") == 1
    assert posts(loopback)[3:] == ["SBP Trade in Services (EBOPS 2010) workbook dt.xls is failing"]
    kinds = rows(db, "SELECT kind, route FROM alerts ORDER BY id")
    assert kinds == [
        ("source_error", "ops"),
        ("source_error", "ops"),
        ("source_recovered", "ops"),
        ("source_error", "ops"),
    ]


# -- release calendar --------------------------------------------------------------------------


def test_overdue_release_alerts_once_and_follows_up(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    configure(tmp_path, loopback, hook=loopback.hook("/hook"))

    def run_at(moment: str) -> int:
        result = cli("run", env={"ITX_NOW": moment})
        assert result.returncode == 0, result.stderr
        return len(posts(loopback))

    loopback.serve(PATH, workbook(Month(2024, 3)), etag='"mar"')
    assert run_at("2024-04-22T09:00:00") == 0  # first crawl: silent
    # SBP's default calendar: April due by 22 May; overdue five days later, on 27 May.
    assert run_at("2024-05-22T09:00:00") == 0
    assert run_at("2024-05-26T09:00:00") == 0
    assert run_at("2024-05-27T09:00:00") == 1
    title = posts(loopback)[0]
    assert title == "SBP Trade in Services (EBOPS 2010) workbook dt.xls: April 2024 is overdue"
    assert "due by 2024-05-22" in loopback.posts["/hook"][0]["message"]
    assert run_at("2024-05-28T09:00:00") == 1  # one alert per month

    status = cli("status", "--json", env={"ITX_NOW": "2024-05-28T10:00:00"})
    assert status.returncode == 1
    report = json.loads(status.stdout)
    assert report["sources"]["sbp_ebops"]["next_release"]["state"] == "overdue"
    assert any("April 2024 is overdue" in p for p in report["problems"])

    loopback.serve(PATH, workbook(Month(2024, 4)), etag='"apr"')
    run_at("2024-05-30T09:00:00")
    follow_ups = [t for t in posts(loopback) if "now published" in t]
    assert follow_ups == [
        "SBP Trade in Services (EBOPS 2010) workbook dt.xls: April 2024 is now published"
    ]
    assert any(
        "April 2024" in t and "overdue" not in t and "published" not in t for t in posts(loopback)
    )  # the new_month alert itself
    count = run_at("2024-05-31T09:00:00")
    assert count == len(posts(loopback))
    assert sum("now published" in t for t in posts(loopback)) == 1


def test_overdue_can_be_switched_off(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    configure(tmp_path, loopback, hook=loopback.hook("/hook"), extra="[health]\noverdue = false\n")
    loopback.serve(PATH, workbook(Month(2024, 3)))
    for moment in ("2024-04-22T09:00:00", "2024-05-28T09:00:00", "2024-06-10T09:00:00"):
        assert cli("run", env={"ITX_NOW": moment}).returncode == 0
    assert posts(loopback) == []
    status = cli("status", "--json", env={"ITX_NOW": "2024-06-10T10:00:00"})
    assert status.returncode == 0, status.stdout
    assert json.loads(status.stdout)["problems"] == []

    configure(tmp_path, loopback, hook=loopback.hook("/hook"))  # back on
    assert cli("run", env={"ITX_NOW": "2024-06-10T11:00:00"}).returncode == 0
    assert posts(loopback) == [
        "SBP Trade in Services (EBOPS 2010) workbook dt.xls: April 2024 is overdue"
    ]


def test_replayed_old_files_raise_no_overdue(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    # Two years after the file's month: a replay, not news (the next months are due too).
    configure(tmp_path, loopback, hook=loopback.hook("/hook"))
    loopback.serve(PATH, workbook(Month(2024, 3)))
    assert cli("run", env={"ITX_NOW": "2026-05-01T09:00:00"}).returncode == 0
    assert cli("run", env={"ITX_NOW": "2026-05-02T09:00:00"}).returncode == 0
    assert posts(loopback) == []


# -- status ------------------------------------------------------------------------------------


def test_status_json_reports_and_exits_for_monitoring(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    secret_hook = f"json://ops:s3cr3t-t0ken@127.0.0.1:{loopback.port}/hook"
    configure(tmp_path, loopback, hook=secret_hook)
    env = {"ITX_NOW": "2024-05-25T10:00:00"}

    missing = cli("status", "--json", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "no database" in missing.stderr

    loopback.serve(PATH, workbook(Month(2024, 4)))
    assert cli("run", env=env).returncode == 0
    healthy = cli("status", "--json", env=env)
    assert healthy.returncode == 0, healthy.stdout
    report = json.loads(healthy.stdout)
    source = report["sources"]["sbp_ebops"]
    assert source["last_attempt"]["status"] == "ok"
    assert source["last_success"]["started_at"] == "2024-05-25T10:00:00+00:00"
    assert source["last_change"]["latest_period"] == "2024-04"
    assert source["consecutive_failures"] == 0
    assert source["next_release"]["period"] == "2024-05"
    assert source["next_release"]["due"] == "2024-06-22"
    assert source["next_release"]["state"] == "waiting"
    assert report["last_run"]["status"] == "ok"
    assert report["deliveries"]["pending"] == 0
    assert report["problems"] == [] and report["ok"] is True

    # Three failures while the hook is down: failing source, failed run, stuck deliveries.
    loopback.serve(PATH, b"no", status=403, headers={"Content-Type": "text/plain"})
    loopback.hook_status["/hook"] = 500
    for _ in range(3):
        assert cli("run", env=env).returncode == 1
    sick = cli("status", "--json", env=env)
    assert sick.returncode == 1
    report = json.loads(sick.stdout)
    assert report["sources"]["sbp_ebops"]["consecutive_failures"] == 3
    assert report["sources"]["sbp_ebops"]["last_attempt"]["error_class"] == "403"
    assert report["sources"]["sbp_ebops"]["last_success"]["started_at"].startswith("2024-05-25")
    assert report["last_run"]["status"] == "failed"
    assert report["deliveries"]["pending"] == 1 and report["deliveries"]["retrying"] == 1
    problems = " | ".join(report["problems"])
    assert "sbp_ebops: 3 consecutive failed attempts" in problems
    assert "pending after a failed attempt" in problems
    assert "the last run" in problems
    text = cli("status", env=env)
    assert text.returncode == 1 and "ATTENTION" in text.stdout
    for output in (sick.stdout, text.stdout, sick.stderr, text.stderr):
        assert "s3cr3t-t0ken" not in output
    assert report["deliveries"]["by_target"][0]["target"].startswith("json://ops:")
    for file in tmp_path.glob("itx.db*"):  # the database, its WAL and the lock file
        assert b"s3cr3t-t0ken" not in file.read_bytes()
