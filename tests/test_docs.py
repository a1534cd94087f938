"""The README stays true: CLI help, config keys, environment variables, the test command."""

from __future__ import annotations

import importlib.util
import re

from conftest import REPO

from itx_scraper.cli import cli
from itx_scraper.core import config

README = (REPO / "README.md").read_text(encoding="utf-8")


def _update_readme_module():
    spec = importlib.util.spec_from_file_location(
        "update_readme", REPO / "scripts" / "update_readme.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_matches_help() -> None:
    module = _update_readme_module()
    assert module.render(README) == README, "run: .venv/bin/python scripts/update_readme.py"


def test_every_command_has_a_docstring() -> None:
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), f"command {name} has no help text"


def test_every_config_key_is_documented() -> None:
    table = README.split("<!-- config-keys -->")[1].split("<!-- /config-keys -->")[0]
    documented = set(re.findall(r"^\| `([a-z_.<>]+)` \|", table, re.MULTILINE))
    expected = {"db", "sources.<name>.url", "sources.<name>.enabled"}
    expected |= {f"{section}.{key}" for section, keys in config.SECTIONS.items() for key in keys}
    expected |= {f"watches.<name>.{key}" for key in config.WATCH_KEYS}
    assert expected <= documented, sorted(expected - documented)
    assert documented <= expected | {k for k in documented if k.startswith("sources.")}


def test_every_environment_variable_is_documented() -> None:
    used = set()
    for path in (REPO / "itx_scraper").rglob("*.py"):
        used |= set(re.findall(r"\b(ITX_[A-Z_]+)\b", path.read_text(encoding="utf-8")))
    for name in sorted(used):  # Scrapy settings share the prefix; they are documented too
        assert f"`{name}`" in README, f"{name} is not documented in the README"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = ".venv/bin/python -m pytest -n 2"
    assert command in README
    assert re.search(rf"^{re.escape(command)}$", ci, re.MULTILINE)
