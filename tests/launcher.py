"""`itx-scraper run` for the tests: a real child process, forked from a warm interpreter.

A cold `python -m itx_scraper run` spends about 60 % of its CPU importing Scrapy, Twisted,
Apprise and the parsers, and the suite makes hundreds of runs. A multiprocessing
forkserver imports them once per test worker; each run is a fork of it: a separate process
with its own pid, Twisted reactor, file descriptors, locks and exit code, which a test can
kill or signal like any other. Only the interpreter start-up is skipped, and that stays
covered: the daemon's and the demo's cycles are plain `python -m itx_scraper run`
processes, and so is one end-to-end test per command. TESTS_COLD_CLI=1 starts every run
cold instead.

This module is imported by the forkserver, so it must not import pytest or conftest.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from pathlib import Path

COLD = os.environ.get("TESTS_COLD_CLI") == "1"
# What a run imports beyond the CLI itself (found with `python -X importtime`). Never
# twisted.internet.reactor: importing it installs a reactor, and Scrapy picks its own.
PRELOAD = [
    "itx_scraper.cli",
    "itx_scraper.ops.runner",
    "itx_scraper.ops.health",
    "itx_scraper.alerts.outbox",
    "itx_scraper.alerts.notify",
    "itx_scraper.pipelines",
    "itx_scraper.middlewares",
    "itx_scraper.spiders.sbp_ebops",
    "itx_scraper.spiders.sbp_headline",
    "itx_scraper.spiders.moitt",
    "itx_scraper.spiders.pid",
    "itx_scraper.spiders.pseb",
    "itx_scraper.spiders.press",
    "scrapy.crawler",
    "scrapy.core.engine",
    "scrapy.core.scraper",
    "scrapy.core.downloader.contextfactory",
    "scrapy.core.downloader.handlers.http11",
    "scrapy.utils._remote_control",
    "twisted.internet.asyncioreactor",
    "twisted.internet.endpoints",
    "twisted.web.client",
    "tldextract",
    "aiohttp.web",
    "protego",
    # Record alerts carry a chart: matplotlib's import and font cache are the slow part.
    "itx_scraper.query.chart",
    "matplotlib.backends.backend_agg",
    "matplotlib.figure",
    "matplotlib.lines",
    "matplotlib.patches",
    "matplotlib.font_manager",
]

_context: multiprocessing.context.ForkServerContext | None = None


def _forkserver() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(args: list[str], env: dict[str, str], cwd: str, out: str, err: str) -> None:
    """In the forked child: become `itx-scraper ARGS` in ``cwd`` with exactly ``env``."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    time.tzset()  # as a fresh interpreter would read TZ
    for fd, path in ((1, out), (2, err)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(handle, fd)
        os.close(handle)
    sys.argv = ["itx-scraper", *args]
    from itx_scraper.cli import main

    main()  # exits through SystemExit; multiprocessing turns it into the exit code


class Child:
    """A started CLI process: the part of subprocess.Popen that the tests use."""

    def __init__(self, process: BaseProcess, folder: Path) -> None:
        self._process = process
        self._folder = folder
        self.pid: int = process.pid  # type: ignore[assignment]

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(["itx-scraper"], timeout or 0)
        return self._process.exitcode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        try:
            return tuple(  # type: ignore[return-value]
                (self._folder / name).read_text(encoding="utf-8", errors="replace")
                for name in ("stdout", "stderr")
            )
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # never signal a pid that may have been reused
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def warm_up() -> None:
    """Start the forkserver now (it imports PRELOAD), so that the next run is a typical one."""
    start(["--version"], os.environ, Path.cwd()).communicate(timeout=600)


def start(args: list[str], env: Mapping[str, str], cwd: Path) -> Child | subprocess.Popen[str]:
    """Start `itx-scraper ARGS` in ``cwd`` with exactly ``env``; warm unless COLD."""
    if COLD:
        return subprocess.Popen(
            [sys.executable, "-m", "itx_scraper", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(env),
            cwd=cwd,
        )
    folder = Path(tempfile.mkdtemp(prefix="itx-cli-"))
    process = _forkserver().Process(
        target=_child,
        args=(list(args), dict(env), str(cwd), str(folder / "stdout"), str(folder / "stderr")),
        daemon=True,  # ended with the test worker, should a test leave it running
    )
    process.start()
    return Child(process, folder)
