"""Alerts end to end: monthly replays through the real CLI, Apprise json:// and SMTP on loopback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Cli, Loopback, Mailbox, build_once, make_cli, write_config
from sbp_workbook import build_dt, published_ict

from itx_scraper.core.periods import Month

PATH = "/ecodata/dt.xls"
TOKEN = "S3cr3tT0kenXYZ"


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def history_csv(path: Path, upto: Month) -> Path:
    lines = ["period,usd_million,source_url"]
    lines += [
        f"{m},{v},https://example.org/{m}" for m, v in sorted(published_ict().items()) if m <= upto
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def release_day(month: Month) -> str:
    """SBP publishes about 20 days after the month ends."""
    following = month.shift(1)
    return f"{following.year:04d}-{following.month:02d}-20T10:00:00"


class Replay:
    """Serve one monthly release after another and run the CLI for each."""

    def __init__(
        self,
        loopback: Loopback,
        cli: Cli,
        ict: Mapping[Month, float],
        fytd: Mapping[tuple[int, int], float] | None = None,
    ) -> None:
        self.loopback, self.cli, self.ict, self.fytd = loopback, cli, dict(ict), fytd

    def publish(self, month: Month, *, expect: int = 0, **overrides: float) -> str:
        values = {**self.ict}
        for key, value in overrides.items():
            values[Month.parse(key.replace("_", "-"))] = value
        self.ict = values
        self.loopback.serve(PATH, build_dt(month, values, fytd=self.fytd), etag=f'"{month}"')
        result = self.cli("run", env={"ITX_NOW": release_day(month)})
        assert result.returncode == expect, result.stdout + result.stderr
        return result.stdout


def posted(loopback: Loopback, path: str = "/hook") -> list[dict]:
    return loopback.posts.get(path, [])


def titles(messages: Iterable[dict]) -> list[str]:
    return [m["title"] for m in messages]


def fy24_replay(folder: Path, loopback: Loopback, cli: Cli) -> Replay:
    """History imported up to Oct-2023; a webhook receives every alert."""
    write_config(
        folder / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n'
        f'[notify]\nurls = ["{loopback.hook("/hook")}"]\n',
    )
    assert (
        cli("import-history", str(history_csv(folder / "h.csv", Month(2023, 10)))).returncode == 0
    )
    # SBP's own prior-year FYTD for Jul-Apr FY23 is 2,135 (a later vintage than the months).
    return Replay(loopback, cli, published_ict(), fytd={(2023, 10): 2135.0})


@pytest.fixture
def fy24(tmp_path: Path, loopback: Loopback, cli: Cli) -> Replay:
    return fy24_replay(tmp_path, loopback, cli)


@dataclass
class Step:
    """One CLI run of the FY24 timeline and the webhook posts it caused."""

    returncode: int
    stdout: str
    posts: list[dict]


@dataclass
class Timeline:
    db: Path
    steps: dict[str, Step]
    after_june: dict[str, int]  # alerts stored, undelivered and posted before July


FY24_MONTHS = [Month(2023, 12), *(Month(2024, m) for m in range(1, 7))]


def replay_fy24(folder: Path) -> dict:
    """History to Oct-2023, then November (first as a dry run, then for real, then twice
    unchanged), December to June, and July: what each step printed and posted."""
    with Loopback(content_type="application/vnd.ms-excel") as loopback:
        cli = make_cli(folder)
        replay = fy24_replay(folder, loopback, cli)
        steps: dict[str, dict] = {}

        def step(label: str, now: str, *args: str) -> None:
            before = len(posted(loopback))
            result = cli("run", *args, env={"ITX_NOW": now})
            steps[label] = {
                "returncode": result.returncode,
                "stdout": result.stdout,
                "posts": posted(loopback)[before:],
            }

        november = build_dt(Month(2023, 11), replay.ict, fytd=replay.fytd)
        loopback.serve(PATH, november, etag='"2023-11"')
        step("dry run", "2023-12-20T10:00:00", "--dry-run")
        step("2023-11", "2023-12-21T10:00:00")  # 304; delivers what the dry run only showed
        step("unchanged", "2023-12-22T10:00:00")  # 304 again
        loopback.serve(PATH, november)  # the same bytes, no ETag
        step("same bytes", "2023-12-23T10:00:00")
        db = folder / "itx.db"
        for month in [*FY24_MONTHS, Month(2024, 7)]:
            if month == Month(2024, 7):
                after_june = {
                    "alerts": rows(db, "SELECT count(*) FROM alerts")[0][0],
                    "undelivered": rows(
                        db, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL"
                    )[0][0],
                    "posts": len(posted(loopback)),
                }
            before = len(posted(loopback))
            stdout = replay.publish(month)
            steps[str(month)] = {
                "returncode": 0,
                "stdout": stdout,
                "posts": posted(loopback)[before:],
            }
    return {"db": str(db), "steps": steps, "after_june": after_june}


@pytest.fixture
def fy24_timeline(tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    """The FY24 replay, run once per session for the three tests that inspect it."""
    built = build_once(tmp_path_factory, "fy24-timeline", replay_fy24)
    steps = {label: Step(**step) for label, step in built["steps"].items()}
    return Timeline(Path(built["db"]), steps, built["after_june"])


def test_dry_run_renders_without_sending(fy24_timeline: Timeline) -> None:
    dry = fy24_timeline.steps["dry run"]
    assert dry.returncode == 0
    assert "Pakistan's IT exports: $259 million in November 2023" in dry.stdout
    assert dry.posts == []
    real = fy24_timeline.steps["2023-11"]
    assert real.returncode == 0
    assert titles(real.posts) == ["Pakistan's IT exports: $259 million in November 2023"]


def test_same_release_twice_sends_nothing_more(fy24_timeline: Timeline) -> None:
    assert len(fy24_timeline.steps["2023-11"].posts) == 1
    for label in ("unchanged", "same bytes"):  # a 304, then the same bytes without ETag
        assert fy24_timeline.steps[label].returncode == 0
        assert fy24_timeline.steps[label].posts == []


def test_fy24_records_name_the_previous_record(fy24_timeline: Timeline) -> None:
    records: dict[str, dict] = {}
    for month in [Month(2023, 11), *FY24_MONTHS]:
        new = fy24_timeline.steps[str(month)].posts
        kinds = [m["title"].split(":")[0] for m in new]
        assert any(m["title"].startswith("Pakistan's IT exports:") for m in new), (month, kinds)
        for message in new:
            if message["title"].startswith("Record"):
                records[str(month)] = message
    assert sorted(records) == ["2023-12", "2024-03", "2024-04", "2024-05"]
    expected_previous = {
        "2023-12": "previous record $260 million in March 2022",
        "2024-03": "previous record $303 million in December 2023",
        "2024-04": "previous record $306 million in March 2024",
        "2024-05": "previous record $310 million in April 2024",
    }
    for month, text in expected_previous.items():
        assert text in records[month]["message"], records[month]["message"]
    april = records["2024-04"]["message"]
    assert "set a record with $310 million in April 2024" in april
    assert "July–April FY24: $2,593 million vs $2,135 million, +$458 million (+21%)" in april
    db = fy24_timeline.db
    assert rows(db, "SELECT count(*) FROM alerts WHERE kind = 'record' AND period = '2023-11'") == [
        (0,)
    ]
    # Every alert up to June was delivered exactly once and is marked so.
    assert fy24_timeline.after_june["undelivered"] == 0
    assert fy24_timeline.after_june["posts"] == fy24_timeline.after_june["alerts"]

    # Roll-over: the July release opens FY25.
    july = [
        m for m in fy24_timeline.steps["2024-07"].posts if m["title"].startswith("Pakistan's IT")
    ]
    assert len(july) == 1
    assert "July FY25: $286 million vs $214 million, +$72 million (+34%)" in july[0]["message"]


def test_webhook_outage_is_retried_and_delivered_once(
    fy24: Replay, loopback: Loopback, cli: Cli, tmp_path: Path
) -> None:
    loopback.hook_status["/hook"] = 500
    out = fy24.publish(Month(2023, 12), expect=1)
    assert posted(loopback) == []
    db = tmp_path / "itx.db"
    pending = rows(db, "SELECT status, attempts, last_error FROM deliveries")
    assert pending and all(s == "pending" and a == 1 and e for s, a, e in pending)
    assert rows(db, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL")[0][0] == len(pending)
    assert "Record" not in out  # nothing printed as if delivered

    del loopback.hook_status["/hook"]
    result = cli("run", env={"ITX_NOW": "2024-01-21T10:00:00"})
    assert result.returncode == 0, result.stderr
    assert sorted(titles(posted(loopback))) == sorted(
        t for (t,) in rows(db, "SELECT title FROM alerts")
    )
    assert len(posted(loopback)) == len(pending)
    assert cli("run", env={"ITX_NOW": "2024-01-22T10:00:00"}).returncode == 0
    assert len(posted(loopback)) == len(pending)  # never twice
    assert rows(db, "SELECT DISTINCT status, attempts FROM deliveries") == [("sent", 2)]


def test_delivery_gives_up_and_raises_an_ops_alert(
    fy24: Replay, loopback: Loopback, cli: Cli, tmp_path: Path
) -> None:
    config = tmp_path / "itx.toml"
    config.write_text(
        config.read_text().replace(
            "[notify]", "[alerts]\nmax_attempts = 2\nbackoff_seconds = 1\n[notify]"
        )
    )
    loopback.hook_status["/hook"] = 503
    fy24.publish(Month(2023, 11), expect=1)
    result = cli("run", env={"ITX_NOW": "2023-12-21T10:00:00"})
    assert result.returncode == 1
    db = tmp_path / "itx.db"
    assert rows(db, "SELECT status FROM deliveries WHERE alert_id = 1") == [("given_up",)]
    ops = rows(db, "SELECT kind, series, delivered_at FROM alerts WHERE route = 'ops'")
    assert [(k, s) for k, s, _ in ops] == [("source_error", "delivery")]
    # The new_month alert stays undelivered: a given-up destination does not count.
    assert rows(db, "SELECT delivered_at FROM alerts WHERE id = 1") == [(None,)]


def test_revision_revokes_a_record(fy24: Replay, loopback: Loopback, tmp_path: Path) -> None:
    for month in (Month(2023, 11), Month(2023, 12)):
        fy24.publish(month)
    before = len(posted(loopback))
    fy24.publish(Month(2024, 1), **{"2023_12": 255.0})  # Dec-23 revised below Mar-22 (260)
    new = posted(loopback)[before:]
    texts = "\n".join(m["title"] + "\n" + m["message"] for m in new)
    assert "Revised: Pakistan's IT exports for December 2023 $303 million → $255 million" in texts
    assert "No longer a record: December 2023" in texts
    assert "The record is now **$265 million in January 2024**" in texts
    db = tmp_path / "itx.db"
    assert rows(
        db,
        "SELECT kind, period FROM alerts WHERE kind IN ('revision', 'record_revoked') ORDER BY id",
    ) == [("revision", "2023-12"), ("record_revoked", "2023-12")]


def test_revision_that_creates_a_record(fy24: Replay, loopback: Loopback, tmp_path: Path) -> None:
    fy24.publish(Month(2023, 11))  # 259, not a record (Mar-22 was 260)
    fy24.publish(Month(2023, 12), **{"2023_11": 270.0})  # Nov-23 revised to 270; Dec 303 record
    kinds = rows(tmp_path / "itx.db", "SELECT kind, period FROM alerts ORDER BY id")
    assert ("revision", "2023-11") in kinds
    assert ("record", "2023-11") in kinds
    assert ("record", "2023-12") in kinds


def test_thresholds_and_projection(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n'
        f'[notify]\nurls = ["{loopback.hook("/hook")}"]\n'
        "[alerts]\nthresholds = [400]\nprojection_targets = [4500]\n",
    )
    assert (
        cli("import-history", str(history_csv(tmp_path / "h.csv", Month(2025, 11)))).returncode == 0
    )
    replay = Replay(loopback, cli, published_ict())
    replay.publish(Month(2025, 12))  # 437: first month above 400; Jul-Dec 2236 -> 4472/yr
    replay.publish(Month(2026, 1))  # 373.53
    kinds = rows(tmp_path / "itx.db", "SELECT kind, period FROM alerts ORDER BY id")
    assert ("threshold", "2025-12") in kinds
    assert not any(k == "projection" for k, _ in kinds)
    replay.publish(Month(2026, 2))  # Jul-Feb 2974.29 -> 4461/yr
    replay.publish(Month(2026, 3))  # Jul-Mar 3387.92 -> 4517/yr: crosses 4,500
    replay.publish(Month(2026, 4))  # still above: no second alert for FY26
    kinds = rows(tmp_path / "itx.db", "SELECT kind, period FROM alerts ORDER BY id")
    assert [p for k, p in kinds if k == "projection"] == ["2026-03"]
    assert [p for k, p in kinds if k == "threshold"] == ["2025-12"]


def test_fresh_database_with_bundled_history_sends_no_storm(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n'
        f'[notify]\nurls = ["{loopback.hook("/hook")}"]\n',
    )
    ict = {**published_ict(), Month(2026, 8): 431.0}
    loopback.serve(PATH, build_dt(Month(2026, 7), ict))
    assert cli("run").returncode == 0
    assert posted(loopback) == []
    assert rows(tmp_path / "itx.db", "SELECT count(*) FROM alerts") == [(0,)]
    loopback.serve(PATH, build_dt(Month(2026, 8), ict))
    assert cli("run").returncode == 0
    assert [m["title"] for m in posted(loopback)] == [
        "Pakistan's IT exports: $431 million in August 2026"
    ]


def test_no_destination_prints_alerts_and_marks_them(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n',
    )
    assert (
        cli("import-history", str(history_csv(tmp_path / "h.csv", Month(2023, 11)))).returncode == 0
    )
    loopback.serve(PATH, build_dt(Month(2023, 12), published_ict()))
    result = cli("run")
    assert result.returncode == 0
    assert "[record] Record: Pakistan's IT exports $303 million in December 2023" in result.stdout
    assert "[new_month]" in result.stdout
    db = tmp_path / "itx.db"
    assert rows(db, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL") == [(0,)]
    again = cli("run")
    assert "[record]" not in again.stdout
    listed = cli("alerts", process=True)  # once as a real process
    assert "record 2023-12 delivered" in listed.stdout


def test_tags_route_records_and_email_gets_plain_text(
    tmp_path: Path, loopback: Loopback, cli: Cli, smtp: Mailbox
) -> None:
    apprise_yml = tmp_path / "apprise.yml"
    apprise_yml.write_text(
        "urls:\n"
        f'  - "{loopback.hook("/records")}":\n      tag: record\n'
        f'  - "{smtp.url()}":\n      tag: data, ops\n'
    )
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n'
        f'[notify]\nconfig = "apprise.yml"\nurls = ["{loopback.hook("/everything")}"]\n',
    )
    assert (
        cli("import-history", str(history_csv(tmp_path / "h.csv", Month(2023, 11)))).returncode == 0
    )
    loopback.serve(PATH, build_dt(Month(2023, 12), published_ict()))
    result = cli("run")
    assert result.returncode == 0, result.stderr
    assert titles(posted(loopback, "/records")) == [
        "Record: Pakistan's IT exports $303 million in December 2023"
    ]
    assert sorted(titles(posted(loopback, "/everything"))) == sorted(
        [
            "Record: Pakistan's IT exports $303 million in December 2023",
            "Pakistan's IT exports: $303 million in December 2023",
        ]
    )
    assert len(smtp.messages) == 1
    mail = smtp.messages[0].content.decode()
    assert "Subject: Pakistan's IT exports: $303 million in December 2023" in mail
    assert "text/plain" in mail and "**" not in mail


def test_notify_test_and_secrets_never_leak(tmp_path: Path, loopback: Loopback, cli: Cli) -> None:
    secret_url = f"json://itx:{TOKEN}@127.0.0.1:{loopback.port}/secret-hook"
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n',
    )
    env = {"ITX_NOTIFY": secret_url}
    ok = cli("notify-test", env=env, process=True)  # once as a real process
    assert ok.returncode == 0
    assert ok.stdout.startswith("ok ") and "itx:****@127.0.0.1" in ok.stdout
    assert len(posted(loopback, "/secret-hook")) == 1
    assert cli("notify-test", "--tag", "record", env=env).returncode == 0

    # A failing delivery: the error text must not carry the token either.
    loopback.hook_status["/secret-hook"] = 500
    assert (
        cli("import-history", str(history_csv(tmp_path / "h.csv", Month(2023, 11)))).returncode == 0
    )
    loopback.serve(PATH, build_dt(Month(2023, 12), published_ict()))
    failed = cli("run", "-vv", env=env)
    assert failed.returncode == 1
    listed = cli("alerts", env=env)
    bad = cli("notify-test", env=env)
    assert bad.returncode == 1 and "FAILED" in bad.stdout
    outputs = [ok, failed, listed, bad]
    for output in outputs:
        assert TOKEN not in output.stdout and TOKEN not in output.stderr
    for path in tmp_path.glob("itx.db*"):
        assert TOKEN.encode() not in path.read_bytes(), path
    assert "****" in listed.stdout


def test_invalid_notify_url_is_a_usage_error(tmp_path: Path, cli: Cli) -> None:
    result = cli("notify-test", env={"ITX_NOTIFY": f"nosuchscheme://{TOKEN}@host"})
    assert result.returncode == 2
    assert TOKEN not in result.stderr


def test_broken_apprise_file_is_a_configuration_error(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "apprise.yml").write_text("urls: [this is: not: valid\n")
    write_config(
        tmp_path / "itx.toml", '[history]\nbaseline = false\n[notify]\nconfig = "apprise.yml"\n'
    )
    result = cli("run", process=False)  # stops before crawling: in-process is enough
    assert result.returncode == 2
    assert "defines no usable URL" in result.stderr


def test_a_removed_destination_gives_up_aloud(
    fy24: Replay, loopback: Loopback, cli: Cli, tmp_path: Path
) -> None:
    """A destination whose URL left the config (removed, or its token rotated) while a
    delivery to it was pending: given up with one warning and an ops alert, never silently."""
    config = tmp_path / "itx.toml"
    old, other = loopback.hook("/hook"), loopback.hook("/other")
    config.write_text(config.read_text().replace(f'"{old}"', f'"{old}", "{other}"'))
    loopback.hook_status["/hook"] = 503
    fy24.publish(Month(2023, 11), expect=1)  # /other has it; /hook's delivery stays pending
    assert len(posted(loopback, "/other")) == 1
    config.write_text(config.read_text().replace(f'"{old}", ', ""))
    result = cli("run", env={"ITX_NOW": release_day(Month(2023, 11))})
    db = tmp_path / "itx.db"
    assert rows(db, "SELECT status, last_error FROM deliveries WHERE target LIKE '%/hook?%'") == [
        ("given_up", "destination no longer configured")
    ]
    assert "is no longer configured; given up" in result.stderr
    assert "Traceback" not in result.stderr
    told = [t for t in titles(posted(loopback, "/other")) if "given up" in t]
    assert len(told) == 1 and "/hook" in told[0], titles(posted(loopback, "/other"))
    assert rows(db, "SELECT count(*) FROM alerts WHERE series = 'delivery'") == [(1,)]
    assert result.returncode == 0, result.stderr  # the operator's own change, said aloud


def test_a_projection_alert_of_one_series_does_not_mute_another(
    tmp_path: Path, loopback: Loopback, cli: Cli
) -> None:
    """Projection alerts dedupe per series: series 9 having crossed FY26's 3,000 must not
    stop 9.2 (computer services) from saying it crossed the same target."""
    write_config(
        tmp_path / "itx.toml",
        f'[sources.sbp_ebops]\nurl = "{loopback.url(PATH)}"\n[history]\nbaseline = false\n'
        f'[notify]\nurls = ["{loopback.hook("/hook")}"]\n'
        '[alerts]\nseries = ["9", "9.2"]\nprojection_targets = [3000]\n',
    )
    assert (
        cli("import-history", str(history_csv(tmp_path / "h.csv", Month(2025, 11)))).returncode == 0
    )
    db = tmp_path / "itx.db"
    with sqlite3.connect(db) as conn:  # series 9's alert for this target, raised earlier
        conn.execute(
            """INSERT INTO alerts (dedup_key, kind, route, series, period, title, body,
                   markdown, facts, created_at)
               VALUES ('projection|9|2025-08||FY26:3000', 'projection', 'records', '9',
                   '2025-08', 't', 'b', 'm', '{"target_key": "FY26:3000"}',
                   '2025-09-20T10:00:00+00:00')"""
        )
    Replay(loopback, cli, published_ict()).publish(Month(2025, 12))
    raised = rows(
        db,
        """SELECT series, period FROM alerts WHERE kind = 'projection'
           AND json_extract(facts, '$.target_key') = 'FY26:3000' ORDER BY id""",
    )
    assert raised == [("9", "2025-08"), ("9.2", "2025-12")]
