"""Load ``itx.toml`` and ``ITX_*`` variables into one frozen, validated :class:`Config`.

Every key has a type and a range (msgspec structs below); a bad value is a
:class:`ConfigError` naming the key and the range. Unknown sections and keys are warnings
(``Config.warnings``, printed even under ``--quiet``), except under ``[sources.<name>]`` and
``[watches.<name>]``, where a key that is not read is an error with a "did you mean" hint.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta, Struct

from itx_scraper import DEFAULT_USER_AGENT
from itx_scraper.core.errors import ConfigError
from itx_scraper.core.sources import CRAWLED, ICT, SOURCES, source_urls
from itx_scraper.core.urls import problem

DEFAULT_DB = Path("state/itx.db")

NonNegative = Annotated[float, Meta(ge=0)]


class Section(Struct, kw_only=True):
    """A config section; unknown keys are reported as warnings, not errors."""


class RunSection(Section):
    sources: list[str] | None = None


class HistorySection(Section):
    baseline: bool = True


class NotifySection(Section):
    urls: list[str] = []
    config: str | None = None


class AlertsSection(Section):
    series: list[str] = msgspec.field(default_factory=lambda: [ICT])
    thresholds: list[NonNegative] = []
    projection_targets: list[NonNegative] = []
    revision_tolerance: Annotated[float, Meta(ge=0, le=1e6)] = 0.5
    mismatch_tolerance: Annotated[float, Meta(ge=0, le=1e6)] = 1.0
    mismatch_tolerance_pct: Annotated[float, Meta(ge=0, le=100)] = 0.5
    max_attempts: Annotated[int, Meta(ge=1, le=100)] = 5
    backoff_seconds: Annotated[float, Meta(ge=0, le=7 * 86400)] = 300


class HttpSection(Section):
    user_agent: Annotated[str, Meta(min_length=1, max_length=500)] = DEFAULT_USER_AGENT
    delay: Annotated[float, Meta(ge=0, le=3600)] = 2.0
    timeout: Annotated[float, Meta(ge=1, le=3600)] = 60.0
    max_bytes: Annotated[int, Meta(ge=1024, le=2**30)] = 20 * 2**20
    retries: Annotated[int, Meta(ge=0, le=10)] = 2


class HealthSection(Section):
    failures: Annotated[int, Meta(ge=1, le=1000)] = 3
    remind_days: Annotated[float, Meta(ge=0, le=365)] = 7
    overdue: bool = True
    overdue_days: Annotated[int, Meta(ge=0, le=365)] = 5


# Every section the file may hold; the README's configuration table follows these.
SECTION_TYPES: dict[str, type[Section]] = {
    "run": RunSection,
    "history": HistorySection,
    "notify": NotifySection,
    "alerts": AlertsSection,
    "http": HttpSection,
    "health": HealthSection,
}
SECTIONS: dict[str, dict[str, Any]] = {
    name: msgspec.structs.asdict(kind()) for name, kind in SECTION_TYPES.items()
}
SOURCE_KEYS = ("url", "enabled")
TEMPLATE_KEYS = ("title", "body", "markdown")
# The spider that fetches every watch's workbook: not a source, so not a watch name either.
WORKBOOK_SPIDER = "sbp_workbook"
WATCH_FLOW = "value"  # the flow of every figure a watch stores (series = the watch's name)
# A watch name is a bare TOML key that starts with a letter: it is also the series name.
WATCH_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
NonEmpty = Annotated[str, Meta(min_length=1, max_length=500)]


class WatchSection(Struct, kw_only=True, forbid_unknown_fields=True):
    """``[watches.<name>]``: one monthly series of one SBP workbook (see ``inspect``)."""

    url: NonEmpty
    series: NonEmpty
    part: NonEmpty | None = None
    sheet: NonEmpty | None = None
    record: Literal["high", "low", "none"] = "high"
    label: NonEmpty | None = None
    enabled: bool = True


# Each key with its default (None: required, or unset); the README's table follows these.
WATCH_KEYS: dict[str, Any] = {
    field.name: None if field.default is msgspec.NODEFAULT else field.default
    for field in msgspec.structs.fields(WatchSection)
}


@dataclass(frozen=True)
class WatchConfig:
    """A watch after config: where its series is, and how its alerts read."""

    name: str
    url: str
    series: str
    part: str | None = None
    sheet: str | None = None
    record: str = "high"  # which extreme is a record: high, low, or none
    label: str | None = None
    enabled: bool = True

    @property
    def title(self) -> str:
        """The label in alert texts: ``label``, else the series label ('A > B' as 'A: B')."""
        return self.label or self.series.replace(" > ", ": ")

    def as_row(self) -> dict[str, Any]:
        """The ``watches`` table's columns."""
        return {
            "name": self.name,
            "url": self.url,
            "series": self.series,
            "part": self.part,
            "sheet": self.sheet,
            "record": self.record,
            "label": self.title,
        }


