"""Time and memory per article and per feed: the hand-written readers before issue 15 against
trafilatura and feedparser, in paired, alternating runs.

    .venv/bin/python tests/benchmarks/articles.py [--rounds N] [--before REV]

"Before" is the code of git revision REV (default: the commit this work started from), exported
with `git archive` into a temporary folder and imported from there: `parse_page` with the press
spider's generic article selectors, and `parse_feed` (lxml). "After" is this tree: `read_article`
(trafilatura) and `read_feed` (feedparser). Each measurement runs in a fresh process that first
reads a small warm-up page (so that lazy imports and caches are not charged to the article) and
then reports, for one page: the growth of peak RSS while reading it once, the peak of Python
allocations (tracemalloc) while reading it again, and the median CPU and wall time of reading it
repeatedly. Rounds alternate which side runs first. Pages: the press fixtures and a generated
large article page (~250 kB of HTML: scripts, navigation, a 60-paragraph article, related
stories, comments) and a 100-item feed. Results go to tests/benchmarks/results/articles-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "press"
RESULTS = HERE / "results"
BEFORE_REV = "32eaa5f"  # main before issue 15's statement path (parse_feed, per-outlet selectors)
ARTICLE_URL = "https://www.brecorder.com/news/40303030/it-exports-up-24pc-to-310m-in-april"
REPEAT_SECONDS = 1.0  # timing loop length per measurement (at least 5 reads)

WORDS = [
    "Pakistan",
    "government",
    "ministry",
    "exports",
    "services",
    "sector",
    "growth",
    "year",
    "month",
    "fiscal",
    "billion",
    "million",
    "percent",
    "industry",
    "companies",
    "software",
    "technology",
    "investment",
    "policy",
    "said",
    "officials",
    "market",
    "data",
    "bank",
    "report",
    "increase",
    "quarter",
    "trade",
    "economy",
    "board",
    "federal",
    "minister",
]


def sentence(rng: random.Random, n: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def large_article(seed: int = 15) -> bytes:
    """A news page shaped like the big Pakistani outlets' (heavy head, menus, sidebars)."""
    rng = random.Random(seed)
    head = "".join(
        f"<script>window.cfg{i} = {{slot: '{i}', sizes: [[300, 250], [728, 90]]}};"
        f" (function(){{var a = {i}; return a * 2;}})();</script>\n"
        for i in range(600)
    )
    head += "<style>" + " ".join(f".c{i} {{ margin: {i}px; }}" for i in range(2000)) + "</style>"
    nav = "".join(f'<li><a href="/category/section-{i}">Section {i}</a></li>' for i in range(400))
    paragraphs = "".join(
        f"<p>{' '.join(sentence(rng) for _ in range(4))}</p>\n"
        + ('<div class="ad"><ins class="adsbygoogle"></ins></div>\n' if i % 6 == 5 else "")
        for i in range(60)
    )
    paragraphs = (
        "<p>KARACHI: Pakistan's information technology (IT) exports rose 24 percent "
        "year-on-year to $310 million in April 2024, data released by the State Bank of "
        "Pakistan (SBP) showed on Friday.</p>\n" + paragraphs
    )
    related = "".join(
        f'<li><a href="/news/{40000000 + i}/story-{i}"><img src="/img/{i}.jpg" alt="">'
        f"<span>{sentence(rng, 9)}</span></a></li>"
        for i in range(40)
    )
    comments = "".join(
        f'<div class="comment"><b>reader{i}</b><p>{sentence(rng, 15)}</p></div>' for i in range(300)
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>IT exports up 24pc to $310m in April - Business Recorder</title>
<meta property="og:title" content="IT exports up 24pc to $310m in April">
<meta property="article:published_time" content="2024-05-17T08:20:00+00:00">
<script type="application/ld+json">{{"@type": "NewsArticle",
 "datePublished": "2024-05-17T13:20:00+05:00"}}</script>
{head}</head>
<body><header><nav><ul>{nav}</ul></nav></header>
<main><article>
<h1 class="story__title">IT exports up 24pc to $310m in April</h1>
<div class="story__content" itemprop="articleBody">
{paragraphs}<div class="related">Related: {sentence(rng, 8)}</div>
</div></article>
<aside><ul>{related}</ul></aside>
<section class="comments">{comments}</section></main>
<footer>{" ".join(sentence(rng) for _ in range(20))}</footer>
</body></html>
"""
    return page.encode()


def large_feed(items: int = 100) -> bytes:
    rng = random.Random(7)
    entries = "".join(
        f"<item><title>{sentence(rng, 8)}</title>"
        f"<link>https://www.brecorder.com/news/{40300000 + i}/story</link>"
        f'<guid isPermaLink="false">brecorder-{40300000 + i}</guid>'
        f"<pubDate>Fri, 17 May 2024 13:20:00 +0500</pubDate>"
        f"<description><![CDATA[<p>{sentence(rng, 40)}</p>]]></description>"
        f"<content:encoded><![CDATA[{''.join(f'<p>{sentence(rng)}</p>' for _ in range(8))}]]>"
        f"</content:encoded></item>\n"
        for i in range(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Business Recorder</title><link>https://www.brecorder.com</link>\n{entries}"
        "</channel></rss>\n"
    ).encode()


def pages() -> dict[str, tuple[str, bytes]]:
    """name -> (kind, bytes)."""
    return {
        "article fixture": ("article", (FIXTURES / "article-it-exports.html").read_bytes()),
        "large article": ("article", large_article()),
        "feed fixture": ("feed", (FIXTURES / "feed.xml").read_bytes()),
        "large feed (100 items)": ("feed", large_feed()),
    }


# -- the worker: one side, one page, in a fresh process ------------------------------------


def reader(side: str, kind: str):  # type: ignore[no-untyped-def]
    """The function that reads one page of ``kind`` on ``side``."""
    if kind == "feed":
        if side == "before":
            from itx_scraper.parsers.statement import parse_feed  # type: ignore[attr-defined]

            return lambda body: parse_feed(body, "application/rss+xml")
        from itx_scraper.parsers.feed import read_feed

        return lambda body: read_feed(body, "application/rss+xml")
    if side == "before":
        from itx_scraper.parsers.statement import parse_page
        from itx_scraper.spiders.press import SELECTORS

        return lambda body: parse_page(body, body.decode(), SELECTORS.page)  # type: ignore[attr-defined]
    from itx_scraper.parsers.statement import read_article

    return lambda body: read_article(body, body.decode(), url=ARTICLE_URL)


def warm_up_page(kind: str) -> bytes:
    if kind == "feed":
        return (FIXTURES / "atom.xml").read_bytes()
    small = large_article(seed=1)
    cut = small.index(b"<aside>")
    return small[:cut] + b"</main></body></html>\n"


def worker(side: str, kind: str, path: str) -> dict[str, float]:
    import resource
    import tracemalloc

    body = Path(path).read_bytes()
    read = reader(side, kind)
    read(warm_up_page(kind))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    read(body)
    rss_growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    tracemalloc.start()
    read(body)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cpu, wall = [], []
    began = time.perf_counter()
    while len(cpu) < 5 or time.perf_counter() - began < REPEAT_SECONDS:
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        read(body)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return {
        "cpu_ms": 1000 * statistics.median(cpu),
        "wall_ms": 1000 * statistics.median(wall),
        "rss_growth_kb": float(rss_growth_kb),
        "python_peak_kb": python_peak / 1024,
        "reads": float(len(cpu)),
    }


# -- the driver --------------------------------------------------------------------------------


def export_tree(rev: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "archive", rev, "itx_scraper"], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def measure(side: str, kind: str, path: Path, before_root: Path) -> dict[str, float]:
    root = before_root if side == "before" else REPO
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", WORKER, side, kind, str(path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{side} {kind} failed:\n{out.stderr}")
    result = json.loads(out.stdout.splitlines()[-1])
    if not str(result.pop("package")).startswith(str(root)):  # the other side's code ran
        raise SystemExit(f"{side}: itx_scraper was not imported from {root}")
    return result


WORKER = (
    "import json, sys\n"
    f"sys.path.append({str(HERE)!r})\n"
    "import articles, itx_scraper\n"
    "result = articles.worker(sys.argv[1], sys.argv[2], sys.argv[3])\n"
    "print(json.dumps({**result, 'package': itx_scraper.__file__}))\n"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds (default 5)")
    parser.add_argument("--before", default=BEFORE_REV, help="git revision of the old readers")
    args = parser.parse_args(argv)

    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="itx-bench-") as tmp:
        root = Path(tmp)
        before_root = root / "before"
        export_tree(args.before, before_root)
        files = {}
        for name, (kind, body) in pages().items():
            files[name] = (kind, root / f"{len(files)}.bin")
            files[name][1].write_bytes(body)
        for number in range(args.rounds):
            order = ("before", "after") if number % 2 == 0 else ("after", "before")
            for name, (kind, path) in files.items():
                for side in order:
                    sample = measure(side, kind, path, before_root)
                    results.setdefault(name, {}).setdefault(side, []).append(sample)
    sizes = {name: len(body) for name, (_, body) in pages().items()}
    print(
        f"{'page':<24}{'bytes':>9}  {'side':<7}{'cpu ms':>9}{'wall ms':>9}"
        f"{'RSS +kB':>9}{'py peak kB':>11}"
    )
    summary: dict[str, dict[str, object]] = {}
    for name, sides in results.items():
        medians = {
            side: {
                key: statistics.median(s[key] for s in samples)
                for key in ("cpu_ms", "wall_ms", "rss_growth_kb", "python_peak_kb")
            }
            for side, samples in sides.items()
        }
        for side in ("before", "after"):
            m = medians[side]
            print(
                f"{name:<24}{sizes[name]:>9,}  {side:<7}{m['cpu_ms']:>9.2f}{m['wall_ms']:>9.2f}"
                f"{m['rss_growth_kb']:>9.0f}{m['python_peak_kb']:>11.0f}"
            )
        ratios = {
            key: medians["after"][key] / medians["before"][key] if medians["before"][key] else None
            for key in medians["after"]
        }
        shown = "  ".join(
            f"{key} {value:.2f}" if value is not None else f"{key} n/a"
            for key, value in ratios.items()
        )
        print(f"{'':<24}{'':>9}  ratio after/before: {shown}")
        summary[name] = {"bytes": sizes[name], "median": medians, "ratio": ratios}
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"articles-{stamp}.json"
    out.write_text(json.dumps({"rounds": args.rounds, "before": args.before, **summary}, indent=2))
    print(f"\nresults: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
