"""When a transaction's timestamps are believable: the one rule for messages and journals.

A terminal's clock, a replayed capture or a hostile sender can put any instant in a message;
year 0001 or 9999 overflows date arithmetic and a far-off date settles nowhere sensible. An
instant is plausible when it lies at most `max_age` before the moment it reached us and at
most `max_ahead` after it (clock skew; nothing happens in the future), and a message's
`sent_at` follows its `local_time` by at most `max_delivery_delay` (a terminal that stored
it offline) and precedes it by at most `max_ahead` (the two clocks may disagree). The
clock reading `received_at` is an argument: the domain never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class TimeWindow:
    max_age: timedelta
    max_ahead: timedelta
    max_delivery_delay: timedelta

    def implausibility(
        self, received_at: datetime, local_time: datetime, sent_at: datetime | None = None
    ) -> str | None:
        """Why the timestamps cannot be true, in one line; None when they are plausible.

        `received_at` is naive UTC (the convention of the gateway's clock); the others are
        aware. Never raises, whatever the year: the comparisons are made on aware instants
        and no arithmetic is done on the message's own values."""
        now = received_at.replace(tzinfo=UTC)
        earliest, latest = _shifted(now, -self.max_age), _shifted(now, self.max_ahead)
        for name, instant in (("local_time", local_time), ("sent_at", sent_at)):
            if instant is None:
                continue
            if instant < earliest:
                return f"{name} {instant.isoformat()} is more than {self.max_age.days} days old"
            if instant > latest:
                return f"{name} {instant.isoformat()} is ahead of the receiving clock"
        if (
            sent_at is not None
            and not -self.max_ahead <= sent_at - local_time <= self.max_delivery_delay
        ):
            return (
                f"sent_at {sent_at.isoformat()} is not within {self.max_delivery_delay.days} "
                f"days after local_time {local_time.isoformat()}"
            )
        return None


def _shifted(instant: datetime, delta: timedelta) -> datetime:
    try:
        return instant + delta
    except OverflowError:  # a window wider than the calendar: no bound on that side
        return _LATEST if delta > timedelta(0) else _EARLIEST


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
