"""Each fraud rule fires on its scenario and (almost) never on plain traffic.

Plain traffic is 300 seeded cardholders over 31 days (tests/support/fraud_traffic.py); each
scenario is injected on top of it, the whole lot is screened the way the EOD run streams it
(per card, per terminal), and every rule is held to its scenario and to plain traffic.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from settlement.domain.fraud import FraudFlag, decide, load_rulebook
from settlement.domain.transactions import StagedTransaction
from tests.support.fraud_scenarios import SCENARIOS
from tests.support.fraud_traffic import BUSINESS_DATE, Traffic, screen_all


@cache
def _plain(cards: int = 300) -> tuple[Traffic, tuple[StagedTransaction, ...]]:
    traffic = Traffic(seed=11, cards_count=cards)
    return traffic, tuple(traffic.plain())


def _background() -> tuple[Traffic, tuple[StagedTransaction, ...]]:
    """Smaller plain traffic behind each injected scenario: keeps the suite fast."""
    return _plain(60)


@cache
def _plain_flags() -> tuple[FraudFlag, ...]:
    return tuple(screen_all(_plain()[1], load_rulebook()))


def _today(transactions: tuple[StagedTransaction, ...]) -> int:
    return sum(tx.business_date == BUSINESS_DATE for tx in transactions)


def test_every_registered_rule_has_a_scenario_test() -> None:
    assert set(SCENARIOS) == {rule.name for rule in load_rulebook().rules}


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
def test_rule_fires_on_its_scenario(rule: str) -> None:
    traffic, plain = _background()
    injected = SCENARIOS[rule](traffic)
    flags = screen_all([*plain, *injected], load_rulebook())
    hit = {flag.transaction_id for flag in flags if flag.rule == rule}
    expected = {tx.transaction_id for tx in injected if tx.transaction_id in traffic.fraud}
    assert expected <= hit, [f.reason for f in flags if f.rule == rule]


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
def test_rule_is_quiet_on_plain_traffic(rule: str) -> None:
    """At most 0.2% of a day's plain purchases, and in practice none for most rules."""
    _, plain = _plain()
    false_hits = [flag for flag in _plain_flags() if flag.rule == rule]
    assert len(false_hits) <= _today(plain) * 2 // 1000, [f.reason for f in false_hits]


def test_plain_traffic_is_rarely_held() -> None:
    _, plain = _plain()
    held = [d for d in decide(_plain_flags(), load_rulebook()).values() if d.held]
    assert len(held) <= _today(plain) * 3 // 1000
    assert Counter(flag.rule for flag in _plain_flags()).keys() <= {"amount_spike", "velocity"}


def test_scenarios_end_up_held() -> None:
    traffic, plain = _background()
    injected = [tx for make in dict.fromkeys(SCENARIOS.values()) for tx in make(traffic)]
    decisions = decide(screen_all([*plain, *injected], load_rulebook()), load_rulebook())
    fraud_ids = [tx.transaction_id for tx in injected if tx.transaction_id in traffic.fraud]
    assert all(decisions[i].held for i in fraud_ids), {
        i: decisions.get(i) for i in fraud_ids if not (i in decisions and decisions[i].held)
    }
