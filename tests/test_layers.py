"""The folders show the data path, and imports only run down it (issue 11).

Each layer may import from itself and the layers listed before it, never from a later one.
`fetch` comes before `store` because spiders never know the database exists; the Scrapy glue
that connects a crawl to the store (middlewares, pipelines, ingest) sits above the alerts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "itx_scraper"
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("itx_scraper", "itx_scraper.core", "itx_scraper.items")),
    ("parse", ("itx_scraper.parsers", "itx_scraper.extract")),
    ("fetch", ("itx_scraper.spiders", "itx_scraper.settings")),
    ("store", ("itx_scraper.store",)),
    ("alerts", ("itx_scraper.alerts",)),
    (
        "glue",
        (
            "itx_scraper.middlewares",
            "itx_scraper.pipelines",
            "itx_scraper.ingest",
            "itx_scraper.robots",
            "itx_scraper.preflight",
            "itx_scraper.commands",
        ),
    ),
    ("query", ("itx_scraper.query",)),
    ("ops", ("itx_scraper.ops",)),
    ("cli", ("itx_scraper.cli", "itx_scraper.__main__")),
)
SQL_LIBRARIES = ("sqlite3", "sqlite_utils")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    """Index of the layer a module belongs to: the longest matching prefix decides."""
    best, found = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    if found < 0:
        raise AssertionError(f"{module} is in no layer: add its folder to LAYERS")
    return found


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, lazy and type-only ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            # `from itx_scraper.ops import checks` imports the module itx_scraper.ops.checks
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def internal_edges() -> dict[str, set[tuple[int, str]]]:
    modules = package_modules()
    edges: dict[str, set[tuple[int, str]]] = {}
    for name, path in modules.items():
        edges[name] = {(line, target) for line, target in imports(path) if target in modules}
    return edges


def test_every_module_has_a_layer() -> None:
    for name in package_modules():
        layer_of(name)


def test_no_import_runs_from_a_lower_stage_up_to_a_higher_one() -> None:
    upward = []
    for name, targets in internal_edges().items():
        for line, target in sorted(targets):
            if layer_of(target) > layer_of(name):
                here, there = LAYERS[layer_of(name)][0], LAYERS[layer_of(target)][0]
                upward.append(f"{name}:{line} ({here}) imports {target} ({there})")
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    graph = {name: {target for _, target in targets} for name, targets in internal_edges().items()}
    # A package imports its own submodules (`from itx_scraper.store import schema`): that is
    # how a package is built, not a cycle between stages.
    for name, targets in graph.items():
        targets -= {t for t in targets if t == name or t.startswith(name + ".")}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_sql_lives_in_the_store() -> None:
    found = [
        f"{name}:{line} imports {target}"
        for name, path in package_modules().items()
        if not (name == "itx_scraper.store" or name.startswith("itx_scraper.store."))
        for line, target in imports(path)
        if target.split(".")[0] in SQL_LIBRARIES
    ]
    assert found == []


@pytest.mark.parametrize(
    ("source", "snippet", "bad"),
    [
        pytest.param("itx_scraper.spiders.x", "from itx_scraper.store import Store", True, id="up"),
        pytest.param("itx_scraper.store.x", "import sqlite3", False, id="sql-in-store"),
        pytest.param("itx_scraper.ops.x", "from itx_scraper.store import Store", False, id="down"),
    ],
)
def test_the_layer_rule_itself(source: str, snippet: str, bad: bool, tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text(snippet + "\n")
    [(_, target)] = [item for item in imports(path) if item[1].startswith(("itx", "sql"))][:1]
    if target.startswith("itx_scraper"):
        assert (layer_of(target) > layer_of(source)) is bad
    else:
        assert source.startswith("itx_scraper.store")