@dataclass(frozen=True)
class SourceConfig:
    """A source after config: its start URL(s), whether it runs, and its extra options."""

    name: str
    urls: tuple[str, ...]
    enabled: bool
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.urls[0] if self.urls else ""

    @property
    def configured_urls(self) -> tuple[str, ...]:
        """Start URLs and URL options: every host the source may request (see source_urls)."""
        return source_urls(self.name, self.urls, self.options)


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
    warnings: tuple[str, ...] = ()
    watches: Mapping[str, WatchConfig] = field(default_factory=dict)

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
    raw = read_toml(path) if path is not None else {}
    base_dir = path.parent if path else Path.cwd()
    warnings: list[str] = []

    known = {"db", "sources", "templates", "watches", *SECTION_TYPES}
    warnings += [f"unknown section or key {key!r} ignored" for key in raw if key not in known]
    settings = {name: _section(raw, name, kind, warnings) for name, kind in SECTION_TYPES.items()}
    source_configs = _sources(raw.get("sources", {}), warnings)
    watches = _watches(raw.get("watches", {}), settings["alerts"]["series"])
    templates = _templates(raw.get("templates", {}))

    db_path = _db_path(db, raw.get("db"), base_dir)
    run_sources = _run_sources(sources or settings["run"]["sources"], source_configs, watches)
    env_urls = tuple(os.environ.get("ITX_NOTIFY", "").split())
    notify_urls = tuple(settings["notify"]["urls"]) + env_urls
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
        warnings=tuple(f"config: {text}" for text in warnings),
        watches=watches,
    )


def database_path(settings: Any) -> Path:
    """The run's database from Scrapy settings: ``ITX_DB``, else the config's (scrapy crawl)."""
    given = settings.get("ITX_DB")
    return Path(given) if given else load(settings.get("ITX_CONFIG")).db


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc


def validated(kind: type[Any], given: Mapping[str, Any], where: str, **options: Any) -> Any:
    """``given`` converted to ``kind``; a ConfigError names the key, the rule and the value."""
    try:
        return msgspec.convert(given, kind, **options)
    except msgspec.ValidationError as exc:
        raise ConfigError(_explain(exc, where, given)) from exc


def _explain(exc: msgspec.ValidationError, where: str, given: Mapping[str, Any]) -> str:
    """'Expected `float` <= 3600.0 - at `$.delay`' -> '[http] delay must be a float <= 3600.0
    (got 1e+308)'."""
    text = str(exc)
    match = re.match(r"(?P<rule>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", text)
    rule = match["rule"] if match else text
    path = (match["path"] or "") if match else ""
    keys = re.findall(r"\.(\w+)|\[(\d+)\]", path)
    value: Any = given
    shown = []
    for key, index in keys:
        shown.append(key or f"[{index}]")
        try:
            value = value[key] if key else value[int(index)]
        except (KeyError, IndexError, TypeError):
            value = None
            break
    name = "".join(part if part.startswith("[") else f".{part}" for part in shown).lstrip(".")
    rule = re.sub(r"^Expected `(\w+)`", lambda m: f"must be a{_article(m[1])} {m[1]}", rule)
    rule = re.sub(r", got `\w+`$", "", rule).replace("`", "")
    got = f" (got {value!r})" if keys and value is not None else ""
    return f"{where} {name} {rule}{got}" if name else f"{where}: {rule}{got}"


