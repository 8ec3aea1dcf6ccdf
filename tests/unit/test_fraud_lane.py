"""The asynchronous fraud lane agrees with the batch: whatever order a day's purchases
arrive in, once all have arrived its flags and decisions are the end of day's, and what it
records on the way (held, released, held_at) is consistent."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.domain.fraud import load_rulebook
from settlement.domain.fraud.lane import FraudLane
from settlement.domain.transactions import StagedTransaction
from tests.support.example_budget import examples
from tests.support.lane_cases import (
    DAY,
    TO_EUR,
    batch_verdict,
    flag_set,
    purchase_parts,
    replay,
    tight_rulebooks,
    transactions_of,
)

DEFAULT = load_rulebook(None)
ARRIVED = datetime(2026, 3, 11, 12)


def _arrivals(
    today: list[StagedTransaction], order: list[int]
) -> list[tuple[StagedTransaction, datetime]]:
    return [(today[i], ARRIVED + timedelta(seconds=n)) for n, i in enumerate(order)]


@st.composite
def days(draw: st.DrawFn) -> tuple[list[StagedTransaction], list[int], bool, bool]:
    transactions = transactions_of(draw(st.lists(purchase_parts, min_size=1, max_size=24)))
    today = [tx for tx in transactions if tx.business_date == DAY]
    order = draw(st.permutations(range(len(today))))
    return transactions, list(order), draw(st.booleans()), draw(st.booleans())


@settings(max_examples=examples(400), deadline=None)
@given(days(), st.one_of(st.just(DEFAULT), tight_rulebooks()))
def test_any_arrival_order_ends_with_the_batchs_flags_and_decisions(day, rulebook) -> None:
    transactions, order, use_bounds, late_history = day
    today = [tx for tx in transactions if tx.business_date == DAY]
    history = [tx for tx in transactions if tx.business_date != DAY]
    # history either seeded up front or arriving among the day's purchases (late ones)
    lane = FraudLane(DAY, rulebook, TO_EUR, () if late_history else history, use_bounds=use_bounds)
    arrivals = _arrivals(today, order)
    if late_history:
        arrivals = arrivals[:1] + [(tx, ARRIVED) for tx in history] + arrivals[1:]
    replay(lane, arrivals)
    flags, decisions = batch_verdict(transactions, DAY, rulebook, TO_EUR, exhaustive=True)
    assert flag_set(lane.flags) == flag_set(flags)
    assert lane.decisions == decisions
    held = {tid for tid, decision in decisions.items() if decision.held}
    assert set(lane.held_at) == held
    # every hold was stamped by an arrival, and a redelivery changes nothing
    assert all(at >= ARRIVED for at in lane.held_at.values())
    assert all(not lane.observe(tx, ARRIVED).held for tx in today)


def test_a_burst_is_held_when_the_purchase_that_crosses_the_limit_arrives() -> None:
    """velocity (more than 4 in 15 min): the fifth purchase holds all five, the batch's
    whole burst, at the fifth's arrival; they arrive out of transaction order."""
    parts = [(0, 600 + minute, 0, 0, "EUR", 2_000, "NL", "chip", "5411", "purchase")
             for minute in range(5)]  # fmt: skip
    today = transactions_of(parts)
    lane = FraudLane(DAY, DEFAULT, TO_EUR)
    order = [4, 0, 3, 1, 2]
    changes = [lane.observe(tx, at) for tx, at in _arrivals(today, order)]
    assert [len(change.held) for change in changes] == [0, 0, 0, 0, 5]
    assert set(lane.held_at.values()) == {ARRIVED + timedelta(seconds=4)}
    flags, decisions = batch_verdict(today, DAY, DEFAULT, TO_EUR, exhaustive=False)
    assert flag_set(lane.flags) == flag_set(flags) and lane.decisions == decisions


def test_a_rising_baseline_releases_a_provisional_hold() -> None:
    """compromised_terminal with no look-back judges a till by the day's own rush once it
    was open `baseline_min_hours`: an early burst is held, then released as the day fills."""
    rulebook = load_rulebook(
        "[rules.compromised_terminal]\nmax_cards = 2\nwindow_min = 30\n"
        'baseline_multiplier = "1"\nbaseline_min_hours = 1\n'
    )
    burst = [(0, 60 + m, m, 0, "EUR", 2_000, "NL", "chip", "5411", "purchase") for m in range(3)]
    rush = [
        (0, 120 + hour * 60 + m, m % 4, 0, "EUR", 2_000, "NL", "chip", "5411", "purchase")
        for hour in range(4)
        for m in range(0, 60, 5)
    ]  # 12 purchases an hour of 4 cards: the usual rush is 6 per 30 min
    today = transactions_of(burst + rush)
    lane = FraudLane(DAY, rulebook, TO_EUR)
    changes = [lane.observe(tx, at) for tx, at in _arrivals(today, list(range(len(today))))]
    assert sum(len(change.held) for change in changes) >= 3
    assert lane.released_total >= 3 and any(change.released for change in changes)
    flags, decisions = batch_verdict(today, DAY, rulebook, TO_EUR, exhaustive=True)
    assert lane.decisions == decisions
    assert set(lane.held_at) == {tid for tid, d in decisions.items() if d.held}
