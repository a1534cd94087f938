"""Hostile servers and files: size caps, trickling, redirect loops, other hosts, a zip bomb.

Every spider of the project (``scrapy list``) is pointed at the hostile server in one run,
so sources added later are covered without editing this file. Each case must end in one
fetch-log row per request with the expected error class, and store nothing from it.
(Property tests for the workbook parser and the prose extractor live next door in
test_parser_properties.py and test_extract_properties.py.)
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from conftest import HANG_GUARD, HTTP_TIMEOUT, Loopback, wait_for
from faultkit import (
    BIG,
    TRICKLE_BYTES,
    WATCH,
    answered,
    cli_env,
    hits_on,
    misbehave,
    report,
    run_cli,
    sources_toml,
    spider_names,
    sql,
)
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

HTTP = "[http]\ndelay = 0.0\nretries = 0\ntimeout = {timeout}\n"


@dataclass(frozen=True)
class Case:
    name: str
    mode: str
    expect: str  # error class in the fetch log
    timeout: float = HTTP_TIMEOUT
    away_host: str = "localhost"


CASES = [
    Case("50 MB page with Content-Length", "big", "size"),
    Case("50 MB page without Content-Length", "big_unsized", "size"),
    Case("trickle: 1 byte every 0.5 s", "trickle", "timeout", timeout=1.5),
    Case("redirect loop", "loop", "redirect"),
    Case("redirect to localhost", "away", "offsite", away_host="localhost"),
    Case("redirect to 127.0.0.2", "away", "offsite", away_host="127.0.0.2"),
]


def configure(
    tmp_path: Path, url: str, names: tuple[str, ...], timeout: float = HTTP_TIMEOUT
) -> None:
    (tmp_path / "itx.toml").write_text(
        HTTP.format(timeout=timeout) + "[history]\nbaseline = false\n" + sources_toml(url, names)
    )


def fetches(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM fetches ORDER BY id")]


def assert_refused(db: Path, names: tuple[str, ...], expect: str, stderr: str) -> None:
    rows = fetches(db)
    for name in names:
        mine = [r for r in rows if r["source"] == name]
        assert mine, f"{name}: no fetch recorded"
        for row in mine:
            assert (row["status"], row["error_class"]) == ("error", expect), (name, row)
            assert row["error"], row
        assert f"error: {name}: {expect}:" in stderr, stderr
    assert sql(db, "SELECT count(*) FROM observations") == [(0,)]
    assert sql(db, "SELECT count(*) FROM releases") == [(0,)]  # no body, no evidence to keep
    assert sql(db, "SELECT count(*) FROM alerts WHERE kind NOT IN ('source_error')") == [(0,)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_server_is_refused_and_recorded(
    case: Case,
    loopback: Loopback,
    tmp_path: Path,
) -> None:
    names = spider_names()
    misbehave(loopback, case.mode, away_host=case.away_host)
    configure(tmp_path, loopback.url("/ecodata/dt.xls"), names, case.timeout)
    started = time.monotonic()
    done = run_cli(tmp_path, "run")
    assert done.returncode == 1, done.stderr
    assert_refused(tmp_path / "itx.db", names, case.expect, done.stderr)
    if case.mode == "away":
        assert hits_on(loopback, case.away_host) == []  # never contacted
    if case.mode in ("big", "big_unsized", "trickle"):
        # The server notices each hang-up on its next write; every spider hung up early.
        wait_for(lambda: len(answered(loopback)) >= len(names), "the server to see the hang-ups")
        sent = [r.body_sent for r in answered(loopback)]
        assert max(sent) < (TRICKLE_BYTES if case.mode == "trickle" else BIG), sent
    report(
        "hostile",
        case=case.name,
        sources=len(names),
        expected=case.expect,
        crashes=0,
        stored=0,
        seconds=round(time.monotonic() - started, 1),
    )


# -- zip bomb ---------------------------------------------------------------------------------

BOMB_TEXT = 512 * 2**20  # one cell of 512 MiB 'A's, about 0.5 MB compressed
SHEET = "xl/worksheets/sheet1.xml"


def zip_bomb() -> bytes:
    """A real xlsx whose title cell inflates to 512 MiB (a reader must hold it whole)."""
    good = zipfile.ZipFile(io.BytesIO(build_dt(Month(2024, 4), published_ict())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in good.infolist():
            data = good.read(item)
            if item.filename != SHEET:
                bomb.writestr(item.filename, data)
                continue
            head, tail = data.split(b"</t>", 1)
            with bomb.open(item.filename, "w", force_zip64=True) as part:
                part.write(head)
                block = b"A" * 2**20
                for _ in range(BOMB_TEXT // len(block)):
                    part.write(block)
                part.write(b"</t>" + tail)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb()


MEASURE = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=False)
print(json.dumps({"rc": proc.returncode, "stderr": proc.stderr,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def run_measured(tmp_path: Path) -> dict:
    """Run the CLI under a fresh parent whose RUSAGE_CHILDREN covers only that run."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "itx_scraper", "run"],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
        cwd=tmp_path,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


