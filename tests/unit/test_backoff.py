"""The one backoff rule: doubling from the base, never past the cap, with equal jitter."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from settlement.backoff import backoff_s, equal_jitter_s


def test_the_wait_doubles_from_the_base_and_stops_at_the_cap() -> None:
    assert [backoff_s(retry, 0.5, 5.0) for retry in range(1, 7)] == [0.5, 1, 2, 4, 5, 5]
    assert backoff_s(0, 0.5, 5.0) == backoff_s(-3, 0.5, 5.0) == 0.5  # counts as the first


def test_whole_seconds_stay_whole_however_many_retries() -> None:
    waits = [backoff_s(retry, 1, 43_200) for retry in (1, 2, 10, 1_000_000)]
    assert waits == [1, 2, 512, 43_200] and all(isinstance(wait, int) for wait in waits)


@given(st.floats(0.0, 1e6), st.integers(0, 2**32))
def test_equal_jitter_keeps_half_the_step_and_never_more_than_it(step_s: float, seed: int) -> None:
    pause_s = equal_jitter_s(step_s, random.Random(seed))
    assert step_s / 2 <= pause_s <= step_s
