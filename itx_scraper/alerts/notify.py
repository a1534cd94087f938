"""Delivery through Apprise: destinations, tag routing, one send per destination, no secrets out."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itx_scraper.core.config import Config

logger = logging.getLogger(__name__)
EMAIL_SCHEMAS = ("mailto://", "mailtos://")


@dataclass(frozen=True)
class Destination:
    """One Apprise service; ``key`` hashes the full URL so that secrets never need storing."""

    service: Any  # an Apprise plugin instance
    tags: frozenset[str]

    @property
    def url(self) -> str:
        return str(self.service.url())

    @property
    def key(self) -> str:
        return hashlib.sha256(self.url.encode("utf-8")).hexdigest()

    @property
    def target(self) -> str:
        """What people see: Apprise's privacy rendering, plus masked header and payload values."""
        return mask_custom_fields(str(self.service.url(privacy=True)))

    @property
    def plain_text(self) -> bool:
        return self.url.startswith(EMAIL_SCHEMAS)

    def accepts(self, route: str) -> bool:
        """Untagged destinations get every alert; tags narrow tagged ones."""
        return not self.tags or route in self.tags


class DestinationError(Exception):
    """A configured notification URL cannot be understood by Apprise."""


def destinations(config: Config) -> list[Destination]:
    """Untagged URLs from ``[notify] urls`` and ``ITX_NOTIFY``, plus the Apprise YAML file."""
    found: list[Destination] = []
    config_file = config.section("notify")["config"]
    if not config.notify_urls and not config_file:
        return found
    import apprise  # only when there is a destination: importing it costs a third of a second

    for url in config.notify_urls:
        with unquoted_apprise():
            service = apprise.Apprise.instantiate(url)
        if not service:
            raise DestinationError(
                f"not a valid Apprise URL: {mask_url(url)} (the rest is not shown, it may hold"
                " a token; `apprise --dry-run -vv URL` tells what is wrong)"
            )
        found.append(Destination(service, frozenset()))
    if config_file:
        loaded = apprise.AppriseConfig()
        with unquoted_apprise():
            if not loaded.add(str(Path(config_file))):
                raise DestinationError(f"cannot read Apprise config {config_file}")
            services = loaded.services()
        if not services:  # Apprise only logs a warning when the YAML does not load
            raise DestinationError(f"Apprise config {config_file} defines no usable URL")
        for service in services:
            found.append(Destination(service, frozenset(str(tag) for tag in service.tags)))
    unique = {d.key: d for d in found}
    return list(unique.values())


@contextmanager
def unquoted_apprise() -> Iterator[None]:
    """Keep Apprise's messages about a URL it is parsing off our log: its warnings quote the
    URL's parts ("An invalid ntfy Mode (...)", "Could not load ... URL: ntfy://user:p...")."""
    apprise_logger = logging.getLogger("apprise")
    propagate = apprise_logger.propagate
    sink = logging.NullHandler()  # without any handler, logging's last resort would print
    apprise_logger.addHandler(sink)
    apprise_logger.propagate = False
    try:
        yield
    finally:
        apprise_logger.propagate = propagate
        apprise_logger.removeHandler(sink)


def for_route(all_destinations: Iterable[Destination], route: str) -> list[Destination]:
    return [d for d in all_destinations if d.accepts(route)]


def mask_custom_fields(url: str) -> str:
    """Mask ``?+Header=value``, ``-param`` and ``:payload`` values, which Apprise shows in clear."""
    return re.sub(r"([?&](?:[+:-]|%2B|%2D|%3A)[^=&#]*=)[^&#]*", r"\1****", url, flags=re.IGNORECASE)


def mask_url(url: str) -> str:
    """Only the scheme of a URL Apprise could not parse: any other part may be a token."""
    match = re.match(r"^\s*([a-z][a-z0-9+.-]{0,30})://", url, re.IGNORECASE)
    return f"{match.group(1).lower()}://****" if match else "<unparsable URL>"


def scrub(text: str, destination: Destination) -> str:
    """Remove every part of the full URL that the privacy rendering hides."""
    public = destination.target
    cleaned = text.replace(destination.url, public)
    for part in re.split(r"[/:@?&=#,+ ]+", destination.url):
        if len(part) >= 4 and part not in public:
            cleaned = cleaned.replace(part, "****")
    return cleaned


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None


def send(
    destination: Destination,
    title: str,
    body: str,
    markdown: str,
    attachments: Sequence[str] = (),
) -> SendResult:
    """Send one message to one destination; success only when Apprise says so."""
    import apprise

    notifier = apprise.Apprise()
    notifier.add(destination.service)
    if destination.plain_text:
        text, body_format = body, apprise.NotifyFormat.TEXT
    else:
        text, body_format = markdown, apprise.NotifyFormat.MARKDOWN
    attach = list(attachments) if attachments and destination.service.attachment_support else None
    with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s %(message)s") as captured:
        result = notifier.notify(title=title, body=text, body_format=body_format, attach=attach)
        log_text = captured.getvalue()
    if bool(result):
        return SendResult(True, None)
    # Apprise explains failures in its log: keep warnings, errors and exception details.
    detail = " ".join(
        line.split(" ", 1)[1].strip()
        for line in log_text.splitlines()
        if line.startswith(("WARNING", "ERROR")) or "Exception" in line
    )
    status = getattr(result, "status", None)
    name = getattr(status, "name", str(status))
    error = f"Apprise {name}: {detail}" if detail else f"Apprise {name}"
    return SendResult(False, scrub(error, destination)[:500])
