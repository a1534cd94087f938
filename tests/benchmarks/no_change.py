"""A no-change `itx-scraper run --quiet` of sbp_ebops against urlwatch 2.x on the same URL.

    .venv/bin/pip install 'urlwatch>=2.28,<3'
    .venv/bin/python tests/benchmarks/no_change.py [--pairs N] [--fixture]

The real 1.5 MB dt-2026-03.xls is served on 127.0.0.1 with an ETag; the database already
holds it (one earlier run, bundled history loaded) and urlwatch's cache already knows it, so
both send a conditional request and get a 304. Each `itx-scraper run` starts from a copy of
that database. Targets: <= 1.0x urlwatch's CPU and <= 1.0x its peak memory (median of the
per-pair ratios). Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from pairing import (
    VENV_BIN,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--fixture", action="store_true", help="measure a generated workbook")
    args = parser.parse_args(argv)
    urlwatch = VENV_BIN / "urlwatch"
    if not urlwatch.exists():
        raise SystemExit("urlwatch is missing: .venv/bin/pip install 'urlwatch>=2.28,<3'")
    _, body, what = workbooks(args.fixture)
    server = FileServer(body).start()
    try:
        with tempfile.TemporaryDirectory(prefix="itx-bench-") as temp:
            work = Path(temp)
            config = itx_config(work, server.url)
            progress("first itx-scraper run (fills the database)")
            run_child(itx("run", "--config", str(config), "--quiet"), cwd=work)
            template = work / "template.db"
            shutil.copy(work / "itx.db", template)

            watch = work / "urlwatch"
            watch.mkdir()
            (watch / "urls.yaml").write_text(f"name: dt.xls\nurl: {server.url}\n")
            watch_env = {"HOME": str(watch), "XDG_CONFIG_HOME": str(watch / ".config")}
            watch_command = [
                str(urlwatch),
                "--urls",
                str(watch / "urls.yaml"),
                "--config",
                str(watch / "urlwatch.yaml"),
                "--cache",
                str(watch / "cache.db"),
            ]
            progress("first urlwatch run (fills its cache)")
            run_child(watch_command, cwd=watch, env=watch_env)

            def ours() -> Usage:
                for suffix in ("-wal", "-shm"):
                    (work / f"itx.db{suffix}").unlink(missing_ok=True)
                shutil.copy(template, work / "itx.db")
                return run_child(itx("run", "--config", str(config), "--quiet"), cwd=work)

            def reference() -> Usage:
                return run_child(watch_command, cwd=watch, env=watch_env)

            server.requests.clear()
            server.statuses.clear()
            pairs = alternate(ours, reference, args.pairs, label="no-change")
            answers = {code: server.statuses.count(code) for code in sorted(set(server.statuses))}
    finally:
        server.stop()
    return finish(
        [
            Verdict("no-change run CPU / urlwatch", pairs.ratios("cpu"), 1.0),
            Verdict("no-change run peak RSS / urlwatch", pairs.ratios("rss_mb"), 1.0),
        ],
        [
            f"workbook: {what}",
            pairs.summary("a", "itx-scraper run:"),
            pairs.summary("b", "urlwatch:       "),
            (
                f"workbook answers in the paired runs, warm-ups included: {answers};"
                f" robots.txt requests: {server.requests.count('/robots.txt')}"
            ),
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
