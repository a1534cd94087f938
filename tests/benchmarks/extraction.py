"""Extraction benchmark: recall and precision on the labelled set, and seconds per MB of prose.

Run from the project root:

    .venv/bin/python tests/benchmarks/extraction.py [--errors] [--megabytes N]

Prints recall and precision per language and per kind (amounts also per phrasing), then the
extraction CPU time per MB on generated prose at 1/4 and full size, and on adversarial inputs
(long runs of digits, spaces, Urdu letters and number words, growth clauses) at 20 kB and 80 kB;
the ratio of the per-MB times shows whether the cost grows faster than the input. Exits 1 when
an accuracy target of issue 15 is missed (English recall >= 0.90 and precision >= 0.95; Urdu
0.80 and 0.90) or when a per-MB time at the larger size is more than 1.5 times the smaller one.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from extraction_score import load, missed_targets, score, table

from itx_scraper.extract import extract

MAX_GROWTH = 1.5  # per-MB time at full size over the per-MB time at a quarter
# Inputs that make a careless regular expression backtrack; each is built to about n characters.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "digits": lambda n: "9" * n,
    "spaces": lambda n: "$1 million" + " " * n + "in April 2024",
    "urdu letters": lambda n: "\u0628" * n,
    "urdu number words": lambda n: "ایک " * (n // 4) + "کروڑ ڈالر",
    "urdu decimal words": lambda n: "1 " + "عشاریہ " * (n // 7) + "کروڑ",
    "urdu digits and words": lambda n: "۲ دو " * (n // 5) + "ارب",
    "urdu month ranges": lambda n: "جولائی سے " * (n // 10) + "مارچ",
    "urdu counts": lambda n: "پہلے " * (n // 5) + "5 ماہ",
    "growth clauses": lambda n: "$310 million" + ", up 5 percent and 4 percent" * (n // 28),
    "growth periods": lambda n: "$310 million, up 5% from March" * (n // 30) + " in April 2024",
    "threshold verbs": lambda n: "crossed over past " * (n // 18) + "$3 billion",
    "reversed years": lambda n: "24-2023 " * (n // 8),
}


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


def seconds_per_mb(text: str) -> float:
    """CPU seconds per MB of UTF-8 text (CPU time: other jobs on the machine do not count)."""
    began = time.process_time()
    extract(text, date(2025, 8, 20))
    elapsed = time.process_time() - began
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
        quarter = seconds_per_mb(prose(args.megabytes / 4))
        full = seconds_per_mb(prose(args.megabytes))
        growth = full / quarter
        print(
            f"\nspeed on prose: {quarter:.2f} s/MB at {args.megabytes / 4:g} MB, "
            f"{full:.2f} s/MB at {args.megabytes:g} MB (ratio {growth:.2f}, limit {MAX_GROWTH})"
        )
        if growth > MAX_GROWTH:
            failures.append(f"prose: cost grows faster than the input (ratio {growth:.2f})")
        print(f"\n{'adversarial input':<24}{'s/MB 20kB':>10}{'s/MB 80kB':>10}{'ratio':>7}")
        for name, make in ADVERSARIAL.items():
            small, large = seconds_per_mb(make(20_000)), seconds_per_mb(make(80_000))
            ratio = large / max(small, 1e-9)
            print(f"{name:<24}{small:>10.2f}{large:>10.2f}{ratio:>7.2f}")
            if ratio > MAX_GROWTH:
                failures.append(f"{name}: cost grows faster than the input (ratio {ratio:.2f})")

    for line in failures:
        print(f"MISSED: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
