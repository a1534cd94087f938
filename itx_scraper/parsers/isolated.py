"""Run a native reader in a forked child, so that bytes which make it abort end the child,
not the run.

calamine (Rust) aborts the whole process when an allocation fails, and a corrupt workbook
asks it for one: a 5 KB xlsx with cells at A1 and XFD1048576 makes it allocate 512 GiB for
the grid, a flipped byte in an .xls record 55 GiB. Python cannot catch an abort. In a child,
with its address space capped, the abort becomes one clear error naming the file and the
signal, and the run goes on to its other sources.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
import warnings
from collections.abc import Callable
from typing import TypeVar

from itx_scraper.core.errors import NotADocumentError, ParseError, TooLargeError

T = TypeVar("T")

# Python 3.12+ warns when a multi-threaded process forks (Scrapy's DNS threads): the child
# here only runs the reader and never takes a lock another thread could hold.
warnings.filterwarnings("ignore", r".*use of fork\(\) may lead to deadlocks", DeprecationWarning)

MEMORY_HEADROOM = 2 * 2**30  # a real grid of MAX_CELLS cells needs well under 1 GiB
_OK, _REFUSED, _BROKEN = "ok", "refused", "broken"


def in_child(work: Callable[[], T], *, describe: str) -> T:
    """``work()`` in a forked child; its ParseError is raised here as it was raised there.

    ``describe`` names the document for the error when the child dies ("the xls workbook
    (34,304 bytes)"). Where there is no fork (Windows), ``work()`` runs here.
    """
    if not hasattr(os, "fork"):
        return work()
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a long backtrace cannot block
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            _child(work, write_end, stderr.fileno())  # never returns
        owned = [read_end, write_end]  # closed once only: another thread may reuse the number
        try:
            os.close(owned.pop())
            pipe = os.fdopen(owned.pop(), "rb")
            with pipe:
                answer = pipe.read()
            _, status = os.waitpid(pid, 0)
        except BaseException:  # a signal (Interrupted) while the child works: end it too
            for end in owned:
                with contextlib.suppress(OSError):
                    os.close(end)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            raise
        code = os.waitstatus_to_exitcode(status)
        if not answer or code != 0:  # dead, perhaps half-way through writing its answer
            stderr.seek(0)
            raise NotADocumentError(
                f"cannot read {describe}; corrupt or hostile: the reader "
                f"{_ended(code)}{_first_line(stderr.read())}"
            )
    kind, value = pickle.loads(answer)
    if kind == _OK:
        return value  # type: ignore[no-any-return]
    if kind == _REFUSED:
        raise value
    raise RuntimeError(value)  # a bug in the reader's Python: the pipeline's "unexpected" path


def _child(work: Callable[[], object], write_end: int, stderr: int) -> None:
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):  # the parent decides about stopping
            signal.signal(signum, signal.SIG_DFL)
        os.dup2(stderr, 2)
        # Hold nothing of the parent's: no lock file, database or socket outlives it here.
        os.closerange(3, write_end)
        os.closerange(write_end + 1, max(write_end + 1, os.sysconf("SC_OPEN_MAX")))
        _cap_memory()
        try:
            answer: tuple[str, object] = (_OK, work())
        except ParseError as exc:
            answer = (_REFUSED, exc)
        except MemoryError:
            answer = (_REFUSED, TooLargeError("reading it needs more memory than a workbook may"))
        except Exception as exc:  # noqa: BLE001 (a bug here is reported there, not lost)
            answer = (_BROKEN, f"{type(exc).__name__}: {exc}")
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


def _cap_memory() -> None:
    """Cap the child's address space at what it uses now plus MEMORY_HEADROOM, so that a
    huge allocation fails at once instead of pushing the machine into swap (Linux)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + MEMORY_HEADROOM
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _ended(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited {code} without an answer"


def _first_line(text: bytes) -> str:
    line = next((ln for ln in text.decode("utf-8", "replace").splitlines() if ln.strip()), "")
    return f" ({line.strip()[:200]})" if line else ""
