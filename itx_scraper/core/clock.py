"""The one place that reads the wall clock; ``ITX_NOW`` freezes it for tests and replays."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from itx_scraper.core.errors import ConfigError


def now() -> datetime:
    """Current time in UTC, or ``ITX_NOW`` (ISO 8601; naive means UTC) when set.

    An ``ITX_NOW`` that is not an ISO 8601 time is a ConfigError (exit 2).
    """
    frozen = os.environ.get("ITX_NOW")
    if frozen:
        try:
            moment = datetime.fromisoformat(frozen.strip())
        except ValueError:
            raise ConfigError(
                f"ITX_NOW must be an ISO 8601 time such as 2026-04-20T10:00:00, got {frozen[:40]!r}"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 text in UTC with seconds, the form stored in the database."""
    return (moment or now()).astimezone(UTC).isoformat(timespec="seconds")
