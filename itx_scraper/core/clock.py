"""The one place that reads the wall clock; ``ITX_NOW`` freezes it for tests and replays."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """Current time in UTC, or ``ITX_NOW`` (ISO 8601; naive means UTC) when set."""
    frozen = os.environ.get("ITX_NOW")
    if frozen:
        moment = datetime.fromisoformat(frozen)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 text in UTC with seconds, the form stored in the database."""
    return (moment or now()).astimezone(UTC).isoformat(timespec="seconds")
