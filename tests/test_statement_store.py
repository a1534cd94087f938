"""Full-text search over releases, statement versions, and the source options in the config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import migrated_store

from itx_scraper.cli import cli
from itx_scraper.core import config
from itx_scraper.core.errors import ConfigError
from itx_scraper.store import NewRelease, Store, StoreError, fts_query


def release(
    source: str, key: str | None, title: str | None, text: str | None, body: bytes
) -> NewRelease:
    return NewRelease(
        source=source,
        url=f"https://example.org/{key}",
        body=body,
        retrieved_at="2024-05-17T10:00:00+00:00",
        parse_status="ok",
        doc_key=key,
        title=title,
        text=text,
        published_at="2024-05-17",
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = migrated_store(tmp_path / "itx.db")
    with db.transaction():
        db.add_release(release("sbp_ebops", None, None, None, b"workbook"))
        db.add_release(
            release(
                "moitt",
                "moitt:a",
                "IT exports hit all-time high",
                "Pakistan's IT exports reached $310 million in April 2024.",
                b"a1",
            )
        )
        db.add_release(
            release(
                "pid",
                "pid:1",
                "Wheat procurement",
                "Rice exports of Pakistan rose; IT was not mentioned.",
                b"p1",
            )
        )
        db.add_release(
            release(
                "moitt",
                "moitt:a",
                "IT exports hit all-time high",
                "Pakistan's IT exports reached $311 million in April 2024.",
                b"a2",
            )
        )
    return db


def test_search_finds_statements_with_versions_and_snippets(store: Store) -> None:
    hits = store.search("all-time high")
    assert [(h["source"], h["doc_key"], h["version"]) for h in hits] == [
        ("moitt", "moitt:a", 2),
        ("moitt", "moitt:a", 1),
    ]
    assert "$311 million in April 2024" in hits[0]["snippet"]  # the newest text
    assert store.search("April")[0]["snippet"].count("[April]") == 1  # matches are marked
    assert [h["source"] for h in store.search("rice exports")] == ["pid"]
    assert store.search("telecom") == []
    assert [h["release_id"] for h in store.search("$311 million")] == [4]


def test_search_index_follows_updates(store: Store) -> None:
    with store.transaction():
        store.conn.execute("UPDATE releases SET text = 'Textile exports fell.' WHERE id = 3")
    assert store.search("rice") == []
    assert [h["release_id"] for h in store.search("textile")] == [3]


def test_search_query_syntax(store: Store) -> None:
    assert fts_query('IT-exports "record" OR') == '"IT" "exports" "record" "OR"'
    assert [h["release_id"] for h in store.search("export*", raw=True)][:1] == [4]
    with pytest.raises(StoreError, match="invalid search query"):
        store.search('"unbalanced', raw=True)
    with pytest.raises(StoreError, match="nothing to search"):
        store.search(" -- ")


def test_document_versions(store: Store) -> None:
    versions = store.document_versions("moitt", "moitt:a")
    assert [v["id"] for v in versions] == [2, 4]


def test_search_command(store: Store, tmp_path: Path) -> None:
    store.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["search", "--db", str(tmp_path / "itx.db"), "IT exports"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("#4  2024-05-17  moitt  v2  IT exports hit all-time high\n")
    assert "https://example.org/moitt:a" in result.stdout
    empty = runner.invoke(cli, ["search", "--db", str(tmp_path / "itx.db"), "broadband"])
    assert empty.exit_code == 0 and "no statement matches 'broadband'" in empty.stdout
    bad = runner.invoke(cli, ["search", "--db", str(tmp_path / "itx.db"), "--raw", "AND"])
    assert bad.exit_code == 1 and "invalid search query" in bad.stderr


# -- source options --------------------------------------------------------------------------


def load(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / "itx.toml"
    path.write_text(text)
    return config.load(path)


def test_default_sources_and_press_waits_for_feeds(tmp_path: Path) -> None:
    cfg = load(tmp_path, "")
    assert {"sbp_ebops", "sbp_headline", "pid"} <= set(cfg.run_sources)
    # Guessed list URLs (moitt, pseb) and press wait until a user switches them on.
    assert not {"moitt", "pseb", "press"} & set(cfg.run_sources)
    assert "moitt" in load(tmp_path, "[sources.moitt]\nenabled = true\n").run_sources
    cfg = load(tmp_path, '[sources.press]\nfeeds = ["https://www.brecorder.com/feeds/business"]\n')
    assert "press" in cfg.run_sources
    assert cfg.sources["press"].options == {
        "feeds": ["https://www.brecorder.com/feeds/business"],
        "depth": 30,
        "follow": True,
    }
    cfg = load(tmp_path, '[sources.press]\nfeeds = ["https://x.pk/feed"]\nenabled = false\n')
    assert "press" not in cfg.run_sources


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[sources.press]\nenabled = true\n", "sets no feeds"),
        ("[sources.pid]\ndepth = 'ten'\n", "[sources.pid] depth must be an int (got 'ten')"),
        ("[sources.pid]\ndepth = -1\n", "[sources.pid] depth must be an int >= 1 (got -1)"),
        ("[sources.pid]\ndepth = 1000000000000\n", "depth must be an int <= 1000"),
        ("[sources.press]\nfeeds = 'https://x.pk/feed'\nfollow = 1\n", "feeds must be an array"),
        ("[sources.press]\nfeeds = ['https://x.pk/feed']\nfollow = 1\n", "follow must be a bool"),
        ("[sources.moitt]\npages = [1, 2]\n", "pages[0] must be a str (got 1)"),
    ],
)
def test_bad_source_options_are_config_errors(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        load(tmp_path, text)


def test_unknown_source_option_is_an_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, "[sources.pid]\ndepht = 5\n")
    assert str(raised.value) == (
        "[sources.pid] has no key 'depht'; did you mean `depth`? (it reads: url, enabled,"
        " start_id, depth)"
    )
