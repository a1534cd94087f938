"""Bounded cost per document (issue 13 §3): seconds and peak memory, before and after.

Run from the project root:

    .venv/bin/python tests/benchmarks/hostile_pages.py [--old-limit SECONDS] [--prose-mb N]

Each measurement runs in a child process, so that its peak memory (ru_maxrss) is its own;
times are the child's CPU seconds (other jobs on the machine do not count).

- HTML text: ``parse_page`` (tree, selectors, text) on article pages of 0.25 and 1 MB, CPU
  seconds per MB and their ratio (limit 1.5: the cost must grow with the size, not faster).
- Prose: ``extract`` on 0.25 and 1 MB of generated statements, the same way.
- Pages nested 8,000, 30,000 and 100,000 deep: ``parse_page`` now (refused at MAX_DEPTH while
  the tree is built) against the walk before issue 13 (the tree built in full, then bs4's
  ``insert_after`` around every block), which is stopped after ``--old-limit`` seconds.
- ``itx-scraper extract`` on 50 MB of prose: the command now (refuses input over 1 MB) against
  reading the whole input and extracting from it, as the command did before (``--prose-mb``
  sets that size; the old way is stopped after ``--old-limit`` seconds too).

Exits 1 when a per-MB ratio is over the limit or a hostile page is not refused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

MAX_GROWTH = 1.5
DEPTHS = (8_000, 30_000, 100_000)
PARAGRAPH = (
    "<p>Pakistan's IT exports rose to $310 million in April 2024, up 24 percent on the year,"
    " the Ministry of IT and Telecom said in Islamabad on <b>Friday</b>; exports for July-April"
    " reached <a href='/x'>$2.59 billion</a>.</p>\n<div class='share'><span>Share</span></div>\n"
)


def article(megabytes: float) -> str:
    count = int(megabytes * 1_000_000 / len(PARAGRAPH))
    return (
        "<!DOCTYPE html><html><head><title>IT exports</title></head><body>"
        "<article class='news-detail'><h1>IT exports</h1><time datetime='2024-05-17'></time>"
        "<div class='entry-content'>" + PARAGRAPH * count + "</div></article></body></html>"
    )


def deep(depth: int) -> str:
    """A PSEB news page whose article nests ``depth`` elements deep."""
    inner = "<div>" * depth + PARAGRAPH + "</div>" * depth
    return (
        "<!DOCTYPE html><html><body><article class='news-detail'><h1>IT exports</h1>"
        "<time datetime='2024-05-17'></time>"
        f"<div class='entry-content'>{inner}</div></article></body></html>"
    )


# -- what a child process measures --------------------------------------------------------------


def child(kind: str, argument: str) -> dict[str, object]:
    from itx_scraper.core.errors import ParseError
    from itx_scraper.parsers.statement import parse_page
    from itx_scraper.spiders.pseb import SELECTORS

    selectors = SELECTORS.page  # a real spider's selectors: descendant combinators included
    if kind == "html":
        small = article(0.01)
        parse_page(small.encode(), small, selectors)  # compiled selectors and patterns are cached
        markup = article(float(argument))
        began = time.process_time()
        text = parse_page(markup.encode(), markup, selectors).text
        return {"cpu": time.process_time() - began, "mb": len(markup) / 1e6, "text": len(text)}
    if kind == "prose":
        from datetime import date

        from extraction import prose

        from itx_scraper.extract import extract

        extract(prose(0.01), date(2025, 8, 20))  # compiled patterns are cached
        text = prose(float(argument))
        began = time.process_time()
        extract(text, date(2025, 8, 20))
        return {"cpu": time.process_time() - began, "mb": len(text.encode()) / 1e6}
    if kind == "deep-now":
        markup = deep(int(argument))
        began = time.process_time()
        try:
            parse_page(markup.encode(), markup, selectors)
            outcome = "read"
        except ParseError as exc:
            outcome = f"{exc.error_class}: {exc}"
        return {"cpu": time.process_time() - began, "outcome": outcome}
    if kind == "deep-before":
        before_issue_13()
        markup = deep(int(argument))
        began = time.process_time()
        text = parse_page(markup.encode(), markup, selectors).text
        return {"cpu": time.process_time() - began, "outcome": f"read ({len(text)} chars)"}
    if kind == "write-prose":  # here, so that the parent (whose children fork) stays small
        from extraction import prose

        path, megabytes = argument.split("=")
        Path(path).write_text(prose(float(megabytes)), encoding="utf-8")
        return {}
    if kind == "extract-before":
        from itx_scraper.extract import extract

        text = Path(argument).read_text(encoding="utf-8")  # what `extract FILE` did: all of it
        began = time.process_time()
        extract(text)
        return {"cpu": time.process_time() - began}
    raise SystemExit(f"unknown measurement {kind}")


def before_issue_13() -> None:
    """parse_page as it was: no depth cap while the tree is built, and the old text walk
    (a paragraph mark inserted with bs4's insert_after around every block element)."""
    from bs4 import BeautifulSoup

    from itx_scraper.parsers import statement

    def element_text(element: Any) -> str:
        for br in element.find_all("br"):
            br.replace_with("\n\n")
        for block in element.find_all(statement.BLOCK_TAGS):
            block.insert_before("\n\n")
            block.insert_after("\n\n")
        parts = (statement.clean_line(p) for p in re.split(r"\n\s*\n", element.get_text()))
        return "\n\n".join(part for part in parts if part)

    statement.soup = lambda markup: BeautifulSoup(markup, "html.parser")  # type: ignore[assignment]
    statement.element_text = element_text  # type: ignore[assignment]


# -- the parent: run children, read their peak memory -------------------------------------------


def measure(command: list[str], limit: float | None = None) -> dict[str, object]:
    """Run ``command``; its JSON line, wall seconds and peak RSS (MB); killed after ``limit``."""
    began = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = None if limit is None else began + limit
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return {"stopped": True, "wall": time.monotonic() - began, "peak_mb": _mb(usage)}
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    result: dict[str, object] = {"wall": time.monotonic() - began, "peak_mb": _mb(usage)}
    result["exit"] = proc.returncode
    result["stderr"] = stderr.strip()[-300:]
    if stdout.strip().startswith("{"):
        result.update(json.loads(stdout.strip().splitlines()[-1]))
    return result


def _mb(usage: os.struct_rusage | object) -> float:
    return round(getattr(usage, "ru_maxrss", 0) / 1024, 1)


def in_child(kind: str, argument: object, limit: float | None = None) -> dict[str, object]:
    return measure([sys.executable, __file__, "--child", kind, str(argument)], limit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    parser.add_argument("--old-limit", type=float, default=300.0, help="seconds for the old way")
    parser.add_argument("--prose-mb", type=float, default=50.0, help="size of the extract input")
    parser.add_argument("--now-only", action="store_true", help="skip the before-issue-13 runs")
    parser.add_argument("--parts", default="speed,deep,extract", help="parts to run, e.g. deep")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    parts = set(args.parts.split(","))
    failures: list[str] = []
    if "speed" in parts:
        failures += speed()
    if "deep" in parts:
        failures += nested_pages(args.old_limit, args.now_only)
    if "extract" in parts:
        failures += big_prose(args.prose_mb, args.old_limit, args.now_only)
    for line in failures:
        print(f"MISSED: {line}")
    return 1 if failures else 0


def speed() -> list[str]:
    failures = []
    print(f"{'per MB':<34}{'0.25 MB':>10}{'1 MB':>10}{'ratio':>7}{'peak MB':>9}")
    for kind, label in (("html", "HTML text (parse_page), CPU s/MB"), ("prose", "prose (extract)")):
        quarter, full = in_child(kind, 0.25), in_child(kind, 1.0)
        per = [float(r["cpu"]) / float(r["mb"]) for r in (quarter, full)]  # type: ignore[arg-type]
        ratio = per[1] / per[0]
        print(f"{label:<34}{per[0]:>10.2f}{per[1]:>10.2f}{ratio:>7.2f}{full['peak_mb']:>9}")
        if ratio > MAX_GROWTH:
            failures.append(f"{kind}: cost grows faster than the input ({ratio:.2f})")
    return failures


def nested_pages(old_limit: float, now_only: bool) -> list[str]:
    failures = []
    print(f"\n{'nested page':<14}{'now':>44}{'before issue 13':>40}")
    for depth in DEPTHS:
        now = in_child("deep-now", depth)
        before = {} if now_only else in_child("deep-before", depth, old_limit)
        now_text = f"{now['cpu']:.2f} s, {now['peak_mb']} MB, {str(now['outcome'])[:20]}"
        print(f"{depth:>7,} deep  {now_text:>44}{describe(before, old_limit):>40}")
        if not str(now["outcome"]).startswith("layout"):
            failures.append(f"{depth} deep: not refused ({now['outcome']})")
    return failures


def big_prose(megabytes: float, old_limit: float, now_only: bool) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prose.txt"
        in_child("write-prose", f"{path}={megabytes}")
        size = path.stat().st_size / 1e6
        now = measure([sys.executable, "-m", "itx_scraper", "extract", str(path)])
        before = {} if now_only else in_child("extract-before", path, old_limit)
    print(f"\n`itx-scraper extract` on {size:.0f} MB of prose:")
    print(f"  now: exit {now['exit']} in {now['wall']:.2f} s wall, peak {now['peak_mb']} MB")
    print(f"       {now['stderr']}")
    print(f"  before (the whole input read and extracted): {describe(before, old_limit)}")
    return [] if now["exit"] == 1 else [f"extract on {size:.0f} MB: exit {now['exit']}, not 1"]


def describe(result: dict[str, object], limit: float) -> str:
    if not result:
        return "-"
    if result.get("stopped"):
        return f"> {limit:.0f} s (stopped), {result['peak_mb']} MB"
    return f"{result['cpu']:.1f} s CPU, {result['peak_mb']} MB"


if __name__ == "__main__":
    sys.exit(main())
