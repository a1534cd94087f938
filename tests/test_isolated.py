"""parsers/isolated.py: a reader in a forked child; what it returns, raises, or dies of."""

from __future__ import annotations

import os
import signal

import pytest

from itx_scraper.core.errors import LayoutError, NotADocumentError, TooLargeError
from itx_scraper.parsers.isolated import MEMORY_HEADROOM, in_child

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def test_the_value_comes_back() -> None:
    grid = [["Exports", 1.5, None], ["Imports", 2, True]]
    assert in_child(lambda: (os.getpid(), grid), describe="x") != (os.getpid(), grid)
    assert in_child(lambda: grid, describe="x") == grid


def test_a_parse_error_is_raised_as_raised() -> None:
    def refuse() -> None:
        raise LayoutError("layout: sheet 'EBOPS' is empty")

    with pytest.raises(LayoutError, match=r"^layout: sheet 'EBOPS' is empty$"):
        in_child(refuse, describe="x")


def test_a_bug_in_the_reader_is_not_mistaken_for_a_broken_file() -> None:
    def bug() -> None:
        raise KeyError("max_row")

    with pytest.raises(RuntimeError, match="KeyError: 'max_row'"):
        in_child(bug, describe="x")


def test_a_reader_that_aborts_is_one_error_naming_the_document_and_the_signal() -> None:
    def abort() -> None:
        os.write(2, b"memory allocation of 549755813888 bytes failed\nstack backtrace:\n")
        os.abort()

    with pytest.raises(NotADocumentError) as caught:
        in_child(abort, describe="the xlsx workbook (4,852 bytes)")
    assert str(caught.value) == (
        "cannot read the xlsx workbook (4,852 bytes); corrupt or hostile: the reader was"
        " killed by SIGABRT (memory allocation of 549755813888 bytes failed)"
    )


def test_a_huge_allocation_fails_in_the_child_at_once() -> None:
    def allocate() -> int:
        return len(bytearray(MEMORY_HEADROOM + 2**30))

    with pytest.raises(TooLargeError, match="more memory than a workbook may"):
        in_child(allocate, describe="x")


def test_the_child_holds_none_of_the_parents_files(tmp_path) -> None:
    """An orphaned child must not keep the run's lock file or database open."""
    with (tmp_path / "itx.db.lock").open("w") as lock:

        def is_open() -> bool:
            try:
                os.fstat(lock.fileno())
            except OSError:
                return False
            return True

        assert is_open()
        assert in_child(is_open, describe="x") is False


class Stop(BaseException):
    pass


def test_a_signal_to_the_parent_ends_the_child_too(tmp_path) -> None:
    """A signal handler that raises (as core/interrupt.py's does inside a parse) leaves
    in_child wherever the parent is, and in_child kills and reaps the child first."""
    pid_file = tmp_path / "child.pid"

    def signal_the_parent_then_wait() -> None:
        pid_file.write_text(str(os.getpid()))
        os.kill(os.getppid(), signal.SIGUSR1)
        signal.pause()  # only SIGKILL from the parent ends this

    def stop(signum: int, frame: object) -> None:
        raise Stop

    previous = signal.signal(signal.SIGUSR1, stop)
    try:
        with pytest.raises(Stop):
            in_child(signal_the_parent_then_wait, describe="x")
    finally:
        signal.signal(signal.SIGUSR1, previous)
    with pytest.raises(ChildProcessError):  # reaped: neither a zombie nor an orphan
        os.waitpid(int(pid_file.read_text()), os.WNOHANG)


def test_a_reader_killed_half_way_through_its_answer_is_the_same_one_error() -> None:
    """Killed (the OOM killer, say) after writing part of its answer: not a pickle error."""
    import pickle

    def half_then_die() -> None:
        whole = pickle.dumps(("ok", list(range(1000))))
        for fd in range(3, 64):  # the result pipe is the only descriptor the child holds
            try:
                os.write(fd, whole[: len(whole) // 2])
            except OSError:
                continue
            break
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(NotADocumentError, match=r"^cannot read x; .* killed by SIGKILL$"):
        in_child(half_then_die, describe="x")
