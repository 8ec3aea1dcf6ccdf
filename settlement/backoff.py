"""Exponential backoff, the one rule for how long a retry waits: `base_s` doubling with each
retry, never more than `cap_s`; with equal jitter where many retriers fail together.

Every retry loop uses it with its own base and cap, named where it is used: SQS sends
(`settlement.adapters.sqs_events.RetryPolicy`), the direct transport's records handed back,
a message's redelivery and a poller's pause (`settlement.gateway.poller`), and the wait for
a database at start-up (`settlement.adapters.database.wait_for_database`).
"""

from __future__ import annotations

import random
from typing import TypeVar

Seconds = TypeVar("Seconds", int, float)  # whole seconds where SQS wants them (visibility)
_MAX_DOUBLINGS = 32  # 2**32 s is past any cap in use (SQS allows 12 h); keeps integers small


def backoff_s(retry: int, base_s: Seconds, cap_s: Seconds) -> Seconds:
    """The wait before retry number `retry` (1 = the first): `base_s * 2**(retry - 1)`, at
    most `cap_s`. A `retry` below 1 counts as the first."""
    doublings = min(max(retry, 1) - 1, _MAX_DOUBLINGS)
    return min(cap_s, base_s * (1 << doublings))


def equal_jitter_s(step_s: float, rng: random.Random) -> float:
    """Half of `step_s` fixed, half random: the waiter really waits, and waiters that failed
    together (one database outage) do not all come back in the same instant."""
    return step_s / 2 + rng.uniform(0.0, step_s / 2)
