"""`itx-scraper extract` through the real CLI: a file or stdin in, JSON lines out."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli

STATEMENT = (
    "IT exports set record with $310 million in April 2024; "
    "July–April $2.593 billion vs $2.135 billion, +21%"
)


def test_extract_from_stdin_and_file(cli: Cli, tmp_path: Path) -> None:
    result = cli("extract", "--date", "2024-05-20", input=STATEMENT, process=True)  # a real pipe
    assert result.returncode == 0, result.stderr
    facts = [json.loads(line) for line in result.stdout.splitlines()]
    summary = [
        (
            f["start"],
            f["end"],
            f["kind"],
            f.get("usd_million"),
            f.get("pct"),
            f.get("comparison", False),
        )
        for f in facts
    ]
    assert summary == [
        ("2024-04", "2024-04", "amount", 310.0, None, False),
        ("2023-07", "2024-04", "amount", 2593.0, None, False),
        ("2022-07", "2023-04", "amount", 2135.0, None, True),
        ("2023-07", "2024-04", "yoy_pct", None, 21.0, False),
    ]
    path = tmp_path / "statement.txt"
    path.write_text("Exports were $354 million in July.", encoding="utf-8")
    result = cli("extract", str(path), "--date", "2025-08-20")
    assert [json.loads(line)["start"] for line in result.stdout.splitlines()] == ["2025-07"]
    assert cli("extract", "--date", "20-05-2024", input="x").returncode == 2
