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
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from conftest import HANG_GUARD, HTTP_TIMEOUT, Cli, Loopback, Route, wait_for
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
    timeout: float = HTTP_TIMEOUT,
) -> Path:
    notify = f'[notify]\nurls = ["{hook}"]\n' if hook else ""
    (tmp_path / "itx.toml").write_text(
        f'[run]\nsources = ["sbp_ebops"]\n[http]\ndelay = 0.0\ntimeout = {timeout}\n{http}\n'
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
    # A generous fetch timeout: the third cycle's answer is held until the test releases it.
    db = configure(tmp_path, loopback, timeout=HANG_GUARD)
    body = workbook(Month(2024, 4))
    held = threading.Event()
    loopback.script(PATH, [Route(body), Route(body), Route(body, hold=held)])
    with daemon(tmp_path, "--interval", "1", "--jitter", "0") as (proc, log):
        wait_for(lambda: len(loopback.requests_to(PATH)) >= 3, "the third cycle", proc=proc)
        # The third cycle waits for its answer: stop the daemon in the middle of it.
        assert [r[1] for r in runs(db)] == ["ok", "ok", "running"]
        proc.send_signal(signal.SIGTERM)
        held.set()
        assert proc.wait(timeout=HANG_GUARD) == 0
        text = log.read_text()
    recorded = runs(db)
    assert [r[1] for r in recorded] == ["ok", "ok", "ok"], text  # the cycle finished
    assert len({r[3] for r in recorded}) == 3  # each cycle in its own process
    assert "cycle 2 finished" in text and "signal received" in text


def test_daemon_survives_a_held_lock_and_a_killed_cycle(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    db = configure(tmp_path, loopback, timeout=HANG_GUARD)
    body = workbook(Month(2024, 4))
    never = threading.Event()  # the first crawling cycle waits for its answer until killed
    loopback.script(PATH, [Route(body, hold=never), Route(body)])
    manual_run = ExitStack()
    manual_run.enter_context(held_lock(db))  # a manual run holds the lock ...
    with daemon(tmp_path, "--interval", "3", "--jitter", "0") as (proc, log):
        try:  # ... so the daemon's first cycle is skipped, and the daemon goes on
            wait_for(
                lambda: "cycle 1 skipped: another run holds the lock" in log.read_text(),
                "a skipped cycle",
                proc=proc,
            )
        finally:
            manual_run.close()
        wait_for(lambda: loopback.requests_to(PATH), "the next cycle's request", proc=proc)
        # A manual run while a daemon cycle holds the lock is refused.
        manual = cli("run")
        assert manual.returncode == 75, manual.stderr
        os.kill(runs(db)[0][3], signal.SIGKILL)  # crash the cycle
        wait_for(lambda: "killed by signal 9" in log.read_text(), "the crash report", proc=proc)
        wait_for(lambda: any(r[1] == "ok" for r in runs(db)), "a good cycle", proc=proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=HANG_GUARD) == 0
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
        wait_for(lambda: [r[1] for r in runs(db)] == ["ok"], "the first cycle", proc=proc)
        wait_for(
            lambda: log.read_text().count("next cycle in") == 2,
            "the daemon to go to sleep",
            proc=proc,
        )
        proc.send_signal(signal.SIGTERM)
        # Its sleep is an hour, far beyond this guard: returning at all means it woke up.
        assert proc.wait(timeout=HANG_GUARD) == 0
        text = log.read_text()
    waits = [int(w) for w in re.findall(r"next cycle in (\d+) s", text)]
    assert 3600 <= waits[-1] <= 3660  # an hour, plus up to a minute of jitter
    assert "signal received; daemon stopped after 1 cycle(s)" in text


def test_daemon_rejects_a_bad_cron_expression(tmp_path: Path, cli: Cli) -> None:
    result = cli("daemon", "--cron", "61 * * * *", process=False)
    assert result.returncode == 2
    assert "cron" in result.stderr


def test_daemon_on_a_cron_schedule(tmp_path: Path, loopback: Loopback) -> None:
    db = configure(tmp_path, loopback)
    loopback.serve(PATH, workbook(Month(2024, 4)))
    # The clock stands two seconds before 10:30 UTC: a daily 10:30 schedule waits two
    # seconds for its first cycle, where an interval schedule would start at once.
    frozen = {"ITX_NOW": "2024-05-20T10:29:58", "TZ": "UTC"}
    cron = ("--cron", "30 10 * * *", "--jitter", "0", "--max-cycles", "1")
    with daemon(tmp_path, *cron, env=frozen) as (proc, log):
        assert proc.wait(timeout=HANG_GUARD) == 0, log.read_text()
        text = log.read_text()
    assert "cron '30 10 * * *'" in text
    assert "next cycle in 2 s (release hours; no database yet)" in text
    assert "stopping after 1 cycle(s) (--max-cycles)" in text
    assert [r[1] for r in runs(db)] == ["ok"]
    # The cycle ran on the daemon's clock: it inherited the frozen time.
    assert rows(db, "SELECT started_at FROM runs") == [("2024-05-20T10:29:58+00:00",)]

    # The same clock with 10:31 in the expression: a minute and two seconds to wait.
    later = ("--cron", "31 10 * * *", "--jitter", "0", "--max-cycles", "1")
    with daemon(tmp_path, *later, env=frozen) as (proc, log):
        wait_for(lambda: "next cycle in" in log.read_text(), "the daemon to plan", proc=proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD) == 0
        text = log.read_text()
    assert "next cycle in 62 s" in text
    assert "daemon stopped after 0 cycle(s)" in text
    assert len(runs(db)) == 1


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
    healthy = cli("status", "--json", env=env, process=True)  # once as a real process
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
