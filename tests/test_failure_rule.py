"""One rule decides whether a source's attempt failed; the run's exit code, health and `status`
use it and so never disagree (issue 11)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, Loopback, write_config
from spider_fixtures import headline_pdf

from itx_scraper.core import exitcodes
from itx_scraper.ops.health import attempts, failing_fetch, streak
from itx_scraper.ops.runner import RunSummary

PRIMARY = "https://www.sbp.org.pk/assets/document/ExportsImports-Goods.pdf"
FALLBACK = "https://archive.sbp.org.pk/ecodata/ExportsImports-Goods.pdf"


def fetch(number: int, url: str, status: str, error_class: str | None = None) -> dict[str, Any]:
    return {
        "id": number,
        "run_id": 7,
        "source": "sbp_headline",
        "url": url,
        "started_at": f"2026-05-0{number}T00:00:00+00:00",
        "status": status,
        "http_status": {"4xx": 404, None: 200}.get(error_class),
        "bytes": 0,
        "error_class": error_class,
        "error": f"{error_class} error" if error_class else None,
    }


CASES = [
    pytest.param([fetch(1, PRIMARY, "ok")], False, id="primary-ok"),
    pytest.param(
        [fetch(1, PRIMARY, "error", "4xx"), fetch(2, FALLBACK, "ok")], False, id="404-fallback-ok"
    ),
    pytest.param(
        [fetch(1, PRIMARY, "error", "4xx"), fetch(2, FALLBACK, "error", "network")],
        True,
        id="both-failing",
    ),
    pytest.param([fetch(1, PRIMARY, "error", "parse")], True, id="parse-error"),
    pytest.param([fetch(1, PRIMARY, "not_modified")], False, id="not-modified"),
    pytest.param(
        [fetch(1, PRIMARY, "ok"), fetch(2, FALLBACK, "error", "parse")], True, id="last-url-failed"
    ),
]


@pytest.mark.parametrize(("fetches", "failed"), CASES)
def test_run_exit_code_and_health_agree(fetches: list[dict[str, Any]], failed: bool) -> None:
    summary = RunSummary(7, ["sbp_headline"], fetches)
    assert ("sbp_headline" in summary.source_errors) is failed
    assert (summary.exit_code == exitcodes.FAILED) is failed
    [attempt] = list(attempts("sbp_headline", reversed(fetches)))  # the store gives newest first
    assert attempt.failed is failed
    current = streak(iter([attempt]))
    assert (current.failures == 1) is failed  # what health and `status` count
    assert (current.last_success is attempt) is not failed


def test_a_statement_source_fails_on_any_failed_page() -> None:
    pages = [
        {**fetch(1, "https://pid.gov.pk/", "ok"), "source": "pid"},
        {**fetch(2, "https://pid.gov.pk/site/press_detail/1", "error", "parse"), "source": "pid"},
        {**fetch(3, "https://pid.gov.pk/site/press_detail/2", "ok"), "source": "pid"},
    ]
    assert failing_fetch("pid", pages) == pages[1]
    assert "pid" in RunSummary(7, ["pid"], pages).source_errors


def test_three_runs_with_a_working_fallback_are_healthy(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    """The issue's case: primary 404, fallback works, three runs: exit 0, no source_error, and
    `status` agrees (exit 0, no consecutive failures)."""
    primary, archive = "/assets/document/ExportsImports-Goods.pdf", "/ecodata/Goods.pdf"
    loopback.serve(primary, b"gone", status=404, headers={"Content-Type": "text/plain"})
    loopback.serve(archive, headline_pdf(), headers={"Content-Type": "application/pdf"})
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_headline]\nurl = "{loopback.url(primary)}"\n'
        f'fallback_url = "{loopback.url(archive)}"\n'
        f'[notify]\nurls = ["{loopback.hook("/ops")}"]\n',
    )
    for day in ("2024-05-20", "2024-05-21", "2024-05-22"):
        done = cli("run", env={"ITX_NOW": f"{day}T10:00:00"})
        assert done.returncode == 0, done.stderr
        assert "warning: sbp_headline: 4xx: HTTP 404" in done.stderr
    status = cli("status", "--json", env={"ITX_NOW": "2024-05-22T11:00:00"})
    report = json.loads(status.stdout)
    assert report["sources"]["sbp_headline"]["consecutive_failures"] == 0
    assert not [p for p in report["problems"] if "sbp_headline" in p]
    with sqlite3.connect(tmp_path / "itx.db") as conn:
        kinds = [row[0] for row in conn.execute("SELECT kind FROM alerts")]
    assert "source_error" not in kinds
    assert all("is failing" not in post["title"] for post in loopback.posts.get("/ops", []))
