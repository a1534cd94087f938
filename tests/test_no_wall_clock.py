"""The suite never measures wall time and never sleeps to synchronise (tests/benchmarks aside).

A test that asserts how long something took fails on a slow or busy machine: that is a
benchmark, and benchmarks live in tests/benchmarks/. A test that sleeps "long enough" for
another process fails the same way: tests wait for a real signal instead (conftest.wait_for,
conftest.Pause). This test reads every test module's syntax tree and names each offence.

Allowed on purpose: comparisons that involve a measured value on both sides, such as the
fetch log's duration against the gap the loopback server saw, and Loopback.pause_before,
which measures a pause that the product must keep from the server's answer to the next
request (load can only lengthen it).
"""

from __future__ import annotations

import ast
import itertools
import re
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

TESTS = REPO / "tests"
TIME_WORDS = re.compile(r"elapsed|seconds|duration|took|wall|latency|gap|(^|_)ms$", re.IGNORECASE)
STAMPS = re.compile(r"^(at|done|sent|start|started|end|finished|now|when|times?|t\d*)$")
CLOCKS = {"time", "monotonic", "perf_counter", "time_ns", "monotonic_ns", "perf_counter_ns"}
ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
ASSERT_METHODS = {"assertLess", "assertLessEqual", "assertGreater", "assertGreaterEqual"}


def _word(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = node.slice.value
        return key if isinstance(key, str) else _word(node.value)  # times[1] is one of times
    return None


def _is_clock(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _word(node.func) in CLOCKS


def _is_stamp(node: ast.AST) -> bool:
    return _is_clock(node) or bool(STAMPS.match(_word(node) or ""))


def timed(node: ast.AST) -> bool:
    """An expression that holds a duration: a telling name, or one time stamp minus another."""
    for part in ast.walk(node):
        word = _word(part)
        if word and TIME_WORDS.search(word):
            return True
        subtraction = isinstance(part, ast.BinOp) and isinstance(part.op, ast.Sub)
        if subtraction and (_is_stamp(part.left) or _is_stamp(part.right)):
            return True
        if subtraction and any(_is_clock(side) for side in ast.walk(part)):
            return True
    return False


def fixed(node: ast.AST) -> bool:
    """A bound written in the test: numbers and names, no call and no lookup."""
    allowed = (ast.Constant, ast.Name, ast.Attribute, ast.BinOp, ast.UnaryOp, ast.operator)
    allowed += (ast.unaryop, ast.Load)
    return all(isinstance(part, allowed) for part in ast.walk(node)) and not timed(node)


def _compared(node: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """Pairs of expressions that ``node`` orders against each other."""
    pairs = []
    for part in ast.walk(node):
        if isinstance(part, ast.Compare):
            sides = [part.left, *part.comparators]
            for op, (left, right) in zip(part.ops, itertools.pairwise(sides), strict=True):
                if isinstance(op, ORDERING):
                    pairs.append((left, right))
        elif (
            isinstance(part, ast.Call)
            and _word(part.func) in ASSERT_METHODS
            and len(part.args) >= 2
        ):
            pairs.append((part.args[0], part.args[1]))
    return pairs


def wall_clock_assertions(source: str) -> list[int]:
    """Line numbers of assertions that order a duration against a fixed bound."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Assert | ast.Expr):
            continue
        target = node.test if isinstance(node, ast.Assert) else node.value
        for left, right in _compared(target):
            if (timed(left) and fixed(right)) or (timed(right) and fixed(left)):
                found.append(node.lineno)
                break
    return found


def sleeps_outside_polls(source: str) -> list[int]:
    """Line numbers of ``sleep(...)`` calls that are not inside a ``while`` loop (a poll)."""
    tree = ast.parse(source)
    polled = {
        id(part)
        for loop in ast.walk(tree)
        if isinstance(loop, ast.While)
        for statement in loop.body
        for part in ast.walk(statement)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _word(node.func) == "sleep" and id(node) not in polled
    ]


def suite_files() -> list[Path]:
    benchmarks = TESTS / "benchmarks"
    return sorted(p for p in TESTS.rglob("*.py") if benchmarks not in p.parents)


def test_no_test_asserts_wall_clock_time() -> None:
    offences = [
        f"{path.relative_to(REPO)}:{line}"
        for path in suite_files()
        for line in wall_clock_assertions(path.read_text(encoding="utf-8"))
    ]
    assert offences == [], "wall-clock assertions (move them to tests/benchmarks/): " + ", ".join(
        offences
    )


def test_no_test_sleeps_to_synchronise() -> None:
    offences = [
        f"{path.relative_to(REPO)}:{line}"
        for path in suite_files()
        for line in sleeps_outside_polls(path.read_text(encoding="utf-8"))
    ]
    assert offences == [], "sleeps outside a polling loop (wait for a signal): " + ", ".join(
        offences
    )


SAMPLES = tomllib.loads((TESTS / "data" / "wall_clock_samples.toml").read_text(encoding="utf-8"))
FLAGGED: list[str] = SAMPLES["flagged"]
NOT_FLAGGED: list[str] = SAMPLES["not_flagged"]


@pytest.mark.parametrize("snippet", FLAGGED)
def test_the_check_flags(snippet: str) -> None:
    assert wall_clock_assertions(snippet) == [1], snippet


@pytest.mark.parametrize("snippet", NOT_FLAGGED)
def test_the_check_lets_through(snippet: str) -> None:
    assert wall_clock_assertions(snippet) == [], snippet


@pytest.mark.parametrize(
    ("snippet", "flagged"),
    [
        ("time.sleep(0.3)", [1]),
        ("def f():\n    sleep(2)", [2]),
        ("while not done():\n    time.sleep(0.05)", []),
        ("while True:\n    if ready():\n        break\n    time.sleep(0.1)", []),
        ("for _ in range(3):\n    time.sleep(1)", [2]),
        ("async def f():\n    await asyncio.sleep(1)", [2]),
    ],
)
def test_the_sleep_check(snippet: str, flagged: list[int]) -> None:
    assert sleeps_outside_polls(snippet) == flagged
