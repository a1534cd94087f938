"""Load ``itx.toml`` and ``ITX_*`` variables into one frozen :class:`Config`."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itx_scraper import PROJECT_URL, __version__
from itx_scraper.alerts.messages import check_overrides
from itx_scraper.core.errors import ConfigError
from itx_scraper.core.sources import CRAWLED, SOURCES

logger = logging.getLogger(__name__)

DEFAULT_DB = Path("state/itx.db")
DEFAULT_USER_AGENT = f"itx-scraper/{__version__} (+{PROJECT_URL})"

# Every key the file may hold, with its default; the README's configuration table follows this.
SECTIONS: dict[str, dict[str, Any]] = {
    "run": {"sources": None},
    "history": {"baseline": True},
    "notify": {"urls": [], "config": None},
    "alerts": {
        "series": ["9"],
        "thresholds": [],
        "projection_targets": [],
        "revision_tolerance": 0.5,
        "mismatch_tolerance": 1.0,
        "mismatch_tolerance_pct": 0.5,
        "max_attempts": 5,
        "backoff_seconds": 300,
    },
    "http": {
        "user_agent": DEFAULT_USER_AGENT,
        "delay": 2.0,
        "timeout": 60.0,
        "max_bytes": 20 * 2**20,
        "retries": 2,
    },
    "health": {"failures": 3, "remind_days": 7, "overdue": True, "overdue_days": 5},
}
SOURCE_KEYS = {"url": None, "enabled": True}
TEMPLATE_KEYS = {"title", "body", "markdown"}


@dataclass(frozen=True)
class SourceConfig:
    """A source after config: its start URL(s), whether it runs, and any extra options."""

    name: str
    urls: tuple[str, ...]
    enabled: bool
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.urls[0] if self.urls else ""


@dataclass(frozen=True)
class Config:
    """Everything a run needs to know, resolved from file, environment and defaults."""

    path: Path | None
    db: Path
    sources: Mapping[str, SourceConfig]
    run_sources: tuple[str, ...]
    settings: Mapping[str, Mapping[str, Any]]
    templates: Mapping[str, Mapping[str, str]]
    notify_urls: tuple[str, ...]

    def section(self, name: str) -> Mapping[str, Any]:
        return self.settings[name]

    @property
    def baseline(self) -> bool:
        return bool(self.settings["history"]["baseline"])


def find_config_path(explicit: str | Path | None) -> Path | None:
    """``--config``, then ``ITX_CONFIG``, then ``./itx.toml`` if it exists."""
    for candidate in (explicit, os.environ.get("ITX_CONFIG")):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError(f"config file not found: {path}")
            return path
    local = Path("itx.toml")
    return local if local.is_file() else None


def load(
    config_path: str | Path | None = None,
    db: str | Path | None = None,
    sources: tuple[str, ...] = (),
) -> Config:
    """Read the config; raise :class:`ConfigError` for anything a user must fix."""
    path = find_config_path(config_path)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    base_dir = path.parent if path else Path.cwd()

    settings = {name: _section(raw, name, defaults) for name, defaults in SECTIONS.items()}
    source_configs = _sources(raw.get("sources", {}))
    templates = _templates(raw.get("templates", {}))
    known = {"db", "sources", "templates", *SECTIONS}
    for key in raw:
        if key not in known:
            logger.warning("config: unknown key or section %r ignored", key)

    db_path = _db_path(db, raw.get("db"), base_dir)
    run_sources = _run_sources(sources or settings["run"]["sources"], source_configs)
    env_urls = tuple(os.environ.get("ITX_NOTIFY", "").split())
    notify_urls = tuple(_string_list(settings["notify"]["urls"], "notify.urls")) + env_urls
    config_file = settings["notify"]["config"]
    if config_file:
        resolved = (base_dir / str(config_file)).expanduser()
        if not resolved.is_file():
            raise ConfigError(f"notify.config: Apprise config file not found: {resolved}")
        settings["notify"] = {**settings["notify"], "config": str(resolved)}
    return Config(
        path=path,
        db=db_path,
        sources=source_configs,
        run_sources=run_sources,
        settings=settings,
        templates=templates,
        notify_urls=notify_urls,
    )


def _section(raw: Mapping[str, Any], name: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    given = raw.get(name, {})
    if not isinstance(given, dict):
        raise ConfigError(f"[{name}] must be a table")
    merged = dict(defaults)
    for key, value in given.items():
        if key not in defaults:
            logger.warning("config: unknown key %r in [%s] ignored", key, name)
            continue
        default = defaults[key]
        if default is not None and not _same_kind(default, value):
            raise ConfigError(
                f"[{name}] {key} must be {type(default).__name__}, got {type(value).__name__}"
            )
        merged[key] = value
    return merged


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _sources(raw: Any) -> dict[str, SourceConfig]:
    if not isinstance(raw, dict):
        raise ConfigError("[sources] must be a table of [sources.<name>] tables")
    for name in raw:
        if name not in CRAWLED:
            raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(CRAWLED)}")
    result = {}
    for name in CRAWLED:
        info = SOURCES[name]
        given = raw.get(name, {})
        if not isinstance(given, dict):
            raise ConfigError(f"[sources.{name}] must be a table")
        url = given.get("url")
        if url is not None and (not isinstance(url, str) or "://" not in url):
            raise ConfigError(f"[sources.{name}] url must be an absolute URL, got {url!r}")
        configured = any(key in given for key in info.required_options)
        enabled = given.get("enabled", info.enabled or configured)
        if not isinstance(enabled, bool):
            raise ConfigError(f"[sources.{name}] enabled must be true or false")
        options = {k: v for k, v in given.items() if k not in SOURCE_KEYS}
        _check_options(name, options, info.options)
        missing = [key for key in info.required_options if not options.get(key)]
        if enabled and missing:
            raise ConfigError(f"[sources.{name}] is enabled but sets no {', '.join(missing)}")
        urls = (url,) if url else info.urls
        result[name] = SourceConfig(name=name, urls=urls, enabled=enabled, options=options)
    return result


def _check_options(name: str, given: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Declared source options must have their default's type; others only warn."""
    for key, value in given.items():
        if key not in defaults:
            logger.warning("config: unknown key %r in [sources.%s] passed on as is", key, name)
            continue
        default = defaults[key]
        if isinstance(default, list):
            _string_list(value, f"sources.{name}.{key}")
        elif not _same_kind(default, value) or (isinstance(default, int) and value < 0):
            raise ConfigError(
                f"[sources.{name}] {key} must be a {type(default).__name__}"
                f"{' >= 0' if isinstance(default, int) and not isinstance(default, bool) else ''}"
                f", got {value!r}"
            )


def _templates(raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise ConfigError("[templates] must be a table of [templates.<kind>] tables")
    result = {}
    for kind, fields in raw.items():
        if not isinstance(fields, dict) or not set(fields) <= TEMPLATE_KEYS:
            raise ConfigError(f"[templates.{kind}] may only set {sorted(TEMPLATE_KEYS)}")
        result[kind] = {key: str(value) for key, value in fields.items()}
    try:
        check_overrides(result)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return result


def _db_path(cli_value: str | Path | None, file_value: Any, base_dir: Path) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    if os.environ.get("ITX_DB"):
        return Path(os.environ["ITX_DB"]).expanduser()
    if file_value is not None:
        if not isinstance(file_value, str):
            raise ConfigError("db must be a path string")
        return (base_dir / Path(file_value).expanduser()).resolve()
    return DEFAULT_DB


def _run_sources(chosen: Any, sources: Mapping[str, SourceConfig]) -> tuple[str, ...]:
    if chosen is None:
        return tuple(name for name, src in sources.items() if src.enabled)
    names = tuple(_string_list(chosen, "run.sources"))
    for name in names:
        if name not in sources:
            raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(sources)}")
    return names


def _string_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings")
    return list(value)
