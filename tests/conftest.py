"""Shared fixtures: an isolated working directory, a loopback HTTP server, SMTP, the CLI."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import launcher
import pytest

if TYPE_CHECKING:
    from types import FrameType

    from itx_scraper.store import Store

from itx_scraper.ops.loopback import Loopback, Route

__all__ = ["Loopback", "Route"]  # tests import both from here

REPO = Path(__file__).resolve().parents[1]
SHARED_SBP = REPO.parent / "shared" / "data" / "sbp"


def migrated_store(path: Path) -> Store:
    """A writable store with the current schema, as `run` leaves it."""

    from itx_scraper.store import Store

    store = Store.open(path, create_parent=True)
    store.migrate()
    return store


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run every test in its own directory; the repository's state/ must stay untouched."""
    before = sorted(p.name for p in (REPO / "state").iterdir())
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("ITX_")]:
        monkeypatch.delenv(name)
    yield tmp_path
    assert sorted(p.name for p in (REPO / "state").iterdir()) == before, "a test wrote to state/"


@pytest.fixture(autouse=True)
def no_apprise_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    from apprise.plugins.base import NotifyBase

    monkeypatch.setattr(NotifyBase, "request_rate_per_sec", 0)


@pytest.fixture
def sbp_files() -> Path:
    """The real SBP releases in ../shared; skip when a clone has no such folder."""
    if not (SHARED_SBP / "dt-2026-03.xls").is_file():
        pytest.skip(f"real SBP files not available at {SHARED_SBP}")
    return SHARED_SBP


@pytest.fixture(scope="session")
def _loopback_server() -> Iterator[Loopback]:
    with Loopback(content_type="application/vnd.ms-excel") as server:
        yield server


@pytest.fixture
def loopback(_loopback_server: Loopback) -> Iterator[Loopback]:
    """The shared loopback server (itx_scraper.ops.loopback), emptied for this test."""
    _loopback_server.reset()
    yield _loopback_server
    _loopback_server.reset()  # ends replies a test left held or streaming


@dataclass
class Mailbox:
    port: int
    messages: list[Any] = field(default_factory=list)

    def url(self, to: str = "watchers@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=itx@example.org&to={to}&mode=insecure"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback that keeps every envelope."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # Controller(port=0) fails its readiness check
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox(port)

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(envelope)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


HANG_GUARD = 600.0  # seconds: only a hang takes this long; never a measurement
HTTP_TIMEOUT = 120.0  # [http] timeout for loopback fetches: a guard too, however busy the machine


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., CliResult]
# Commands that crawl (Twisted's reactor runs once per process) or start runs themselves.
PROCESS_COMMANDS = frozenset({"run", "daemon", "demo"})


def cli_in_process(
    args: tuple[str, ...], env: dict[str, str], input: str | None, cwd: Path
) -> CliResult:
    """The CLI through click's CliRunner: same code path, no interpreter start-up."""
    from click.testing import CliRunner

    from itx_scraper.cli import cli
    from itx_scraper.ops import daemon, runner

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("an in-process CLI call tried to crawl; give process=True")

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        patch.setattr(runner, "crawl", refuse)
        patch.setattr(daemon, "serve", refuse)
        try:
            result = CliRunner().invoke(
                cli, list(args), input=input, env=env, prog_name="itx-scraper"
            )
        finally:  # setup_logging pointed the root logger at the runner's stream
            root.handlers[:] = handlers
            root.setLevel(level)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))  # as Python would
    return CliResult(result.exit_code, result.stdout, stderr)


def make_cli(tmp_path: Path) -> Cli:
    """Run the real CLI in ``tmp_path`` with the database and config there.

    Commands that crawl (``run``, ``daemon``, ``demo``) run in a subprocess (``run`` forked
    from a warm interpreter, see launcher.py); the others run in-process unless
    ``process=True`` asks for a subprocess (a plain ``python -m itx_scraper``, except for
    ``run``). ``cold=True`` starts a fresh interpreter for any command, for an environment
    that must take effect at start-up (PYTHONPATH).
    """

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = HANG_GUARD,
        input: str | None = None,
        process: bool | None = None,
        cold: bool = False,
    ) -> CliResult:
        full_env = dict(env or {})
        full_env.setdefault("ITX_DB", str(tmp_path / "itx.db"))
        config = tmp_path / "itx.toml"
        if config.exists():
            full_env.setdefault("ITX_CONFIG", str(config))
        if process is None:
            process = cold or (bool(args) and args[0] in PROCESS_COMMANDS)
        if not process:
            return cli_in_process(args, full_env, input, tmp_path)
        if args[0] == "run" and input is None and not cold:
            child = launcher.start(list(args), {**os.environ, **full_env}, tmp_path)
            try:
                stdout, stderr = child.communicate(timeout=timeout)
            finally:
                child.kill()  # only if a timeout left it running
            return CliResult(child.returncode, stdout, stderr)  # type: ignore[arg-type]
        proc = subprocess.run(
            [sys.executable, "-m", "itx_scraper", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **full_env},
            cwd=tmp_path,
            timeout=timeout,
            input=input,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The CLI with this test's database and config (see make_cli)."""
    return make_cli(tmp_path)


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


def build_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], Any]) -> Any:
    """``build(folder)`` once per test session, even across xdist workers; its JSON result.

    For a replay that several tests inspect: the first worker to ask builds it (in a folder
    the others can read) while holding a lock; the others wait, then read the result.
    """
    shared = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # common to this session's workers
    result = shared / f"{name}.json"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=shared))  # fresh on a retry
            partial = shared / f"{name}.json.partial"
            partial.write_text(json.dumps(build(folder)), encoding="utf-8")
            partial.replace(result)
    return json.loads(result.read_text(encoding="utf-8"))


def write_config(path: Path, text: str) -> Path:
    """Write an itx.toml with fast, loopback-friendly HTTP defaults prepended.

    Every crawled source the text does not configure is switched off, so that a plain
    ``run`` never reaches a live site.
    """
    from itx_scraper.core.sources import CRAWLED

    off = "".join(
        f"\n[sources.{name}]\nenabled = false\n"
        for name in CRAWLED
        if f"[sources.{name}]" not in text
    )
    http = f"[http]\ndelay = 0.0\ntimeout = {HTTP_TIMEOUT}\nretries = 0\n\n"
    path.write_text(http + text + off)
    return path


def executed_lines(work: Callable[[], object]) -> int:
    """How many lines of Python ``work`` executes: a cost measure that does not time."""
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(previous)
    return count
