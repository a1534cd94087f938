"""The shipped Datasette metadata: canned queries on a hand-made history, in-process and via CLI."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import HANG_GUARD, migrated_store
from query_fixture import build

METADATA_PATH = Path(str(resources.files("itx_scraper").joinpath("datasette/metadata.yml")))
VIEWS = ("ict_monthly", "ict_fytd", "ict_records", "revisions")


def get(db: Path, *paths: str) -> list[Any]:
    """GET each path from an in-process Datasette; JSON bodies in order."""
    from datasette.app import Datasette

    async def fetch() -> list[Any]:
        ds = Datasette([str(db)], metadata=yaml.safe_load(METADATA_PATH.read_text()))
        await ds.invoke_startup()
        bodies = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            bodies.append(response.json())
        return bodies

    return asyncio.run(fetch())


def rows(db: Path, query: str) -> list[dict[str, Any]]:
    sep = "&" if "?" in query else "?"
    [body] = get(db, f"/itx/{query}{sep}_shape=array")
    return body


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build(tmp_path / "itx.db")  # named itx: the metadata is keyed by that name


def test_latest_months(db: Path) -> None:
    got = [
        (r["period"], r["usd_million"], r["mom_pct"], r["yoy_pct"], r["status"], r["source"])
        for r in rows(db, "latest_months.json")
    ]
    assert got == [
        ("2023-10", 130.0, 2.4, 23.8, "P", "sbp_ebops"),  # 130/127, 130/105
        ("2023-09", 127.0, 6.7, 15.5, "R", "sbp_ebops"),  # 127/119, 127/110
        ("2023-08", 119.0, -0.8, -0.8, "R", "sbp_ebops"),  # 119/120, 119/120
        ("2023-07", 120.0, 33.3, 20.0, None, "baseline"),  # 120/90, 120/100
        ("2023-06", 90.0, None, None, None, "import"),  # no May-23, no Jun-22
        ("2022-10", 105.0, -4.5, None, "R", "sbp_ebops"),
        ("2022-09", 110.0, -8.3, None, "R", "sbp_ebops"),
        ("2022-08", 120.0, 20.0, None, None, "baseline"),
        ("2022-07", 100.0, None, None, None, "baseline"),
    ]


def test_records(db: Path) -> None:
    assert rows(db, "records.json") == [
        {
            "period": "2023-10",
            "usd_million": 130.0,
            "previous_record_period": "2023-09",
            "previous_record_usd_million": 127.0,
            "margin": 3.0,
        },
        {
            "period": "2023-09",
            "usd_million": 127.0,
            "previous_record_period": "2023-07",
            "previous_record_usd_million": 120.0,
            "margin": 7.0,
        },
        {
            "period": "2022-08",
            "usd_million": 120.0,
            "previous_record_period": "2022-07",
            "previous_record_usd_million": 100.0,
            "margin": 20.0,
        },
    ]


def test_revisions(db: Path) -> None:
    assert rows(db, "revisions.json") == [
        {
            "period": "2023-09",
            "first_usd_million": 125.0,
            "first_status": "P",
            "first_source": "sbp_ebops",
            "latest_usd_million": 127.0,
            "latest_status": "R",
            "latest_source": "sbp_ebops",
            "delta": 2.0,
            "vintages": 2,
        },
    ]


def test_fytd_comparison(db: Path) -> None:
    got = [
        (
            r["fiscal_year"],
            r["months"],
            r["usd_million"],
            r["basis"],
            r["prior_usd_million"],
            r["delta"],
            r["growth_pct"],
        )
        for r in rows(db, "fytd_comparison.json")
    ]
    # Newest FYTD is Jul-Oct (4 months): SBP's 497 vs 436, +61, +14.0%.
    assert got == [
        ("FY24", 4, 497.0, "reported", 436.0, 61.0, 14.0),
        ("FY23", 4, 436.0, "reported", None, None, None),
    ]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2024-01-02", [], id="nothing-yet"),
        pytest.param(
            "2024-02-18",
            [("2023-09", 125.0, "P"), ("2023-08", 119.0, "R"), ("2023-07", 120.0, None)],
            id="first-print",
        ),
        pytest.param(
            "2024-02-19",
            [("2023-10", 130.0, "P"), ("2023-09", 127.0, "R"), ("2023-08", 119.0, "R")],
            id="revised",
        ),
    ],
)
def test_as_of(db: Path, as_of: str, expected: list[tuple]) -> None:
    got = rows(db, f"as_of.json?as_of={as_of}")
    assert [(r["period"], r["usd_million"], r["status"]) for r in got[:3]] == expected


def test_as_of_matches_show_as_of(db: Path) -> None:
    """The canned query and `Store.monthly_as_of` (behind `show --as-of`) agree."""
    from datetime import date

    store = migrated_store(db)
    try:
        for day in ("2024-01-03", "2024-01-18", "2024-02-18", "2024-02-19"):
            mine = [
                (r["period"], r["usd_million"], r["release_id"])
                for r in store.monthly_as_of(date.fromisoformat(day))
            ]
            theirs = [
                (r["period"], r["usd_million"], r["release_id"])
                for r in rows(db, f"as_of.json?as_of={day}")
            ]
            assert mine == sorted(theirs) and mine
    finally:
        store.close()


def test_as_of_ranks_by_storage_order_like_show(db: Path) -> None:
    """A release stored later but stamped earlier (the clock went back) wins in `show --as-of`
    and `ict_monthly`; the canned query must pick the same figure (issue 13 §5)."""
    from datetime import date

    from query_fixture import observation

    from itx_scraper.store import NewRelease

    store = migrated_store(db)
    try:
        with store.transaction():
            late = store.add_release(
                NewRelease(
                    source="sbp_ebops",
                    url="https://example.org/sbp_ebops/5",
                    body=b"release 5",
                    retrieved_at="2024-02-18T10:00:00+00:00",  # before release 4's stamp
                    parse_status="ok",
                    latest_period="2023-10",
                )
            )
            store.add_observations(late, [observation("9", "credit", "2023-10", 999.0, "R", "C9")])
        shown = {r["period"]: r["usd_million"] for r in store.monthly_as_of(date(2024, 2, 19))}
    finally:
        store.close()
    assert shown["2023-10"] == 999.0
    canned = {r["period"]: r["usd_million"] for r in rows(db, "as_of.json?as_of=2024-02-19")}
    assert canned == shown
    assert {r["period"]: r["usd_million"] for r in rows(db, "ict_monthly.json")}["2023-10"] == 999.0


def test_metadata_describes_every_view(db: Path) -> None:
    metadata = yaml.safe_load(METADATA_PATH.read_text())
    assert {"title", "description_html", "license", "source", "source_url"} <= set(metadata)
    tables = metadata["databases"]["itx"]["tables"]
    for view in VIEWS:
        assert "US$ million" in tables[view]["description_html"], view
    assert set(metadata["databases"]["itx"]["queries"]) == {
        "latest_months",
        "records",
        "revisions",
        "fytd_comparison",
        "as_of",
        "watches_latest",
        "watch_months",
    }
    fytd_page, database = get(db, "/itx/ict_fytd.json?_shape=array", "/itx.json")
    assert len(fytd_page) == 8
    assert set(VIEWS) <= {view["name"] for view in database["views"]}


def test_browsing_while_a_run_writes(db: Path) -> None:
    """WAL: readers see the last commit while a writer holds its transaction open."""
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO releases (source, url, retrieved_at, sha256, size, parse_status, body) "
            "VALUES ('sbp_ebops', 'x', '2024-03-18T10:00:00+00:00', 'abc', 1, 'ok', x'00')"
        )
        writer.execute(
            "INSERT INTO observations (release_id, series, flow, period, period_start, "
            "period_end, months, usd_million, status) VALUES "
            "(last_insert_rowid(), '9', 'credit', '2023-11', '2023-11', '2023-11', 1, 150, 'P')"
        )
        assert rows(db, "records.json")[0]["period"] == "2023-10"  # not yet committed
        writer.execute("COMMIT")
        assert rows(db, "records.json")[0]["period"] == "2023-11"  # 150 > 130: a new record
    finally:
        writer.close()


def test_datasette_cli_with_the_shipped_metadata(db: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "datasette",
            str(db),
            "-m",
            str(METADATA_PATH),
            "--get",
            "/itx/records.json?_shape=array",
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=db.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [r["period"] for r in json.loads(proc.stdout)] == ["2023-10", "2023-09", "2022-08"]
