"""Adding a source touches four places, and this contract names the one that is missing (issue 11).

See the README's "Adding a source": the catalogue entry (core/sources.py: name, label, rank,
options), the spider (spiders/<name>.py), its fixture site (tests/fixtures/<name>/ and SITES in
tests/spider_fixtures.py), and the README's Sources and rank tables.
"""

from __future__ import annotations

import importlib
import re

import pytest
from conftest import REPO
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from spider_fixtures import SITES

from itx_scraper.core.config import WORKBOOK_SPIDER
from itx_scraper.core.sources import CRAWLED, SOURCES

README = (REPO / "README.md").read_text(encoding="utf-8")
HINT = "(README: Adding a source)"


def spider_names() -> list[str]:
    settings = Settings()
    settings.setmodule("itx_scraper.settings", priority="project")
    return sorted(SpiderLoader.from_settings(settings).list())


def table(heading: str) -> list[list[str]]:
    """The rows of the first Markdown table after ``heading``, as lists of cells."""
    section = README.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # no header, no separator


def names_in(cell: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", cell))


@pytest.mark.parametrize("name", CRAWLED)
def test_every_catalogued_source_has_a_spider(name: str) -> None:
    assert name in spider_names(), f"source {name!r}: no spider named {name!r} {HINT}"
    module = importlib.import_module(f"itx_scraper.spiders.{name}")
    assert any(getattr(cls, "name", None) == name for cls in vars(module).values()), (
        f"source {name!r}: itx_scraper/spiders/{name}.py defines no spider with name = {name!r}"
    )


@pytest.mark.parametrize("name", [n for n in spider_names() if n != WORKBOOK_SPIDER])
def test_every_spider_is_catalogued(name: str) -> None:
    """Every spider but the one that serves all `[watches.<name>]` is a catalogued source."""
    assert name in SOURCES, f"spider {name!r}: no SOURCES entry in core/sources.py {HINT}"
    info = SOURCES[name]
    assert info.label.strip(), f"source {name!r}: no label (the name alerts and charts use)"
    assert isinstance(info.rank, int) and info.rank > 0, f"source {name!r}: no rank {HINT}"
    assert info.crawled, f"source {name!r} has a spider but is marked crawled=False"


def test_labels_tell_sources_apart() -> None:
    labels = [info.label for info in SOURCES.values()]
    assert len(set(labels)) == len(labels), f"two sources share a label: {sorted(labels)}"


@pytest.mark.parametrize("name", spider_names())
def test_every_spider_has_a_fixture_site(name: str) -> None:
    assert name in SITES, f"spider {name!r}: no fixture site in tests/spider_fixtures.py {HINT}"
    assert (REPO / "tests" / "fixtures" / name / "README.md").is_file(), (
        f"spider {name!r}: no tests/fixtures/{name}/README.md saying where the fixtures come from"
    )


@pytest.mark.parametrize("name", CRAWLED)
def test_the_readme_sources_table_has_a_row(name: str) -> None:
    rows = {next(iter(names_in(row[0])), ""): row for row in table("## Sources")}
    assert name in rows, f"source {name!r}: no row in the README's Sources table {HINT}"
    for url in SOURCES[name].urls:
        assert url in rows[name][2], f"source {name!r}: the Sources table lacks its URL {url}"


@pytest.mark.parametrize("name", list(SOURCES))
def test_the_readme_rank_table_gives_the_rank(name: str) -> None:
    ranks = {}
    for row in table("History that does not come from a spider, and how sources rank:"):
        for listed in names_in(row[0]):
            ranks[listed] = int(re.match(r"\d+", row[-1]).group(0))
    assert name in ranks, f"source {name!r}: no row in the README's rank table {HINT}"
    assert ranks[name] == SOURCES[name].rank, (
        f"source {name!r}: the README's rank table says {ranks[name]}, core/sources.py says"
        f" {SOURCES[name].rank}"
    )


def test_the_readme_lists_what_adding_a_source_touches() -> None:
    section = README.split("### Adding a source", 1)[1].split("\n## ", 1)[0]
    for piece in ("core/sources.py", "spiders/", "tests/fixtures/", "spider_fixtures.py"):
        assert piece in section, f"the README's 'Adding a source' does not mention {piece}"
