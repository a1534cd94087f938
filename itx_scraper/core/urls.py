"""Which URLs a run may request: http(s) only, to a configured host and port. One rule for all.

Config URLs, links found on list pages and feeds, and redirects all pass :func:`refusal`.
Scrapy's file, ftp, data and s3 handlers are switched off in settings as well, so that a
link such as ``file://host/etc/passwd`` can never be read into the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    """A host (and its subdomains) on one port that a source may request."""

    host: str
    port: int

    def admits(self, host: str, port: int) -> bool:
        return port == self.port and (host == self.host or host.endswith("." + self.host))


def split(url: str) -> tuple[str, str, int] | None:
    """(scheme, lower-case host, port) of an absolute http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in SCHEMES or not host:
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def origins(urls: Iterable[str], *, strip_www: bool = False) -> frozenset[Origin]:
    """The origins named by configured URLs; ``strip_www`` also admits the bare domain."""
    found = set()
    for url in urls:
        parts = split(url)
        if parts is None:
            continue
        _, host, port = parts
        found.add(Origin(host.removeprefix("www.") if strip_www else host, port))
    return frozenset(found)


def join(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; None when it is no URL Python can read (an
    IPv6 host that never closes, a host that NFKC turns into a separator): such a link is
    skipped, and the links after it on the page are still read."""
    try:
        joined = urljoin(base, href)
        urlsplit(joined)
    except ValueError:
        return None
    return joined


def problem(url: str) -> str | None:
    """Why ``url`` names no page a run may request from any host, or None: it must be http or
    https, free of backslashes, control characters and user info (parsers disagree on what
    host such a URL names), with a host and a port from 1 to 65535. Configured URLs pass it
    (in their canonical form), links and redirects pass it within :func:`refusal`."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # urlsplit cannot read it: no parser agrees what host it names
        return f"not a URL ({exc})"
    scheme = parts.scheme.lower() if ":" in url else ""
    if scheme and scheme not in SCHEMES:
        return f"scheme {scheme!r} is not http or https"
    if "\\" in url or any(ord(char) < 33 for char in url.strip()):
        return "a backslash or control character in the URL"
    if "@" in parts.netloc:
        return "user info in the URL"
    try:
        port = parts.port
    except ValueError as exc:  # a port that is not a number, or out of range
        return f"not an absolute http(s) URL ({exc})"
    if port == 0:
        return "not an absolute http(s) URL (port 0)"
    if split(url) is None:
        return "not an absolute http(s) URL"
    return None


def refusal(url: str, allowed: Iterable[Origin]) -> str | None:
    """Why ``url`` may not be requested, or None when it may."""
    reason = problem(url)
    if reason:
        return reason
    _, host, port = split(url) or ("", "", 0)
    if not any(origin.admits(host, port) for origin in allowed):
        return f"{host}:{port} is not a configured host and port"
    return None
