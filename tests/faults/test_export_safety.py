"""``export --output`` never destroys what is at the path (issue 13 §9).

Before, the database itself, a symlink or a device node was replaced by a rename, exit 0.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import migrated_store, write_config
from faultkit import report
from sbp_workbook import published_ict

from itx_scraper.cli import cli
from itx_scraper.ingest import import_history


@pytest.fixture
def db(tmp_path: Path) -> Path:
    lines = ["period,usd_million"]
    lines += [f"{m},{v}" for m, v in sorted(published_ict().items()) if str(m) <= "2024-04"]
    (tmp_path / "history.csv").write_text("\n".join(lines) + "\n")
    store = migrated_store(tmp_path / "itx.db")
    try:
        import_history(store, tmp_path / "history.csv")
    finally:
        store.close()
    write_config(tmp_path / "itx.toml", "[history]\nbaseline = false\n")
    return tmp_path / "itx.db"


def export(tmp_path: Path, output: str | Path, *more: str) -> Result:
    env = {"ITX_DB": str(tmp_path / "itx.db"), "ITX_CONFIG": str(tmp_path / "itx.toml")}
    return CliRunner().invoke(cli, ["export", "--output", str(output), *more], env=env)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(result: Result, *words: str) -> None:
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    for word in words:
        assert word in line, line


@pytest.mark.parametrize("name", ["itx.db", "itx.db-wal", "itx.db-shm", "itx.db-journal"])
def test_the_database_and_its_files_are_refused(db: Path, tmp_path: Path, name: str) -> None:
    before = digest(db)
    companion = tmp_path / name
    result = export(tmp_path, companion)
    assert_refused(result, "refusing to write the export over the database")
    assert digest(db) == before
    # SQLite's own -wal/-shm may exist (the export read the database); no export is in them.
    assert not companion.exists() or b"series,flow,period" not in companion.read_bytes()
    assert not list(tmp_path.glob(".*.partial"))
    report("export", case=f"--output {name}", exit=1, destroyed=0)


def test_the_database_by_a_relative_path_or_a_hard_link_is_refused(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest(db)
    monkeypatch.chdir(tmp_path)
    assert_refused(export(tmp_path, "itx.db", "--force"), "over the database")
    os.link(db, tmp_path / "alias.db")
    assert_refused(export(tmp_path, tmp_path / "alias.db", "--force"), "over the database")
    assert digest(db) == before
    report("export", case="the database by a relative path and a hard link", exit=1, destroyed=0)


@pytest.mark.parametrize("target", ["database", "file", "nowhere"])
def test_a_symlink_is_refused(db: Path, tmp_path: Path, target: str) -> None:
    pointed = {"database": db, "file": tmp_path / "notes.txt", "nowhere": tmp_path / "gone"}[target]
    if target == "file":
        pointed.write_text("keep me\n")
    link = tmp_path / "link.csv"
    link.symlink_to(pointed)
    before = digest(db)
    # A link to the database is refused as the database itself; any other as a link.
    assert_refused(
        export(tmp_path, link, "--force"), "database" if target == "database" else "symbolic link"
    )
    assert link.is_symlink() and link.readlink() == pointed
    assert digest(db) == before
    if target == "file":
        assert pointed.read_text() == "keep me\n"
    report("export", case=f"a symlink to {target}", exit=1, destroyed=0)


def test_a_fifo_and_a_device_are_refused(db: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert_refused(export(tmp_path, fifo, "--force"), "not a regular file")
    assert fifo.exists() and not fifo.is_file()
    assert_refused(export(tmp_path, "/dev/null", "--force"), "not a regular file")
    assert Path("/dev/null").is_char_device()
    report("export", case="a FIFO and a device node", exit=1, destroyed=0)


def test_an_existing_file_is_replaced_only_with_force(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "ict.csv"
    out.write_text("my own notes\n")
    assert_refused(export(tmp_path, out), "exists; give --force to replace it")
    assert out.read_text() == "my own notes\n"
    forced = export(tmp_path, out, "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_text().startswith("series,flow,period,")
    fresh = export(tmp_path, tmp_path / "new.csv")
    assert fresh.exit_code == 0, fresh.output
    assert (tmp_path / "new.csv").read_text() == out.read_text()
    assert not list(tmp_path.glob(".*.partial"))
    report("export", case="an existing file without --force", exit=1, destroyed=0)


def test_the_database_files_by_a_dotted_or_linked_folder_are_refused(
    db: Path, tmp_path: Path
) -> None:
    """``folder/../folder/itx.db-wal`` and ``linked-folder/itx.db-wal`` are the live WAL:
    writing the export there corrupted the database (a reader saw 'malformed')."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "linked").symlink_to(tmp_path, target_is_directory=True)
    before = digest(db)
    for output in (sub / ".." / "itx.db-wal", tmp_path / "linked" / "itx.db-wal"):
        assert_refused(export(tmp_path, output, "--force"), "over the database")
    assert_refused(export(tmp_path, tmp_path / "linked" / "itx.db", "--force"), "over the database")
    assert digest(db) == before
    assert (
        not (tmp_path / "itx.db-wal").exists()
        or b"series,flow" not in (tmp_path / "itx.db-wal").read_bytes()
    )
    report("export", case="the WAL by a dotted path and a symlinked folder", exit=1, destroyed=0)
