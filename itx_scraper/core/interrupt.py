"""SIGTERM and SIGINT end a run within seconds, never in the middle of a write.

A run installs :func:`handling`. The signal handler never waits and never logs; it records the
signal, asks whoever registered with :func:`on_stop` to stop (the crawl stops its reactor),
and then does one of two things, depending on where the main thread is:

- Inside an :class:`abandonable` block (a parse: pure work from bytes to figures, whose
  half-done state nobody else sees), it raises :class:`Interrupted` right there, so that a
  long parse ends at its next bytecode.
- Anywhere else (a database transaction, Scrapy's own bookkeeping), it only leaves the flag:
  the work in hand finishes, and the next :func:`check` raises :class:`Interrupted`.

The run then closes its ``runs`` row as ``interrupted`` and exits 128 + the signal number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BaseException):  # like KeyboardInterrupt, which it replaces in a run
    """The run was asked to stop by a signal. A BaseException, so that ``except Exception``
    in a parser or a spider cannot mistake it for a broken document."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal_name(signum)}")

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process the signal ended."""
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class _State:
    signum: int | None = None
    abandonable = False
    stoppers: list[Callable[[], None]] = []  # noqa: RUF012 (one process-wide list)


_state = _State()


def check() -> None:
    """Raise Interrupted if a signal asked the run to stop; call it between units of work."""
    if _state.signum is not None:
        raise Interrupted(_state.signum)


def _handle(signum: int, frame: FrameType | None) -> None:
    if _state.signum is None:
        _state.signum = signum
        for stop in list(_state.stoppers):
            stop()
    if _state.abandonable:
        _state.abandonable = False
        raise Interrupted(_state.signum)


@contextmanager
def handling() -> Iterator[None]:
    """Honour SIGTERM and SIGINT as described above while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in SIGNALS}
    _state.signum, _state.abandonable = None, False
    for number in SIGNALS:
        signal.signal(number, _handle)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _state.abandonable = False
        _state.stoppers.clear()


@contextmanager
def on_stop(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop`` (from the signal handler: it must only schedule work) on the first
    signal while the block runs, or at once if a signal came already."""
    _state.stoppers.append(stop)
    try:
        if _state.signum is not None:
            stop()
        yield
    finally:
        if stop in _state.stoppers:
            _state.stoppers.remove(stop)


class abandonable:  # lower case: it reads as a statement, `with abandonable():`
    """A block of pure work that a signal may cut short at any point (see the module)."""

    def __enter__(self) -> None:
        check()
        _state.abandonable = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _state.abandonable = False
