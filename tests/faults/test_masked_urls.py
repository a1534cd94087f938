"""A destination Apprise cannot parse is shown as "scheme://****", never verbatim (issue 13 §7).

Before, a malformed Slack URL printed both its tokens on stderr at the default level, and the
first one even under --quiet. Each URL below is malformed for Apprise 2 (too few tokens, a
bad port or option, or a retired scheme: Office 365 connectors ``msteams://`` became
``workflows://``) and carries tokens in every part; none may reach stdout, stderr or the
database files, at any verbosity.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import write_config
from faultkit import report, run_cli

DB_FILES = ("itx.db", "itx.db-wal", "itx.db-shm")


def token() -> str:
    return f"tok{secrets.token_hex(8)}"


# scheme -> a malformed URL built from tokens
MALFORMED: dict[str, Callable[[Callable[[], str]], str]] = {
    "slack": lambda t: f"slack://{t()}/{t()}",  # a webhook needs three tokens
    "discord": lambda t: f"discord://{t()}",  # webhook id without its token
    "mailto": lambda t: f"mailto://{t()}:{t()}@",  # no host
    "mailtos": lambda t: f"mailtos://{t()}:{t()}@:{t()}",  # no host, port not a number
    "tgram": lambda t: f"tgram://{t()}",  # a bot token without its chat
    "msteams": lambda t: f"msteams://{t()}/{t()}/{t()}/{t()}",  # retired in Apprise 2
    "workflows": lambda t: f"workflows://{t()}:443/{t()}",  # no signature
    "pover": lambda t: f"pover://{t()}",  # user key without the token
    "json": lambda t: f"json://{t()}:{t()}@/{t()}",  # no host
    "ntfy": lambda t: f"ntfy://{t()}:{t()}@localhost/{t()}?mode={t()}",  # unknown mode
    "gotify": lambda t: f"gotifys://{t()}/?priority={t()}",  # no app token
    "matrix": lambda t: f"matrix://{t()}:{t()}@:99999",  # no host, port out of range
}


@pytest.fixture(scope="module")
def healthy_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database a healthy run made, so that the refused runs below find one."""
    folder = tmp_path_factory.mktemp("healthy")
    write_config(folder / "itx.toml", "[history]\nbaseline = true\n")
    done = run_cli(folder, "run")
    assert done.returncode == 0, done.stderr
    return folder / "itx.db"


@pytest.mark.parametrize("scheme", list(MALFORMED))
def test_tokens_of_a_malformed_destination_are_never_printed_or_stored(
    scheme: str, healthy_db: Path, tmp_path: Path
) -> None:
    planted: list[str] = []

    def plant() -> str:
        planted.append(token())
        return planted[-1]

    url = MALFORMED[scheme](plant)
    shown = f"{url.split('://')[0]}://****"
    (tmp_path / "itx.db").write_bytes(healthy_db.read_bytes())
    write_config(tmp_path / "itx.toml", f'[history]\nbaseline = true\n[notify]\nurls = ["{url}"]\n')
    outputs: list[str] = []
    for level in ((), ("-v",), ("-vv",), ("--quiet",)):
        done = run_cli(tmp_path, "run", *level)
        assert done.returncode == 2, done.stderr
        assert f"configuration error: not a valid Apprise URL: {shown}" in done.stderr
        outputs += [done.stdout, done.stderr]
    # The same URL from the environment, through the command that sends; in an Apprise
    # YAML file; and given to the demo.
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = true\n")
    done = run_cli(tmp_path, "notify-test", "-vv", ITX_NOTIFY=url)
    assert done.returncode == 2, done.stderr
    assert shown in done.stderr
    outputs += [done.stdout, done.stderr]
    (tmp_path / "apprise.yml").write_text(f'urls:\n  - "{url}"\n')
    write_config(
        tmp_path / "itx.toml", '[history]\nbaseline = true\n[notify]\nconfig = "apprise.yml"\n'
    )
    done = run_cli(tmp_path, "run", "-vv")
    assert done.returncode == 2, done.stderr
    outputs += [done.stdout, done.stderr]
    done = run_cli(tmp_path, "demo", "--notify", url, "--workdir", str(tmp_path / "demo"))
    assert done.returncode == 2, done.stderr
    assert shown in done.stderr
    outputs += [done.stdout, done.stderr]
    files = [(tmp_path / name).read_bytes() for name in DB_FILES if (tmp_path / name).exists()]
    found = [
        t
        for t in planted
        if any(t in text for text in outputs) or any(t.encode() in f for f in files)
    ]
    assert found == [], f"{scheme}: tokens leaked: {found}"
    report(
        "masked",
        scheme=scheme,
        tokens=len(planted),
        places=len(outputs) + len(files),
        occurrences=len(found),
    )