PEAK_MB_LIMIT = 300  # a normal run peaks near 100 MB; inflating the bomb needs over 512 MB


def test_xlsx_zip_bomb_is_refused_before_inflating(
    bomb: bytes,
    loopback: Loopback,
    tmp_path: Path,
) -> None:
    assert len(bomb) < 2 * 2**20  # tiny on the wire
    misbehave(loopback, "body", body=bomb, content_type="application/vnd.ms-excel")
    configure(tmp_path, loopback.url("/ecodata/dt.xls"), ("sbp_ebops",))
    measured = run_measured(tmp_path)
    assert measured["rc"] == 1, measured["stderr"]
    db = tmp_path / "itx.db"
    [row] = fetches(db)
    assert (row["status"], row["error_class"]) == ("error", "size"), row
    assert "uncompressed" in row["error"] or "ratio" in row["error"]
    assert "error: sbp_ebops: size:" in measured["stderr"]
    # Only the evidence is kept: the bytes as received, marked unparsed; no figure from it.
    assert sql(db, "SELECT parse_status, size FROM releases") == [("error", len(bomb))]
    assert sql(db, "SELECT count(*) FROM observations") == [(0,)]
    peak_mb = measured["maxrss_kb"] / 1024
    assert peak_mb < PEAK_MB_LIMIT, f"peak RSS {peak_mb:.0f} MB"
    report(
        "hostile",
        case="xlsx zip bomb (512 MiB inflated, 0.5 MB sent)",
        sources=1,
        expected="size",
        crashes=0,
        stored=0,
        peak_mb=round(peak_mb),
    )


def far_cell_xlsx() -> bytes:
    """A 5 KB xlsx whose only cells, A1 and XFD1048576, ask calamine for a 512 GiB grid:
    it aborts the process that reads it (Rust cannot report a failed allocation)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "EBOPS"
    sheet["A1"] = "Exports of ICT services"
    sheet["XFD1048576"] = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_that_makes_the_reader_abort_fails_alone(
    loopback: Loopback,
    tmp_path: Path,
) -> None:
    """Before: the run died of SIGABRT (exit -6) with a Rust backtrace, its runs row left
    'running'. Now each source that reads the file records one parse error and the run
    ends as any run with a failed source does."""
    body = far_cell_xlsx()
    names = ("sbp_ebops", WATCH)
    misbehave(loopback, "body", body=body, content_type="application/vnd.ms-excel")
    configure(tmp_path, loopback.url("/ecodata/dt.xls"), names)
    done = run_cli(tmp_path, "run")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "stack backtrace" not in done.stderr
    db = tmp_path / "itx.db"
    for name in names:
        [row] = [r for r in fetches(db) if r["source"] == name]
        assert (row["status"], row["error_class"]) == ("error", "parse"), row
        assert "killed by SIGABRT" in row["error"], row
        assert f"error: {name}: parse: cannot read the xlsx workbook" in done.stderr
    assert sql(db, "SELECT status, exit_code FROM runs") == [("failed", 1)]
    assert sql(db, "SELECT count(*) FROM observations") == [(0,)]
    assert sql(db, "PRAGMA integrity_check") == [("ok",)]
    report(
        "hostile",
        case=f"xlsx whose cells ask the reader for a 512 GiB grid ({len(body):,} B sent)",
        sources=len(names),
        expected="parse",
        crashes=0,
        stored=0,
    )


def test_a_normal_run_stays_well_below_the_memory_bound(
    loopback: Loopback,
    tmp_path: Path,
) -> None:
    """The bound above means something only if a healthy run is far below it."""
    body = build_dt(Month(2024, 4), published_ict())
    misbehave(loopback, "body", body=body, content_type="application/vnd.ms-excel")
    configure(tmp_path, loopback.url("/ecodata/dt.xls"), ("sbp_ebops",))
    measured = run_measured(tmp_path)
    assert measured["rc"] == 0, measured["stderr"]
    assert measured["maxrss_kb"] / 1024 < PEAK_MB_LIMIT / 2
