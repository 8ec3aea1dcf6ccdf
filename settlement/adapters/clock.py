"""The wall clock, read only by entry points and passed down as a callable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now as naive UTC, the convention of every timestamp column."""
    return datetime.now(UTC).replace(tzinfo=None)
