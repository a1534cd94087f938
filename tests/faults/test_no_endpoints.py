"""A run opens no local endpoint and leaves no job file (issue 13 §2).

Scrapy 2.19's RemoteControl extension (on by default) serves an HTTP endpoint on 127.0.0.1
that runs Python, and writes its bearer token to a job file under the user's state folder;
the telnet console is the same kind of risk. The run is paused in the middle of its crawl,
with the spider open and a response in hand, while the test reads the process's sockets
from /proc and its HOME and XDG folders.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from conftest import HANG_GUARD, Loopback, Pause, write_config
from faultkit import report, start_cli
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

PATH = "/ecodata/dt.xls"
LISTEN = "0A"  # TCP state in /proc/net/tcp*

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not Path("/proc/self/net/tcp").exists(),
    reason="reads listening sockets from Linux's /proc",
)


def listening_ports(pid: int) -> list[int]:
    """TCP ports on which process ``pid`` listens (IPv4 and IPv6), from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:  # closed since the listing
            continue
        if str(target).startswith("socket:["):
            inodes.add(str(target)[len("socket:[") : -1])
    ports = []
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and inode in inodes:
                ports.append(int(local.rsplit(":", 1)[1], 16))
    return ports


def files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


def test_the_probe_sees_a_listening_socket() -> None:
    """The check below can fail: this process's own listening socket is found."""
    import os

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert server.getsockname()[1] in listening_ports(os.getpid())


def test_a_run_listens_on_no_port_and_writes_no_job_file(
    tmp_path: Path, loopback: Loopback
) -> None:
    home, state, config = tmp_path / "home", tmp_path / "state", tmp_path / "config"
    for folder in (home, state, config):
        folder.mkdir()
    loopback.serve(PATH, build_dt(Month(2024, 4), published_ict()))
    write_config(
        tmp_path / "itx.toml",
        f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        "[history]\nbaseline = false\n",
    )
    pause = Pause(tmp_path / "pause", "spider.response")
    env = {"HOME": str(home), "XDG_STATE_HOME": str(state), "XDG_CONFIG_HOME": str(config)}
    proc = start_cli(tmp_path, "run", **env, **pause.env)
    pid = pause.wait(proc)
    try:
        assert pid == proc.pid
        assert listening_ports(pid) == []
        assert files_under(home, state, config) == []
    finally:
        pause.release()
    _, stderr = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 0, stderr
    assert files_under(home, state, config) == []
    report("endpoints", case="run paused mid-crawl", listening=0, job_files=0)
