"""Politeness timing: the gaps between requests to one host, as the loopback server saw them.

    .venv/bin/python tests/benchmarks/politeness.py [--delay 1.0] [--runs 3]

The default suite checks that requests to one host never overlap, that Retry-After and
backoff pauses are kept, and that the configured delay reaches Scrapy's DOWNLOAD_DELAY.
This measures what Scrapy makes of that delay, for runs of two sources on one host (the
SBP workbook and the headline PDF): within a source, Scrapy's jitter spaces requests
0.5-1.5 x the delay from one request to the next; between the two sources the runner
waits the delay after the first one's last answer. Printed, not asserted.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sbp_workbook import build_dt, published_ict
from spider_fixtures import headline_pdf

from itx_scraper.core.periods import Month
from itx_scraper.ops.loopback import Loopback

WORKBOOK, PDF = "/ecodata/dt.xls", "/assets/goods.pdf"


def one_run(server: Loopback, folder: Path, delay: float) -> list[tuple[str, float, float]]:
    """(request, seconds since the previous request, seconds since its answer) per request."""
    config = folder / "itx.toml"
    config.write_text(
        '[run]\nsources = ["sbp_ebops", "sbp_headline"]\n[history]\nbaseline = false\n'
        f"[http]\ndelay = {delay}\ntimeout = 30.0\nretries = 0\n"
        f'[sources.sbp_ebops]\nurl = "{server.url(WORKBOOK)}"\n'
        f'[sources.sbp_headline]\nurl = "{server.url(PDF)}"\n'
    )
    with server.lock:
        server.requests.clear()
    command = [sys.executable, "-m", "itx_scraper", "run", "--quiet", "--config", str(config)]
    subprocess.run([*command, "--db", str(folder / "itx.db")], check=True, cwd=folder)
    return [
        (f"{a.path} -> {b.path}", b.at - a.at, b.at - (a.done or a.at))
        for a, b in itertools.pairwise(server.requests)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=1.0, help="[http] delay, seconds")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with Loopback(content_type="application/vnd.ms-excel") as server:
        server.serve(WORKBOOK, build_dt(Month(2024, 4), published_ict()))
        server.serve(PDF, headline_pdf(), headers={"Content-Type": "application/pdf"})
        low, high = 0.5 * args.delay, 1.5 * args.delay
        print(f"delay {args.delay:g} s: {low:.2f}-{high:.2f} s between requests of one source,")
        print(f"at least {args.delay:g} s after the answer between two sources")
        print(f"{'run':>3}  {'requests':<34} {'gap':>7} {'after answer':>12}")
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="itx-politeness-") as folder:
                for pair, gap, pause in one_run(server, Path(folder), args.delay):
                    print(f"{run:>3}  {pair:<34} {gap:>6.3f}s {pause:>11.3f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
