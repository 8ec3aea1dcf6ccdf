"""Exact shares: largest remainder, story lengths, the day's plan, profiles and overrides."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_simulator.allocation import largest_remainder, with_minimum_one
from pos_simulator.config import DayConfig
from pos_simulator.fraud import SCENARIOS, SKIMMED_CARDS, rounded_count, story_lengths
from pos_simulator.options import RateOptions, build_mix, parse_currencies, parse_cutoff
from pos_simulator.plan import plan_day
from pos_simulator.profiles import PROFILES, parse_assignment
from pos_simulator.vocabulary import FAULT_KINDS, FRAUD_LABELS
from settlement.domain.fraud.rulebook import default_params


@given(st.integers(0, 10_000), st.lists(st.floats(0.0, 100.0), min_size=1, max_size=30))
def test_largest_remainder_sums_exactly_and_stays_proportional(
    total: int, weights: list[float]
) -> None:
    if sum(weights) <= 0:
        return
    counts = largest_remainder(total, weights)
    assert sum(counts) == total
    for count, weight in zip(counts, weights, strict=True):
        assert abs(count - total * weight / sum(weights)) < 1 + 1e-9


def test_minimum_one_takes_from_the_largest() -> None:
    assert with_minimum_one([5, 0, 3], [1]) == [4, 1, 3]
    assert with_minimum_one([1, 0], [1]) == [1, 0]  # nothing to spare


@given(st.integers(0, 5_000), st.sampled_from(sorted(SCENARIOS)), st.integers(0, 99))
def test_story_lengths_add_up_to_the_scenario_total(total: int, name: str, seed: int) -> None:
    scenario = SCENARIOS[name]
    if scenario.fixed_length:  # rounded_count only asks for whole stories of these
        total -= total % int(scenario.mean_length)
    lengths = story_lengths(random.Random(seed), total, scenario)
    assert sum(lengths) == total and all(length >= 1 for length in lengths)
    if scenario.fixed_length and total:
        assert set(lengths) == {int(scenario.mean_length)}


def test_fixed_length_scenarios_round_to_whole_stories() -> None:
    assert rounded_count(1000, 0.0015, SCENARIOS["impossible_travel"]) % 2 == 0
    assert rounded_count(1000, 0.0015, SCENARIOS["card_testing"]) == 2


def test_the_plan_adds_up_to_n_transactions() -> None:
    config = DayConfig(seed=1, business_date=date(2026, 11, 27), transactions=10_000)
    plan = plan_day(config)
    total = plan.legit + plan.refunds + 2 * plan.void_pairs + sum(plan.fraud.values())
    assert total == 10_000
    assert set(plan.fraud) == set(FRAUD_LABELS)
    assert plan.orphan_share * plan.legit == pytest.approx(
        10_000 * config.mix.faults["orphan_refund"]
    )


def test_profiles_cover_every_label_and_fault() -> None:
    for mix in PROFILES.values():
        assert set(mix.fraud) == set(FRAUD_LABELS)
        assert set(mix.faults) == set(FAULT_KINDS)
    assert sum(PROFILES["clean"].fraud.values()) == sum(PROFILES["clean"].faults.values()) == 0


def test_totals_rescale_the_profile_and_assignments_set_one_rate() -> None:
    mix = build_mix(RateOptions(fraud_rate=0.02, fault_rate=0.1, malformed_rate=0.05,
                                scenarios=["amount_spike=0.004"], faults=["late=0.03"],
                                refund_rate=0.02))  # fmt: skip
    default = PROFILES["default"]
    assert mix.fraud["card_testing"] == pytest.approx(2 * default.fraud["card_testing"])
    assert mix.fraud["amount_spike"] == 0.004
    assert mix.faults["lost"] == pytest.approx(10 * default.faults["lost"])
    assert mix.faults["late"] == 0.03
    assert mix.faults["failed_luhn"] == pytest.approx(0.01)
    assert mix.refund_rate == 0.02 and mix.reversal_rate == default.reversal_rate


def test_bad_options_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="unknown scenario or fault"):
        build_mix(RateOptions(scenarios=["phishing=0.1"]))
    with pytest.raises(ValueError, match="NAME=RATE"):
        parse_assignment("card_testing")
    with pytest.raises(ValueError, match="unknown profile"):
        build_mix(RateOptions(profile="nope"))
    with pytest.raises(ValueError, match="HH:MM"):
        parse_cutoff("25:99")
    with pytest.raises(ValueError, match="between 0 and 1"):
        DayConfig(seed=1, business_date=date(2026, 1, 1), transactions=10,
                  mix=build_mix(RateOptions(fault_rate=-0.1)))  # fmt: skip
    assert parse_currencies(" eur,USD ,") == frozenset({"EUR", "USD"})
    assert parse_currencies(None) is None


def _bursts(transactions: int, seed: int) -> list[int]:
    config = DayConfig(seed=seed, business_date=date(2026, 11, 27), transactions=transactions)
    return plan_day(config).stories["compromised_terminal"]


def test_a_compromised_terminals_burst_does_not_shrink_with_the_day() -> None:
    low, high = SKIMMED_CARDS
    small, big = _bursts(2_000, 42), _bursts(200_000, 42)
    assert len(small) == 1 and low <= small[0] <= high  # the demo's day: one real burst
    assert len(big) == round(200_000 * 0.002 / SCENARIOS["compromised_terminal"].mean_length)
    assert all(low <= size <= high for size in big)
    assert _bursts(100, 42) == []  # under one expected transaction: none
    plan = plan_day(DayConfig(seed=42, business_date=date(2026, 11, 27), transactions=2_000))
    assert plan.fraud["compromised_terminal"] == small[0]


def test_bursts_are_sometimes_within_the_default_rules_reach_and_sometimes_not() -> None:
    needed = default_params("compromised_terminal").max_cards + 1
    sizes = [size for seed in range(40) for size in _bursts(2_000, seed)]
    assert any(size >= needed for size in sizes) and any(size < needed for size in sizes)
    assert sum(size >= needed for size in sizes) >= len(sizes) / 2
