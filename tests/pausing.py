"""The ITX_PAUSE_AT handshake seen from a test, and a poll for real conditions.

The same API as the ``Pause`` and ``wait_for`` helpers of the test-suite rewrite; kept in
its own module so that either can replace the other.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HANG_GUARD = 120.0  # seconds; only guards against a hang, never a measure


def wait_for(
    condition: Callable[[], object],
    what: str,
    *,
    proc: subprocess.Popen[Any] | None = None,
    timeout: float = HANG_GUARD,
) -> None:
    """Poll a real condition until it holds; ``timeout`` only guards against a hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout:.0f} s")
        time.sleep(0.02)


@dataclass(frozen=True)
class Pause:
    """The ITX_PAUSE_AT handshake (itx_scraper/core/faults.py) seen from the test's side."""

    folder: Path
    point: str  # checkpoint name, optionally ``:N`` for its N-th visit

    @property
    def name(self) -> str:
        return self.point.partition(":")[0]

    @property
    def env(self) -> dict[str, str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        return {"ITX_PAUSE_AT": self.point, "ITX_PAUSE_DIR": str(self.folder)}

    @property
    def reached(self) -> bool:
        return (self.folder / f"{self.name}.reached").exists()

    def wait(self, proc: subprocess.Popen[Any] | None = None) -> int:
        """Wait until a process sits at the checkpoint; return its pid."""
        wait_for(lambda: self.reached, f"a run to reach {self.point}", proc=proc)
        return int((self.folder / f"{self.name}.reached").read_text())

    def release(self) -> None:
        (self.folder / f"{self.name}.release").touch()
