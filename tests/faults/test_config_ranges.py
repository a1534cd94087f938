"""Every number of issue 13 §8 is refused by the real CLI: one line naming key and range, exit 2.

Before, ``delay = 1e308`` or ``inf`` and ``retries = 1000000`` never finished, ``max_bytes = 0``
turned the size cap off, ``timeout = -1`` or ``nan`` raised an AssertionError, ``thresholds =
["abc"]`` crashed the pipeline, a ``depth`` of 10**12 raised a MemoryError (exit 0), and a TOML
nested 5,000 deep raised a RecursionError.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import HTTP_TIMEOUT, Cli, write_config
from faultkit import report


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[http]\ndelay = 1e308\n", ("[http] delay", "<= 3600")),
        ("[http]\ndelay = inf\n", ("[http] delay", "<= 3600")),
        ("[http]\ndelay = nan\n", ("[http] delay", ">= 0")),
        ("[http]\ndelay = -0.5\n", ("[http] delay", ">= 0")),
        ("[http]\nretries = 1000000\n", ("[http] retries", "<= 10")),
        ("[http]\nmax_bytes = 0\n", ("[http] max_bytes", ">= 1024")),
        ("[http]\nmax_bytes = 1e12\n", ("[http] max_bytes", "int")),
        ("[http]\ntimeout = -1\n", ("[http] timeout", ">= 1")),
        ("[http]\ntimeout = nan\n", ("[http] timeout", ">= 1")),
        ('[alerts]\nthresholds = ["abc"]\n', ("[alerts] thresholds[0]", "float")),
        ("[alerts]\nthresholds = [-5]\n", ("[alerts] thresholds[0]", ">= 0")),
        ("[sources.pseb]\ndepth = 1000000000000\n", ("[sources.pseb] depth", "<= 1000")),
        ("[sources.pid]\ndepth = 0\n", ("[sources.pid] depth", ">= 1")),
        ("[sources.moitt]\ndepth = 2.5\n", ("[sources.moitt] depth", "int")),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", ("invalid TOML", "nested too deeply")),
        ("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", ("invalid TOML", "nested too deeply")),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_a_bad_number_is_one_line_and_exit_2(
    tmp_path: Path, cli: Cli, toml: str, words: tuple[str, ...]
) -> None:
    (tmp_path / "itx.toml").write_text(toml)
    result = cli("run")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("itx-scraper: configuration error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in result.stderr and not result.stdout
    assert not (tmp_path / "itx.db").exists()  # refused before anything was opened
    report("config", case=words[0], exit=result.returncode)


def test_the_edges_of_each_range_are_accepted(tmp_path: Path, cli: Cli) -> None:
    """The refusals above are about the values, not the keys: the limits themselves pass."""
    write_config(
        tmp_path / "itx.toml",
        "[alerts]\nthresholds = [0, 500.5]\n[health]\nfailures = 1\n"
        "[sources.pseb]\ndepth = 1000\nenabled = false\n",
    )
    text = (tmp_path / "itx.toml").read_text()
    text = text.replace("delay = 0.0", "delay = 3600").replace(
        f"timeout = {HTTP_TIMEOUT}", "timeout = 1"
    )
    (tmp_path / "itx.toml").write_text(text.replace("retries = 0", "retries = 10"))
    result = cli("status")  # reads the config fully; no database needed for the check
    assert "configuration error" not in result.stderr, result.stderr


def bad_url(key: str, value: str, source: str = "sbp_ebops", url: str = "") -> str:
    """A config whose only source has a bad URL option (the others never run, were it read)."""
    start = f'url = "{url}"\n' if url else ""
    return f'[run]\nsources = ["{source}"]\n[sources.{source}]\n{start}{key} = {value}\n'


def bad_watch(url: str) -> str:
    return (
        '[run]\nsources = ["remit"]\n'
        f'[watches.remit]\nseries = "Workers\' Remittances"\nurl = "{url}"\n'
    )


LOCAL = "http://127.0.0.1:9"  # the discard port: nothing answers there


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        (bad_url("url", '"http://[x/ecodata/dt.xls"'), ("[sources.sbp_ebops] url", "not a URL")),
        (bad_url("url", '"http://evil\uff0f.x/dt.xls"'), ("[sources.sbp_ebops] url", "NFKC")),
        (bad_url("url", '"http://127.0.0.1:99999/dt.xls"'), ("[sources.sbp_ebops] url", "Port")),
        (bad_url("url", '"http://127.0.0.1:x/dt.xls"'), ("[sources.sbp_ebops] url", "Port")),
        (bad_url("url", '"http://127.0.0.1:0/dt.xls"'), ("[sources.sbp_ebops] url", "port 0")),
        (
            bad_url("url", f'"http://u@{LOCAL[7:]}/dt.xls"'),
            ("[sources.sbp_ebops] url", "user info"),
        ),
        (bad_watch("http://[x/a.xls"), ("[watches.remit] url", "not a URL")),
        (bad_watch(f"http://u:p@{LOCAL[7:]}/a.xls"), ("[watches.remit] url", "user info")),
        (
            bad_url("fallback_url", '"file:///etc/passwd"', "sbp_headline", f"{LOCAL}/a.pdf"),
            ("[sources.sbp_headline] fallback_url", "scheme 'file'"),
        ),
        (
            bad_url("feeds", '["www.dawn.com/feeds/business"]', "press"),
            ("[sources.press] feeds[0]", "not an absolute http(s) URL"),
        ),
        (
            bad_url("feeds", f'["{LOCAL}/feeds/business", "http://[x/"]', "press"),
            ("[sources.press] feeds[1]", "not a URL"),
        ),
        (
            bad_url("pages", '["ftp://127.0.0.1:9/News"]', "moitt", f"{LOCAL}/News"),
            ("[sources.moitt] pages[0]", "scheme 'ftp'"),
        ),
    ],
    ids=lambda value: value.split("\n")[-2][:40] if isinstance(value, str) else None,
)
def test_a_bad_url_is_one_line_and_exit_2(
    tmp_path: Path, cli: Cli, toml: str, words: tuple[str, ...]
) -> None:
    """Such URLs once passed the config: the run then ended in a traceback (an IPv6 host that
    never closes, a port out of range, a feed without a scheme), or every fetch was refused as
    off-site (user info), or a ``file:`` fallback waited for the crawl to refuse it."""
    (tmp_path / "itx.toml").write_text(toml, encoding="utf-8")
    result = cli("run")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("itx-scraper: configuration error: "), lines[0]
    assert "must be an absolute http(s) URL" in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in result.stderr and not result.stdout
    assert not (tmp_path / "itx.db").exists()
    report("config", case=words[0] + " URL", exit=result.returncode)
