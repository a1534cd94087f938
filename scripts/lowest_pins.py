"""Print pip constraints that pin every dependency to the lowest version pyproject.toml allows.

    .venv/bin/python scripts/lowest_pins.py > /tmp/lowest.txt
    python3 -m venv .venv-lowest
    .venv-lowest/bin/pip install -c /tmp/lowest.txt -e '.[test]'
    .venv-lowest/bin/python -m pytest -n 2

so that the lower bounds we declare are versions the suite has actually passed with.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
EXTRAS = ("test",)


def lowest(requirements: list[str]) -> list[str]:
    """'scrapy>=2.15,<3' -> 'scrapy==2.15'; a requirement without a lower bound is left out."""
    pins = []
    for requirement in requirements:
        match = re.match(
            r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*.*?>=\s*([0-9][^,;\s]*)", requirement
        )
        if match:
            pins.append(f"{match[1]}=={match[2]}")
    return pins


def main() -> int:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    sys.stdout.write("\n".join(sorted(set(lowest(requirements)))) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
