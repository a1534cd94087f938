"""Datasette metadata: the shipped file, plus one canned query per configured watch."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, Any

from itx_scraper.core.errors import ItxError

if TYPE_CHECKING:
    from itx_scraper.core.config import WatchConfig

DATABASE = "itx"  # Datasette keys metadata by the file's stem: state/itx.db
# One watch's months with the change from the month and the year before (differences: a
# balance changes sign). The watch's name is a bare TOML key, so it is safe in a literal.
WATCH_SQL = """SELECT m.period, m.value, m.unit,
       round(m.value - p.value, 2) AS mom_change,
       round(m.value - y.value, 2) AS yoy_change,
       m.status, m.source, m.release_id
FROM watch_monthly m
LEFT JOIN watch_monthly p ON p.watch = m.watch
  AND p.period = substr(date(m.period || '-01', '-1 month'), 1, 7)
LEFT JOIN watch_monthly y ON y.watch = m.watch
  AND y.period = substr(date(m.period || '-01', '-12 months'), 1, 7)
WHERE m.watch = '{name}'
ORDER BY m.period DESC"""


class MetadataError(ItxError):
    """The metadata cannot be produced (PyYAML, which comes with Datasette, is missing)."""


def shipped() -> dict[str, Any]:
    """The packaged ``datasette/metadata.yml``, parsed."""
    try:
        import yaml
    except ImportError as exc:
        raise MetadataError(
            "reading the metadata needs PyYAML; install it with: pip install 'itx-scraper[datasette]'"
        ) from exc
    text = resources.files("itx_scraper").joinpath("datasette/metadata.yml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def watch_query(watch: WatchConfig) -> dict[str, Any]:
    """The canned query of one watch."""
    where = f"series {watch.series!r}" + (f", part {watch.part!r}" if watch.part else "")
    return {
        "title": f"{watch.title} (watch {watch.name})",
        "description": (
            f"Monthly {watch.title}, newest first, from {watch.url} ({where}), with the change"
            " from the month and the year before; value in US$ million unless unit says percent."
        ),
        "sql": WATCH_SQL.format(name=watch.name),
    }


def metadata(watches: Iterable[WatchConfig]) -> dict[str, Any]:
    """The shipped metadata with a ``watch_<name>`` canned query for each watch."""
    data = shipped()
    queries = data["databases"][DATABASE].setdefault("queries", {})
    for watch in watches:
        queries[f"watch_{watch.name}"] = watch_query(watch)
    return data
