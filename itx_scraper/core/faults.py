"""Test-only fault injection: named checkpoints where a test can kill or pause a run."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

from itx_scraper.core import exitcodes

PAUSE_GUARD = 600.0  # seconds a paused run waits for its release before it gives up
PAUSE_POLL = 0.02

# How often each checkpoint was reached in this process (for ``name:N``).
_reached: Counter[str] = Counter()


def checkpoint(name: str) -> None:
    """A point of a run where tests inject faults; does nothing unless a test asks for it.

    TEST ONLY. ``ITX_CRASH_AT=name`` kills this process with SIGKILL (no cleanup, no
    atexit, no rollback: like a power cut) the first time ``name`` is reached;
    ``ITX_CRASH_AT=name:N`` does so the N-th time.

    ``ITX_PAUSE_AT=name[:N]`` stops there instead, so that a test can act while the run
    sits at that point (for example inside an open transaction): the process writes its
    pid to ``<dir>/<name>.reached`` and waits until the test creates ``<dir>/<name>.release``
    (``<dir>`` is ``ITX_PAUSE_DIR``, by default the working directory). A run that is not
    released within PAUSE_GUARD seconds exits 1, so a broken test cannot leave it hanging.
    The crash-safety suite in tests/faults/ uses both.
    """
    crash = os.environ.get("ITX_CRASH_AT")
    pause = os.environ.get("ITX_PAUSE_AT")
    if not crash and not pause:
        return
    _reached[name] += 1
    if crash:
        target, _, nth = crash.partition(":")
        if target == name and _reached[name] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)
    if pause:
        target, _, nth = pause.partition(":")
        if target == name and _reached[name] == int(nth or 1):
            _wait_for_release(Path(os.environ.get("ITX_PAUSE_DIR") or "."), name)


def _wait_for_release(folder: Path, name: str) -> None:
    """Say that ``name`` was reached, then wait for the test's release file."""
    reached = folder / f"{name}.reached"
    partial = folder / f"{name}.reached.partial"
    partial.write_text(str(os.getpid()), encoding="utf-8")
    partial.replace(reached)  # the test never sees an empty file
    release = folder / f"{name}.release"
    deadline = time.monotonic() + PAUSE_GUARD
    while not release.exists():
        if time.monotonic() > deadline:
            sys.stderr.write(f"itx-scraper: ITX_PAUSE_AT={name} was never released; giving up\n")
            sys.stderr.flush()
            os._exit(exitcodes.FAILED)  # like a crash: no cleanup runs in a half-done state
        time.sleep(PAUSE_POLL)
