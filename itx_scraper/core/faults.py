"""Test-only fault injection: named checkpoints where a test can kill or pause a run."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

# How often each checkpoint was reached in this process (for ``name:N``).
_reached: Counter[str] = Counter()


def checkpoint(name: str) -> None:
    """A point of a run where tests inject faults; does nothing unless a test asks for it.

    TEST ONLY. ``ITX_CRASH_AT=name`` kills this process with SIGKILL (no cleanup, no
    atexit, no rollback: like a power cut) the first time ``name`` is reached;
    ``ITX_CRASH_AT=name:N`` does so the N-th time. ``ITX_PAUSE_AT=name:SECONDS`` sleeps
    there instead, so that a test can act while the run sits at that point (for example
    inside an open transaction). The crash-safety suite in tests/faults/ uses both.
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
        target, _, seconds = pause.partition(":")
        if target == name and _reached[name] == 1:
            time.sleep(float(seconds or 1))
