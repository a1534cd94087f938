"""Run tests/faults once and print the README "Reliability" figures measured by that run.

Usage: .venv/bin/python scripts/reliability_figures.py [extra pytest args]

Each fault test appends what it tried and what happened to a JSON-lines log in a
temporary folder (FAULTS_REPORT_DIR, see tests/faults/faultkit.py); this script runs the
suite with that folder set, then totals the log and pytest's JUnit report. Nothing is
hard-coded: a test writes its record only after all its checks passed.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def machine() -> str:
    """The machine in a few words: OS, CPUs, memory, Python, and how busy it was."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, load average {load:.1f} at the start"
    )


def run_suite(folder: Path, extra: list[str]) -> tuple[int, float, str]:
    junit = folder / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/faults",
        "-n",
        "2",
        "-q",
        "--hypothesis-show-statistics",
        f"--junitxml={junit}",
        *extra,
    ]
    env = {**os.environ, "FAULTS_REPORT_DIR": str(folder)}
    started = time.monotonic()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc.returncode, seconds, proc.stdout


def records(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line]
    return rows


def junit_counts(folder: Path) -> dict[str, Counter[str]]:
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    for case in ET.parse(folder / "junit.xml").iter("testcase"):
        name = case.get("classname", "").rsplit(".", 1)[-1] or "?"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "xfailed" if "xfail" in (child.get("type") or "") else "skipped"
        per_file[name][outcome] += 1
    return per_file


def hypothesis_examples(output: str) -> int | None:
    found = re.findall(r"(\d+) passing examples?", output)
    return sum(int(n) for n in found) if found else None


def main() -> int:
    where = machine()
    with tempfile.TemporaryDirectory(prefix="itx-faults-") as tmp:
        folder = Path(tmp)
        code, seconds, output = run_suite(folder, sys.argv[1:])
        rows = records(folder)
        tests = junit_counts(folder)
    kills = [r for r in rows if r["kind"] == "kill"]
    named = [r for r in kills if r["trigger"] == "checkpoint"]
    randoms = [r for r in kills if r["trigger"] == "random"]
    points = {r["point"].split(":")[0] for r in named}
    in_window = sum(r["duplicates"] for r in kills if r["window"])
    outside = sum(r["duplicates"] for r in kills if not r["window"])
    hostile = [r for r in rows if r["kind"] == "hostile"]
    storage = [r for r in rows if r["kind"] == "storage"]
    concurrency = [r for r in rows if r["kind"] == "concurrency"]
    secrets = [r for r in rows if r["kind"] == "secrets"]
    passed = sum(c["passed"] for c in tests.values())
    failed = sum(c["failed"] for c in tests.values())
    examples = hypothesis_examples(output)

    print(
        f"Last run: {date.today():%Y-%m-%d}, {where}: {passed} passed, {failed} failed, "
        f"{seconds:.0f} s (pytest exit {code})."
    )
    print(
        f"- **Crash safety:** {len(kills)} SIGKILLs of real runs: {len(named)} at "
        f"{len(points)} distinct named checkpoints and {len(randoms)} at random moments "
        f"({sum(r['killed'] for r in randoms)} of which landed mid-run). Outcomes: "
        f"all {len(kills)} recovered by the next run, "
        f"{sum(r['lost'] for r in kills)} observations lost, "
        f"{in_window} duplicate message(s) within the documented window (at most "
        f"{max((r['duplicates'] for r in kills), default=0)} per kill), "
        f"{outside} outside it; `PRAGMA integrity_check` ok after every kill."
    )
    sources = max((r["sources"] for r in hostile), default=0)
    print(
        f"- **Hostile input:** {len(hostile)} hostile server/file cases across "
        f"{sources} spiders ({sum(r['sources'] for r in hostile)} spider x case runs): "
        + "; ".join(f"{r['case']} → `{r['expected']}`" for r in hostile)
        + f". Outcomes: {sum(r['crashes'] for r in hostile)} crashes, "
        f"{sum(r['stored'] for r in hostile)} figures stored from them"
        + "".join(f"; zip bomb peak memory {r['peak_mb']} MB" for r in hostile if "peak_mb" in r)
        + "."
    )
    property_files = {k: v for k, v in tests.items() if "properties" in k}
    if property_files:
        print(
            "- **Property tests (hypothesis):** "
            + ", ".join(
                f"{k}: {v['passed']} passed, {v['failed']} failed"
                for k, v in sorted(property_files.items())
            )
            + (f" ({examples} generated examples)" if examples else "")
            + "."
        )
    print(
        "- **Concurrency:** "
        + "; ".join(
            f"{r['case']}"
            + (
                f" ({r['polls']:,} reads, {r['paused_polls']:,} of them while the run sat "
                f"inside its write transaction; {r['violations']} saw a release without its "
                "figures)"
                if "polls" in r
                else ""
            )
            for r in concurrency
        )
        + "."
    )
    print(
        f"- **Storage faults:** {len(storage)} cases ("
        + ", ".join(r["case"] for r in storage)
        + f"): each exits {sorted({r['exit'] for r in storage})}, "
        f"{sum(r['corrupt'] for r in storage)} corrupted, {sum(r['lost'] for r in storage)} "
        "lost; the next healthy run caught up every time."
    )
    for r in secrets:
        print(
            f"- **Secrets:** {r['tokens']} planted tokens searched in {r['places']} places "
            f"(stdout, stderr at -vv, database, -wal, -shm): {r['occurrences']} occurrences."
        )
    print_hardening(rows)
    return code


