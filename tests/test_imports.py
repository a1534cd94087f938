"""What each path imports (issue 12): the CLI and a no-change run stay off the heavy libraries.

Checked through ``sys.modules`` in a fresh interpreter, not by timing: importing Scrapy, Apprise
or sqlite-utils is what made a no-change run cost more than the work it does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import Loopback, write_config
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

HEAVY_FOR_THE_CLI = ("apprise", "scrapy", "sqlite_utils", "pdfplumber", "matplotlib")
# A no-change run with no destination: no Apprise, no PDF or chart libraries, and (since the
# pre-flight request answers it) no Scrapy, Twisted or what Scrapy's cookie middleware pulls in.
HEAVY_FOR_A_NO_CHANGE_RUN = (
    "apprise",
    "pdfplumber",
    "matplotlib",
    "scrapy",
    "twisted",
    "sqlite_utils",
    "tldextract",
    "requests",
    "aiohttp",
    "lxml",
    "bs4",
)
# Runs the CLI in this interpreter (as the console script does) and writes the names of every
# imported module to the file named first, whatever the exit code.
WRAPPER = """
import atexit, json, runpy, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["itx-scraper", *sys.argv[2:]]
runpy.run_module("itx_scraper", run_name="__main__")
"""


def imported(found: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({m for m in found for n in names if m == n or m.startswith(n + ".")})


def test_importing_the_cli_imports_nothing_heavy() -> None:
    code = "import itx_scraper.cli, json, sys; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = json.loads(result.stdout)
    assert "itx_scraper.cli" in modules
    assert imported(modules, HEAVY_FOR_THE_CLI) == []


def run_and_list_modules(tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    out = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(out), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    return proc.returncode, json.loads(out.read_text())


def test_a_no_change_run_without_destinations_stays_light(
    tmp_path: Path, loopback: Loopback
) -> None:
    config = write_config(
        tmp_path / "itx.toml",
        '[run]\nsources = ["sbp_ebops"]\n'
        f'[sources.sbp_ebops]\nurl = "{loopback.url("/ecodata/dt.xls")}"\n',
    )
    loopback.serve("/ecodata/dt.xls", build_dt(Month(2024, 4), published_ict()), etag='"v1"')
    run = ("run", "--config", str(config), "--db", str(tmp_path / "itx.db"), "--quiet")
    code, first = run_and_list_modules(tmp_path, *run)
    assert code == 0
    assert "scrapy" in first  # the first fetch is the crawl's: the wrapper sees real imports

    code, modules = run_and_list_modules(tmp_path, *run)
    assert code == 0
    assert [r.headers.get("If-None-Match") for r in loopback.requests][-1] == '"v1"'
    assert "itx_scraper.preflight" in modules
    assert imported(modules, HEAVY_FOR_A_NO_CHANGE_RUN) == []


def test_the_spider_loader_imports_only_the_spider_asked_for() -> None:
    code = """
import json, sys
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.project import get_project_settings
loader = get_spider_loader(get_project_settings())
spider = loader.load("sbp_ebops")
one = sorted(m for m in sys.modules if m.startswith("itx_scraper.spiders."))
print(json.dumps({"name": spider.name, "one": one, "pdf": "pdfplumber" in sys.modules,
                  "all": sorted(loader.list())}))
"""
    from conftest import REPO

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    found = json.loads(result.stdout)
    assert found["name"] == "sbp_ebops"
    assert found["one"] == [
        "itx_scraper.spiders.base",
        "itx_scraper.spiders.loader",
        "itx_scraper.spiders.sbp_ebops",
    ]
    assert found["pdf"] is False
    # `scrapy list` still finds every spider.
    assert {"moitt", "pid", "press", "pseb", "sbp_ebops", "sbp_headline"} <= set(found["all"])


def test_a_no_change_run_of_watches_stays_light(tmp_path: Path, loopback: Loopback) -> None:
    """Two watches of one workbook: the pre-flight asks it once and answers both."""
    from sbp_tables import build, summary_grid

    url = loopback.url("/ecodata/Balancepayment_BPM6.xls")
    config = write_config(
        tmp_path / "itx.toml",
        "[run]\nsources = []\n"
        f'[watches.current_account]\nurl = "{url}"\nseries = "Current Account Balance"\n'
        f'[watches.services]\nurl = "{url}"\nseries = "Exports of Services"\n',
    )
    text = config.read_text().replace("[run]\nsources = []\n", "")  # every watch runs
    config.write_text(text)
    loopback.serve(
        "/ecodata/Balancepayment_BPM6.xls", build(summary_grid(Month(2024, 4))), etag='"b1"'
    )
    run = ("run", "--config", str(config), "--db", str(tmp_path / "itx.db"), "--quiet")
    code, first = run_and_list_modules(tmp_path, *run)
    assert code == 0
    assert "scrapy" in first

    code, modules = run_and_list_modules(tmp_path, *run)
    assert code == 0
    asked = [r for r in loopback.requests if r.path.endswith(".xls")]
    assert len(asked) == 2 and asked[-1].headers.get("If-None-Match") == '"b1"'
    assert imported(modules, HEAVY_FOR_A_NO_CHANGE_RUN) == []
