"""`itx-scraper extract` through the real CLI: a file or stdin in, JSON lines out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import HANG_GUARD, Cli

from itx_scraper.cli import cli as itx_cli
from itx_scraper.extract import MAX_TEXT_BYTES

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
    assert result.stderr == ""
    path = tmp_path / "statement.txt"
    path.write_text("Exports were $354 million in July.", encoding="utf-8")
    result = cli("extract", str(path), "--date", "2025-08-20")
    assert [json.loads(line)["start"] for line in result.stdout.splitlines()] == ["2025-07"]
    assert cli("extract", "--date", "20-05-2024", input="x").returncode == 2


def run(*args: str, input: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(itx_cli, ["extract", *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def test_month_without_year_and_no_date_says_how_to_resolve_it() -> None:
    text = "IT exports reached $310 million in April, while FY24 closed at $3.2 billion."
    code, out, err = run(input=text)
    assert code == 0
    facts = [json.loads(line) for line in out.splitlines()]  # stdout stays JSON only
    assert [(f["start"], f["end"], f["usd_million"]) for f in facts] == [
        ("2023-07", "2024-06", 3200.0)
    ]
    (line,) = err.splitlines()
    assert "'April'" in line and "--date YYYY-MM-DD" in line

    code, out, err = run("--date", "2024-05-17", input=text)
    assert code == 0 and err == ""
    assert [json.loads(line)["start"] for line in out.splitlines()] == ["2024-04", "2023-07"]


def test_no_hint_when_every_period_is_named() -> None:
    code, out, err = run(input="IT exports were $310 million in April 2024.")
    assert (code, err) == (0, "")
    assert json.loads(out)["start"] == "2024-04"
    code, out, err = run(input="IT exports rose sharply last year.")  # no figure at all
    assert (code, out, err) == (0, "", "")


def test_urdu_statement_lines_say_lang_ur() -> None:
    code, out, err = run(
        input="مالی سال 2023-24 میں آئی ٹی برآمدات 3 ارب 45 کروڑ 20 لاکھ ڈالر رہیں۔"
    )
    assert (code, err) == (0, "")
    fact = json.loads(out)
    assert (fact["start"], fact["end"], fact["usd_million"], fact["lang"]) == (
        "2023-07",
        "2024-06",
        3452.0,
        "ur",
    )


def test_input_over_the_cap_is_refused_with_one_line(tmp_path: Path) -> None:
    exact = "x" * MAX_TEXT_BYTES  # the cap itself is allowed
    assert run(input=exact)[0] == 0

    code, out, err = run(input=exact + "x")
    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert "standard input is more than 1,000,000 bytes" in line

    urdu = "آئی ٹی " * (MAX_TEXT_BYTES // 7)  # under the cap in characters, over it in bytes
    assert len(urdu) <= MAX_TEXT_BYTES < len(urdu.encode())
    assert run(input=urdu)[0] == 1

    big = tmp_path / "statement.txt"
    big.write_text("IT exports were $310 million in April 2024. " * 40_000, encoding="utf-8")
    code, out, err = run(str(big), input="")
    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert f"statement.txt is {big.stat().st_size:,} bytes" in line


def test_over_the_cap_through_a_real_pipe(cli: Cli) -> None:
    result = cli("extract", input="IT exports were $310 million in April 2024. " * 25_000)
    assert (result.returncode, result.stdout) == (1, "")
    assert len(result.stderr.splitlines()) == 1
    assert "more than 1,000,000 bytes" in result.stderr


def test_input_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    latin = tmp_path / "statement.txt"
    latin.write_bytes("IT exports were $310 million in April 2024 (\xe9t\xe9)".encode("latin-1"))
    code, out, err = run(str(latin), input="")
    assert (code, out, err) == (1, "", f"itx-scraper: {latin} is not UTF-8 text\n")
    # Through a real pipe, as a shell gives it (in the C locale stdin decodes with escapes).
    piped = subprocess.run(
        [sys.executable, "-m", "itx_scraper", "extract"],
        input=latin.read_bytes(),
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
        timeout=HANG_GUARD,
        check=False,
    )
    assert (piped.returncode, piped.stdout) == (1, b"")
    assert piped.stderr == b"itx-scraper: standard input is not UTF-8 text\n"