def _article(word: str) -> str:
    return "n" if word[:1] in "aeiou" else ""


def _section(
    raw: Mapping[str, Any], name: str, kind: type[Section], warnings: list[str]
) -> dict[str, Any]:
    given = raw.get(name, {})
    if not isinstance(given, dict):
        raise ConfigError(f"[{name}] must be a table")
    fields = set(kind.__struct_fields__)
    for key in given:
        if key not in fields:
            warnings.append(f"unknown key {key!r} in [{name}] ignored{_did_you_mean(key, fields)}")
    known = {key: value for key, value in given.items() if key in fields}
    return msgspec.structs.asdict(validated(kind, known, f"[{name}]"))


def _did_you_mean(key: str, known: set[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _sources(raw: Any, warnings: list[str]) -> dict[str, SourceConfig]:
    if not isinstance(raw, dict):
        raise ConfigError("[sources] must be a table of [sources.<name>] tables")
    for name in raw:
        if name not in CRAWLED:
            raise ConfigError(
                f"unknown source {name!r}{_did_you_mean(name, CRAWLED)}; known sources:"
                f" {', '.join(CRAWLED)}"
            )
    result = {}
    for name in CRAWLED:
        info = SOURCES[name]
        given = raw.get(name, {})
        if not isinstance(given, dict):
            raise ConfigError(f"[sources.{name}] must be a table")
        keys = (*SOURCE_KEYS, *info.options.__struct_fields__)
        for key in given:
            if key not in keys:
                raise ConfigError(
                    f"[sources.{name}] has no key {key!r}{_did_you_mean(key, keys)}"
                    f" (it reads: {', '.join(keys)})"
                )
        url = given.get("url")
        if url is not None:
            url = _url(url, f"[sources.{name}] url")
            warnings += _host_warning(name, url, info.urls)
        configured = any(key in given for key in info.required_options)
        enabled = given.get("enabled", info.enabled or configured)
        if not isinstance(enabled, bool):
            raise ConfigError(f"[sources.{name}] enabled must be true or false")
        given_options = {k: v for k, v in given.items() if k not in SOURCE_KEYS}
        options = msgspec.structs.asdict(
            validated(info.options, given_options, f"[sources.{name}]")
        )
        for key in info.options.url_keys:
            value = options[key]
            if isinstance(value, list):
                where = f"[sources.{name}] {key}"
                options[key] = [_url(item, f"{where}[{n}]") for n, item in enumerate(value)]
            elif value:  # "": not set
                options[key] = _url(value, f"[sources.{name}] {key}")
        missing = [key for key in info.required_options if not options.get(key)]
        if enabled and missing:
            raise ConfigError(f"[sources.{name}] is enabled but sets no {', '.join(missing)}")
        urls = (url,) if url else info.urls
        result[name] = SourceConfig(name=name, urls=urls, enabled=enabled, options=options)
    return result


def _watches(raw: Any, alert_series: list[str]) -> dict[str, WatchConfig]:
    if not isinstance(raw, dict):
        raise ConfigError("[watches] must be a table of [watches.<name>] tables")
    result = {}
    for name, given in raw.items():
        where = f"[watches.{name}]"
        problem = watch_name_problem(name, alert_series)
        if problem:
            raise ConfigError(problem)
        if not isinstance(given, dict):
            raise ConfigError(f"{where} must be a table")
        for key in given:
            if key not in WATCH_KEYS:
                raise ConfigError(
                    f"{where} has no key {key!r}{_did_you_mean(key, tuple(WATCH_KEYS))}"
                    f" (it reads: {', '.join(WATCH_KEYS)})"
                )
        missing = [key for key in ("url", "series") if key not in given]
        if missing:
            raise ConfigError(f"{where} sets no {' or '.join(missing)}; both are required")
        options = validated(WatchSection, given, where)
        fields = {**msgspec.structs.asdict(options), "url": _url(options.url, f"{where} url")}
        result[name] = WatchConfig(name=name, **fields)
    return result


def watch_name_problem(name: str, alert_series: Iterable[str] = ()) -> str | None:
    """Why ``name`` cannot name a watch, or None: it must be a bare TOML key starting with a
    letter, and no source's name or series of ``[alerts] series``."""
    if not WATCH_NAME_RE.match(name):
        return (
            f"watch name {name!r} must start with a letter and hold only letters, digits,"
            " '_' and '-'"
        )
    if name in SOURCES or name == WORKBOOK_SPIDER:
        return f"watch name {name!r} is already a source; choose another name"
    if name in alert_series:
        return f"watch name {name!r} is already a series of [alerts] series; choose another name"
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be configured, or None: the URL Scrapy would request for it (see
    :func:`canonical_url`) must pass the one URL rule of :mod:`itx_scraper.core.urls`."""
    try:
        return problem(canonical_url(url))
    except ValueError as exc:  # no URL w3lib can read: an IPv6 host that never closes, ...
        return f"not a URL ({exc})"


# URLs that safe_url_string returns unchanged (lower-case scheme and host, a path of plain
# characters, no query): most configs; w3lib is imported only for the others (27 ms).
_ALREADY_CANONICAL = re.compile(
    r"^https?://[a-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~!$&()*+,;=:@/%-]*)?$"
)


def canonical_url(url: str) -> str:
    """``url`` as Scrapy requests it (w3lib's ``safe_url_string``): scheme and host in lower
    case, spaces and non-ASCII characters percent-encoded. ValueError when it is no URL."""
    url = url.strip()
    if _ALREADY_CANONICAL.match(url):
        return url
    from w3lib.url import safe_url_string

    return safe_url_string(url)


def _url(url: Any, key: str) -> str:
    """``url`` in the form Scrapy requests it, so that releases, validators and the
    pre-flight all key it as the crawl does; a ConfigError naming ``key`` unless it is an
    absolute http(s) URL a run may fetch."""
    reason = url_problem(url) if isinstance(url, str) else "not a string"
    if reason:
        raise ConfigError(f"{key} must be an absolute http(s) URL, got {url!r}: {reason}")
    return canonical_url(url)


def _host_warning(name: str, url: str, defaults: tuple[str, ...]) -> list[str]:
    """A configured URL on another host than the source's own is allowed, but said once."""
    host = (urlsplit(url).hostname or "").lower()
    default_hosts = {(urlsplit(u).hostname or "").lower() for u in defaults}
    if not default_hosts or host in default_hosts or host in ("127.0.0.1", "localhost", "::1"):
        return []
    return [f"[sources.{name}] url points to {host}, not {' or '.join(sorted(default_hosts))}"]


def _templates(raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise ConfigError("[templates] must be a table of [templates.<kind>] tables")
    result = {}
    for kind, fields in raw.items():
        if not isinstance(fields, dict) or not set(fields) <= set(TEMPLATE_KEYS):
            raise ConfigError(f"[templates.{kind}] may only set {sorted(TEMPLATE_KEYS)}")
        result[kind] = {key: str(value) for key, value in fields.items()}
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


def _run_sources(
    chosen: Any, sources: Mapping[str, SourceConfig], watches: Mapping[str, WatchConfig]
) -> tuple[str, ...]:
    """Sources and watches to run: those named, else every enabled one."""
    if chosen is None:
        return tuple(name for name, src in sources.items() if src.enabled) + tuple(
            name for name, watch in watches.items() if watch.enabled
        )
    known = (*sources, *watches)
    for name in chosen:
        if name not in known:
            watch_names = f"; watches: {', '.join(watches)}" if watches else ""
            raise ConfigError(
                f"unknown source {name!r}{_did_you_mean(name, known)}; known sources:"
                f" {', '.join(sources)}{watch_names}"
            )
    return tuple(dict.fromkeys(chosen))
