"""Rewrite the README's CLI reference from the commands' --help (run after changing a command)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

from itx_scraper.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- help:cli -->", "<!-- /help:cli -->"


def help_text(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="itx-scraper")
    if result.exit_code != 0:
        raise SystemExit(f"--help failed for {args}: {result.output}")
    return result.output.rstrip()


def cli_reference() -> str:
    """Markdown: the group's help, then one fenced block per command."""
    parts = ["```text", help_text(), "```"]
    for name in sorted(cli.commands):
        parts += ["", f"### `itx-scraper {name}`", "", "```text", help_text(name), "```"]
    return "\n".join(parts)


def render(readme: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _: f"{START}\n{cli_reference()}\n{END}", readme)


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    updated = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if updated == text else 1)
    README.write_text(updated, encoding="utf-8")
