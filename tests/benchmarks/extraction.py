"""Extraction benchmark: recall and precision on the labelled set, and seconds per MB of prose.

Run from the project root:

    .venv/bin/python tests/benchmarks/extraction.py [--errors] [--megabytes N]

Prints recall and precision per language and per kind (amounts also per phrasing), then the
extraction time per MB on generated prose at 1/4 and full size; the ratio of the two per-MB
times shows whether the cost grows faster than the input. Exits 1 when an accuracy target of
issue 15 is missed (English recall >= 0.90 and precision >= 0.95; Urdu 0.80 and 0.90) or when
the per-MB time at full size is more than 1.5 times that at a quarter of it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from extraction_score import load, missed_targets, score, table

from itx_scraper.extract import extract

MAX_GROWTH = 1.5  # per-MB time at full size over the per-MB time at a quarter


def prose(megabytes: float, seed: int = 15) -> str:
    """Varied statements: the labelled sentences shuffled into paragraphs, to ``megabytes``."""
    sentences = [s.text for s in load()]
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    parts: list[str] = []
    size = 0
    while size < target:
        paragraph = " ".join(rng.sample(sentences, 6)) + "\n\n"
        parts.append(paragraph)
        size += len(paragraph.encode("utf-8"))
    return "".join(parts)


def seconds_per_mb(megabytes: float) -> float:
    text = prose(megabytes)
    began = time.perf_counter()
    extract(text, date(2025, 8, 20))
    elapsed = time.perf_counter() - began
    return elapsed / (len(text.encode("utf-8")) / 1_000_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every sentence not right")
    parser.add_argument("--megabytes", type=float, default=1.0, help="size of the speed run")
    parser.add_argument("--skip-speed", action="store_true", help="accuracy only")
    args = parser.parse_args(argv)

    sentences = load()
    result = score(sentences)
    print(table(result, sentences))
    if args.errors and result.errors:
        print("\nnot right:")
        print("\n".join(result.errors))
    failures = missed_targets(result)

    if not args.skip_speed:
        quarter = seconds_per_mb(args.megabytes / 4)
        full = seconds_per_mb(args.megabytes)
        growth = full / quarter
        print(
            f"\nspeed: {quarter:.2f} s/MB at {args.megabytes / 4:g} MB, "
            f"{full:.2f} s/MB at {args.megabytes:g} MB (ratio {growth:.2f}, "
            f"limit {MAX_GROWTH})"
        )
        if growth > MAX_GROWTH:
            failures.append(f"extraction cost grows faster than the input: ratio {growth:.2f}")

    for line in failures:
        print(f"MISSED: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
