"""Secrets: tokens planted in Apprise URLs never appear in output, logs or the database.

Wider than tests/test_alerts_e2e.py::test_notify_test_and_secrets_never_leak: tokens sit in
ITX_NOTIFY and in an Apprise YAML file (password and path positions, several services),
and every command that shows or uses destinations runs at -vv through success, HTTP
failure, connection refused and give-up. Each token must occur 0 times anywhere.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import HANG_GUARD, Loopback, migrated_store, write_config
from faultkit import Done, cli_env, report, run_cli
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month
from itx_scraper.ingest import import_history

PATH = "/ecodata/dt.xls"
# Distinct, unguessable-looking tokens, one per place a secret can hide.
TOKENS = {
    "env password": "EnvPw7Kq2ZtX9mLr",
    "yaml password": "YamlPw3Vb8NcQ1sHd",
    "yaml path token": "PathTk5Rw2JeU8fGa",
    "dead host password": "DeadPw4Lm6XoT3yBc",
}


def commands() -> set[str]:
    from itx_scraper.cli import cli

    return set(cli.commands)


class Scene:
    def __init__(self, folder: Path, loopback: Loopback) -> None:
        self.folder, self.loopback = folder, loopback
        self.outputs: list[tuple[str, str]] = []  # (what, text)
        port = loopback.port
        self.env_url = f"json://itx:{TOKENS['env password']}@127.0.0.1:{port}/env-hook"
        yaml = folder / "apprise.yml"
        yaml.write_text(
            "urls:\n"
            f'  - "json://bot:{TOKENS["yaml password"]}@127.0.0.1:{port}/yaml-hook":\n'
            "      - tag: record, data, ops\n"
            f'  - "gotify://127.0.0.1:{port}/{TOKENS["yaml path token"]}":\n'
            "      - tag: ops\n"
            f'  - "json://dead:{TOKENS["dead host password"]}@127.0.0.1:9/down":\n'
            "      - tag: record, data, ops\n"
        )
        write_config(
            folder / "itx.toml",
            f'[run]\nsources = ["sbp_ebops"]\n[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
            f'[history]\nbaseline = false\n[notify]\nconfig = "{yaml}"\n'
            "[alerts]\nmax_attempts = 2\nbackoff_seconds = 0\n",
        )

    def cli(self, what: str, *args: str, now: str = "2024-01-20T10:00:00") -> Done:
        done = run_cli(self.folder, *args, ITX_NOTIFY=self.env_url, ITX_NOW=now)
        self.outputs += [(f"{what} stdout", done.stdout), (f"{what} stderr", done.stderr)]
        return done


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        return [name for name, token in TOKENS.items() if token.encode() in text]
    return [name for name, token in TOKENS.items() if token in text]


def test_planted_tokens_never_leak(tmp_path: Path, loopback: Loopback) -> None:
    scene = Scene(tmp_path, loopback)
    db = tmp_path / "itx.db"
    history = tmp_path / "history.csv"
    history.write_text(
        "period,usd_million\n"
        + "".join(f"{m},{v}\n" for m, v in sorted(published_ict().items()) if m <= Month(2023, 11))
    )
    store = migrated_store(db)
    import_history(store, history)
    store.close()
    # Keep a connection open so that the -wal and -shm files stay on disk to be searched.
    keeper = sqlite3.connect(db)
    keeper.execute("SELECT count(*) FROM releases").fetchone()

    # 1. Success for the live hooks, connection refused for the dead one (first failure).
    loopback.serve(PATH, build_dt(Month(2023, 12), published_ict()), etag='"dec"')
    first = scene.cli("run ok", "run", "-vv")
    assert first.returncode == 1  # the dead destination failed
    assert loopback.posts.get("/env-hook") and loopback.posts.get("/yaml-hook")
    # 2. HTTP 500 from the live hooks on a new month; the dead one is given up (2nd failure)
    #    and raises an ops alert naming it, which must name it by its privacy rendering.
    loopback.hook_status.update({"/env-hook": 500, "/yaml-hook": 500})
    loopback.serve(PATH, build_dt(Month(2024, 1), published_ict()), etag='"jan"')
    failed = scene.cli("run failing", "run", "-vv", "--json", now="2024-02-20T10:00:00")
    assert failed.returncode == 1
    summary = json.loads(failed.stdout.strip().splitlines()[-1])
    assert summary["deliveries"]["failed"] >= 2
    scene.cli("alerts", "alerts", "-vv")
    scene.cli("notify-test failing", "notify-test", "-vv")
    loopback.hook_status.clear()
    scene.cli("dry run", "run", "-vv", "--dry-run", now="2024-02-21T10:00:00")
    if "status" in commands():
        scene.cli("status", "status", "-vv")

    # An invalid URL carrying a token must not be echoed in the error either.
    bad = tmp_path / "bad.yml"
    bad.write_text(f'urls:\n  - "nosuchscheme://{TOKENS["yaml password"]}@example.invalid/x"\n')
    (tmp_path / "itx.toml").write_text(
        (tmp_path / "itx.toml").read_text().replace(str(tmp_path / "apprise.yml"), str(bad))
    )
    scene.cli("invalid destination", "notify-test", "-vv")  # Apprise logs the bad entry

    found = {what: leaks(text) for what, text in scene.outputs}
    for path in sorted(tmp_path.iterdir()):
        if path.name.startswith("itx.db"):
            found[path.name] = leaks(path.read_bytes())
    assert (tmp_path / "itx.db-wal").exists()
    keeper.close()
    assert {what: names for what, names in found.items() if names} == {}

    # Destinations are shown and stored only in Apprise's privacy rendering.
    listed = dict(scene.outputs)["alerts stdout"]
    assert "itx:****@127.0.0.1" in listed and "bot:****@127.0.0.1" in listed
    targets = {t for (t,) in sqlite3.connect(db).execute("SELECT DISTINCT target FROM deliveries")}
    assert any(t.startswith("gotify://127.0.0.1") for t in targets)
    assert all("****" in t or "..." in t for t in targets), targets
    given_up = (
        sqlite3.connect(db)
        .execute("SELECT body FROM alerts WHERE kind = 'source_error' AND series = 'delivery'")
        .fetchall()
    )
    assert given_up and all("dead:****@127.0.0.1:9" in body for (body,) in given_up)
    report("secrets", tokens=len(TOKENS), places=len(found), occurrences=0)


def test_token_in_a_custom_header_is_masked(tmp_path: Path, loopback: Loopback) -> None:
    token = "HdrTk8Qw3PzN5vYe"
    url = f"json://127.0.0.1:{loopback.port}/hdr-hook?+X-Api-Key={token}"
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    proc = subprocess.run(
        [sys.executable, "-m", "itx_scraper", "notify-test", "-vv"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=HANG_GUARD,
        env=cli_env(tmp_path, ITX_NOTIFY=url),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert loopback.posts.get("/hdr-hook")
    assert token not in proc.stdout + proc.stderr
