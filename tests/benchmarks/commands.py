"""Commands a person types: `--help`, `show` and `status --json` on a small database.

    .venv/bin/python tests/benchmarks/commands.py [--pairs N] [--fixture]

The database is the one a first `itx-scraper run` leaves (the bundled history and the real
dt-2026-03.xls, served on 127.0.0.1). Each command alternates with the reference
`python -c "import sqlite3, click"`. Target for each: a wall time of at most 0.3 s, or at
most 2x the reference's, whichever is larger (checked per pair; the median decides).
Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from pairing import (
    FileServer,
    Usage,
    Verdict,
    alternate,
    finish,
    itx,
    itx_config,
    progress,
    run_child,
    workbooks,
)

FLOOR_SECONDS = 0.3
REFERENCE_FACTOR = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--fixture", action="store_true", help="measure a generated workbook")
    args = parser.parse_args(argv)
    _, body, what = workbooks(args.fixture)
    server = FileServer(body).start()
    verdicts, lines = [], [f"workbook: {what}"]
    try:
        with tempfile.TemporaryDirectory(prefix="itx-bench-") as temp:
            work = Path(temp)
            config = itx_config(work, server.url)
            progress("first itx-scraper run (fills the database)")
            run_child(itx("run", "--config", str(config), "--quiet"), cwd=work)
            reference = [sys.executable, "-c", "import sqlite3, click"]
            commands = {
                "--help": itx("--help"),
                "show": itx("show", "--config", str(config)),
                "status --json": itx("status", "--config", str(config), "--json"),
            }
            for name, command in commands.items():

                def ours(command: list[str] = command) -> Usage:
                    return run_child(command, cwd=work, ok=(0, 1))  # status: 1 = attention

                def bare() -> Usage:
                    return run_child(reference, cwd=work)

                pairs = alternate(ours, bare, args.pairs, label=name)
                # Per pair: our wall time over the larger of 0.3 s and twice the reference's.
                shares = [
                    a.wall / max(FLOOR_SECONDS, REFERENCE_FACTOR * b.wall)
                    for a, b in zip(pairs.a, pairs.b, strict=True)
                ]
                verdicts.append(Verdict(f"`itx-scraper {name}` / its limit", shares, 1.0))
                lines.append(
                    f"itx-scraper {name}: median wall {pairs.median('a', 'wall'):.3f} s"
                    f" (min {min(u.wall for u in pairs.a):.3f}),"
                    f" cpu {pairs.median('a', 'cpu'):.3f} s,"
                    f" {statistics.median(pairs.ratios('wall')):.2f}x the reference"
                    f" (min {min(pairs.ratios('wall')):.2f}x), whose median wall is"
                    f" {pairs.median('b', 'wall'):.3f} s"
                )
    finally:
        server.stop()
    lines.append(
        f"limit per pair: max({FLOOR_SECONDS} s, {REFERENCE_FACTOR:g} x the reference's wall)"
    )
    return finish(verdicts, lines)


if __name__ == "__main__":
    sys.exit(main())