def print_hardening(rows: list[dict]) -> None:
    """The issue 13 cases: what each kind of test tried and what came out."""

    def of(kind: str) -> list[dict]:
        return [r for r in rows if r["kind"] == kind]

    links, endpoints, signals = of("links"), of("endpoints"), of("signal")
    bounded, masked, future = of("bounded"), of("masked"), of("future")
    config, export, one_line = of("config"), of("export"), of("one_line")
    contact, schema = of("contact"), of("schema")
    if links:
        print(
            f"- **Links and redirects:** {len(links)} cases ("
            + "; ".join(r["case"] for r in links)
            + f"): {sum(r.get('stored_bytes', 0) for r in links)} bytes of a linked local file "
            "or token in any database file; exits "
            + ", ".join(sorted({str(r["exit"]) for r in links}))
            + "."
        )
    for r in endpoints:
        print(
            f"- **Endpoints:** {r['case']}: {r['listening']} listening TCP ports, "
            f"{r['job_files']} job files."
        )
    if signals:
        print(
            f"- **Signals:** {len(signals)} cases ("
            + "; ".join(f"{r['case']} → exit {r['exit']}" for r in signals)
            + "), each with its runs row closed, no traceback."
        )
    if bounded:
        print(
            f"- **Bounded pages:** {len(bounded)} cases ("
            + "; ".join(f"{r['case']} → `{r['expected']}`" for r in bounded)
            + f"); most lines executed to refuse a nested page: "
            f"{max((r.get('lines', 0) for r in bounded), default=0):,}."
        )
    if masked:
        print(
            f"- **Malformed destinations:** {len(masked)} schemes ("
            + ", ".join(r["scheme"] for r in masked)
            + f"), {sum(r['tokens'] for r in masked)} planted tokens searched in "
            f"{sum(r['places'] for r in masked)} places: "
            f"{sum(r['occurrences'] for r in masked)} occurrences."
        )
    if future:
        print(
            f"- **Future months and history files:** {len(future)} cases ("
            + "; ".join(r["case"] for r in future)
            + ")."
        )
    small = [(config, "bad config values"), (export, "export targets"), (schema, "newer schema")]
    small += [(one_line, "one-line errors"), (contact, "first contact")]
    parts = [
        f"{len(group)} {label} (exit {', '.join(sorted({str(r['exit']) for r in group}))})"
        for group, label in small
        if group
    ]
    if parts:
        print("- **Inputs:** " + "; ".join(parts) + "; no traceback in any.")


if __name__ == "__main__":
    sys.exit(main())
