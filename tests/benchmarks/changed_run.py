"""A changed-content `itx-scraper run --quiet` against a bare `scrapy runspider` of the same URL.

    .venv/bin/python tests/benchmarks/changed_run.py [--pairs N] [--fixture]

The database holds the previous release (dt-2026-02.xls, one earlier run with the bundled
history); the loopback server now serves the new one (dt-2026-03.xls), so each run downloads
1.5 MB, parses it, stores every figure and raises the new month's alerts (printed: no
destination). Each run starts from a copy of that database. The reference is a six-line
spider under Scrapy's default settings (log level WARNING, as `--quiet`) that fetches the
same URL and does nothing with it. Targets: <= 1.1x its CPU and <= 1.2x its peak memory
(median of the per-pair ratios). Exits 1 when one is missed.
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

SPIDER = """import scrapy


class Fetch(scrapy.Spider):
    name = "fetch"
    start_urls = [{url!r}]

    def parse(self, response):
        pass
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--fixture", action="store_true", help="measure generated workbooks")
    args = parser.parse_args(argv)
    previous, new, what = workbooks(args.fixture)
    server = FileServer(previous).start()
    try:
        with tempfile.TemporaryDirectory(prefix="itx-bench-") as temp:
            work = Path(temp)
            config = itx_config(work, server.url)
            progress("first itx-scraper run (stores the previous release)")
            run_child(itx("run", "--config", str(config), "--quiet"), cwd=work)
            template = work / "template.db"
            shutil.copy(work / "itx.db", template)
            server.body = new

            bare = work / "bare"
            bare.mkdir()
            (bare / "fetch.py").write_text(SPIDER.format(url=server.url))
            bare_command = [str(VENV_BIN / "scrapy"), "runspider", "fetch.py", "-L", "WARNING"]

            def ours() -> Usage:
                for suffix in ("-wal", "-shm"):
                    (work / f"itx.db{suffix}").unlink(missing_ok=True)
                shutil.copy(template, work / "itx.db")
                return run_child(itx("run", "--config", str(config), "--quiet"), cwd=work)

            def reference() -> Usage:
                return run_child(bare_command, cwd=bare, env={"SCRAPY_SETTINGS_MODULE": ""})

            pairs = alternate(ours, reference, args.pairs, label="changed")
    finally:
        server.stop()
    return finish(
        [
            Verdict("changed run CPU / bare scrapy runspider", pairs.ratios("cpu"), 1.1),
            Verdict("changed run peak RSS / bare scrapy runspider", pairs.ratios("rss_mb"), 1.2),
        ],
        [
            f"workbook: {what}",
            pairs.summary("a", "itx-scraper run:       "),
            pairs.summary("b", "bare scrapy runspider: "),
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
