"""The README's systemd units and crontab line work as written (issue 10)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
PREFIX = "/srv/itx"


def units() -> dict[str, str]:
    """Every ``ini`` block of the README that is a unit, by its file name."""
    found = {}
    for block in re.findall(r"```ini\n(.*?)```", README, re.DOTALL):
        first = block.splitlines()[0]
        name = first.removeprefix("# ").strip() if first.startswith("# itx") else None
        if name is None and "ExecStart=" in block and "daemon" in block:
            name = "itx-scraper.service"
        if name:
            found[name] = block
    return found


def test_the_readme_has_the_three_units() -> None:
    assert set(units()) == {
        "itx-scraper.service",
        "itx-scraper-run.service",
        "itx-scraper-run.timer",
    }


@pytest.mark.parametrize("name", ["itx-scraper.service", "itx-scraper-run.service"])
def test_services_name_their_folder_database_and_config(name: str) -> None:
    unit = units()[name]
    assert f"WorkingDirectory={PREFIX}\n" in unit
    [command] = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    assert f"--config {PREFIX}/itx.toml" in command
    assert f"--db {PREFIX}/state/itx.db" in command  # absolute: never relative to the cwd
    assert re.search(r"^User=itx$", unit, re.MULTILINE)


def test_the_crontab_line_names_an_absolute_database() -> None:
    [line] = re.findall(r"^[0-9*/ ,]+ \S+itx-scraper run .*$", README, re.MULTILINE)
    assert f"--db {PREFIX}/state/itx.db" in line and f"--config {PREFIX}/itx.toml" in line


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The units as written, pointed at this test's install: the same binary, a real folder.
    root = tmp_path / "srv-itx"
    (root / "state").mkdir(parents=True)
    venv_bin = Path(sys.executable).parent
    if not (venv_bin / "itx-scraper").exists():
        pytest.skip(f"no itx-scraper console script next to {sys.executable}")
    paths = []
    for name, text in units().items():
        text = text.replace(f"{PREFIX}/.venv/bin", str(venv_bin)).replace(PREFIX, str(root))
        text = "\n".join(line for line in text.splitlines() if not line.startswith("# itx"))
        path = tmp_path / name
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run(
        [analyze, "verify", *paths], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
