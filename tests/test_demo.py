"""`itx-scraper demo` end to end: offline replay of eight SBP releases, printed or delivered."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

from conftest import Cli, Loopback
from png_check import check_png

RECORD_MONTHS = ["December 2023", "March 2024", "April 2024", "May 2024"]
SECRET = "s3cretDemoToken"


def alerts(db: Path) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT kind, period, title, delivered_at FROM alerts ORDER BY id"
        ).fetchall()


def check_database(db: Path) -> list[tuple[str, str, str, str | None]]:
    raised = alerts(db)
    kinds = Counter(kind for kind, *_ in raised)
    assert kinds == {"new_month": 8, "record": 4}, raised
    assert [p for kind, p, *_ in raised if kind == "record"] == [
        "2023-12",
        "2024-03",
        "2024-04",
        "2024-05",
    ]
    assert all(delivered for *_, delivered in raised)
    with sqlite3.connect(db) as conn:
        urls = {row[0] for row in conn.execute("SELECT DISTINCT url FROM fetches")}
        retrieved = [
            row[0]
            for row in conn.execute(
                "SELECT retrieved_at FROM releases WHERE source = 'sbp_ebops' ORDER BY id"
            )
        ]
    assert len(urls) == 1 and next(iter(urls)).startswith("http://127.0.0.1:")  # no network
    # Each release is stored on its (replayed) publication day.
    assert [r[:10] for r in retrieved] == [
        "2023-12-18",
        "2024-01-17",
        "2024-02-16",
        "2024-03-18",
        "2024-04-17",
        "2024-05-17",
        "2024-06-18",
        "2024-07-17",
    ]
    return raised


def test_demo_prints_alerts_table_and_chart(cli: Cli, tmp_path: Path) -> None:
    result = cli("demo", env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("SBP publishes") == 8
    assert "no destination configured, so each run prints them" in out
    printed_records = re.findall(
        r"\[record\] Record: Pakistan's IT exports \$\d+ million in "
        r"(\w+ \d{4})",
        out,
    )
    assert printed_records == RECORD_MONTHS
    assert "previous record $260 million in March 2022" in out  # Dec-23's predecessor
    assert out.count("[new_month]") == 8
    assert "alerts raised: 8 new_month, 4 record" in out
    assert re.search(r"^2024-06\s+298\.00\s+-10\.2%\s+\+33\.0%\s+P\s+sbp_ebops$", out, re.MULTILINE)
    assert "FY24, 12 months: US$3,223m vs US$2,594m a year earlier (+24.2%)" in out
    [workdir] = tmp_path.glob("itx-demo-*")  # the default: a new temporary folder, kept
    assert f"chart: {workdir / 'itx-chart.png'}" in out
    check_png((workdir / "itx-chart.png").read_bytes())
    check_database(workdir / "itx.db")

    again = cli("demo", "--workdir", str(workdir))
    assert again.returncode == 2
    assert "exists already" in again.stderr


def test_demo_notify_delivers_each_alert_once(cli: Cli, tmp_path: Path, loopback: Loopback) -> None:
    url = loopback.hook("/demo-hook").replace("json://", f"json://demo:{SECRET}@")
    workdir = tmp_path / "demo"
    result = cli("demo", "--notify", url, "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert f"alerts go to: json://demo:****@127.0.0.1:{loopback.port}/demo-hook" in result.stdout
    raised = check_database(workdir / "itx.db")
    posts = loopback.posts["/demo-hook"]
    assert sorted(p["title"] for p in posts) == sorted(title for _, _, title, _ in raised)
    assert len({p["title"] for p in posts}) == len(posts) == 12  # each exactly once
    with_chart = [p["title"] for p in posts if p["attachments"]]
    assert len(with_chart) == 4 and all(t.startswith("Record:") for t in with_chart)
    assert result.stdout.count(f"sent -> json://demo:****@127.0.0.1:{loopback.port}") == 12
    for stored in workdir.glob("itx.db*"):  # the database and any WAL file
        assert SECRET.encode() not in stored.read_bytes()


def test_demo_rejects_a_bad_notify_url(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "demo",
        "--notify",
        f"nosuchscheme://user:{SECRET}@example.org/x",
        "--workdir",
        str(tmp_path / "d"),
    )
    assert result.returncode == 2
    assert "not a valid Apprise URL" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert not (tmp_path / "d" / "itx.db").exists()
