"""The high-risk MCC list has one sourced home, the simulator draws from it, and the scorecard
says how much of each scenario the rules meant for it can catch at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_simulator.fraud import SCENARIOS
from pos_simulator.mcc import CARD_ABSENT_ONLY, HIGH_RISK_MCCS, MCC_TABLE
from settlement.domain.fraud import load_rulebook, score_against_labels
from settlement.domain.fraud.params import RulebookError
from settlement.domain.fraud.rulebook import default_params
from settlement.domain.fraud.rules.high_risk_mcc_night import unreachable
from settlement.domain.fraud.scorecard import NO_RULE, FraudGroups, reach_by_scenario
from settlement.domain.transactions import EntryMode, StagedTransaction
from tests.support.fraud_traffic import Traffic, screen_all, to_eur

# Visa Integrity Risk Program (1 May 2023), High-Integrity Risk MCCs, tiers 1 to 3.
VISA_VIRP_TIER_1 = {"5967", "7273", "7995", "5122", "5912"}
VISA_VIRP_TIER_2 = {"6051", "6012", "4816", "5816"}
VISA_VIRP_TIER_3 = {"6211", "5966", "5968", "5993"}
NIGHT = datetime(2026, 11, 27, 1, 30)  # 02:30 in Germany
NOON = datetime(2026, 11, 27, 12, 0)
OUTSIDE = "high_risk_mcc_night: MCC 5933 is not in the rule's list"
COUNTER = "high_risk_mcc_night: MCC 5912 counts only card-absent, this was chip"
DAYTIME = "high_risk_mcc_night: local time outside 00:00-05:00"


def _rule_mccs() -> set[str]:
    rule = next(r for r in load_rulebook().rules if r.name == "high_risk_mcc_night")
    return set(rule.params.mccs)


def test_the_default_list_is_visas_high_integrity_risk_list() -> None:
    assert _rule_mccs() == VISA_VIRP_TIER_1 | VISA_VIRP_TIER_2 | VISA_VIRP_TIER_3
    assert not _rule_mccs() & {"5933", "4829"}  # pawn, money transfer: on no Visa list


def test_the_simulator_draws_the_rules_own_list() -> None:
    params = default_params("high_risk_mcc_night")
    assert HIGH_RISK_MCCS == _rule_mccs() == set(params.mccs)
    assert CARD_ABSENT_ONLY == set(params.card_absent_only)
    night = SCENARIOS["high_risk_mcc_night"]
    online = {mcc.code for mcc in MCC_TABLE if night.eligible(_merchant_at(mcc.code, True))}
    present = {mcc.code for mcc in MCC_TABLE if night.eligible(_merchant_at(mcc.code, False))}
    assert online == HIGH_RISK_MCCS  # every listed MCC has a profile, and nothing else is drawn
    assert present == HIGH_RISK_MCCS - CARD_ABSENT_ONLY  # in person only where that counts


def _merchant_at(code: str, online: bool) -> Any:
    return SimpleNamespace(mcc=next(m for m in MCC_TABLE if m.code == code), online=online)


def _night_day() -> tuple[Traffic, list[StagedTransaction]]:
    traffic = Traffic(seed=3, cards_count=20)
    buy = traffic.purchase
    day = [
        *(buy(traffic.cards[i], NIGHT, "DE", 9_000, mcc="7995", scenario="high_risk_mcc_night")
          for i in range(3)),
        *(buy(traffic.cards[i], NIGHT, "DE", 9_000, mcc="5933", scenario="high_risk_mcc_night")
          for i in range(3, 5)),
        buy(traffic.cards[5], NOON, "DE", 9_000, mcc="7273", scenario="high_risk_mcc_night"),
        buy(traffic.cards[6], NIGHT, "DE", 9_000, mcc="5912", scenario="high_risk_mcc_night",
            mode=EntryMode.CHIP),
        buy(traffic.cards[7], NIGHT, "DE", 9_000, mcc="5912", scenario="high_risk_mcc_night",
            mode=EntryMode.ECOMMERCE),
        buy(traffic.cards[8], NOON, "DE", 9_000, mcc="5411"),
    ]  # fmt: skip
    return traffic, day


def _scenario(rules_toml: str | None = None) -> dict[str, object]:
    traffic, day = _night_day()
    rulebook = load_rulebook(rules_toml)
    ids = [tx.transaction_id for tx in day]
    groups = FraudGroups.of(day, day[0].business_date, to_eur)
    card = score_against_labels(
        {}, traffic.fraud, ids, rulebook, reach_by_scenario(groups, traffic.fraud, rulebook)
    ).to_dict()
    return next(row for row in card["scenarios"] if row["scenario"] == "high_risk_mcc_night")


def test_the_scorecard_counts_what_the_rules_can_never_catch() -> None:
    row = _scenario()
    assert (row["transactions"], row["catchable"]) == (8, 4)
    assert row["not_catchable"] == {OUTSIDE: 2, DAYTIME: 1, COUNTER: 1}


def test_a_scenario_without_an_enabled_rule_cannot_be_caught() -> None:
    row = _scenario("[rules.high_risk_mcc_night]\nenabled = false")
    assert row["catchable"] == 0 and row["not_catchable"] == {NO_RULE: 8}


def test_without_the_purchases_catchability_is_not_claimed() -> None:
    card = score_against_labels({}, {"x": "card_testing"}, ["x"], load_rulebook()).to_dict()
    assert card["scenarios"][0]["catchable"] is None


@settings(max_examples=60, deadline=None)
@given(
    mcc=st.sampled_from(sorted(HIGH_RISK_MCCS | {"5933", "4829", "5411", "7994"})),
    minute=st.integers(0, 24 * 60 - 1),
    mode=st.sampled_from(list(EntryMode)),
)
def test_reach_says_exactly_what_the_rule_can_flag(mcc: str, minute: int, mode: EntryMode) -> None:
    traffic = Traffic(seed=1, cards_count=2)
    at = datetime(2026, 11, 27) + timedelta(minutes=minute)
    tx = traffic.purchase(traffic.cards[0], at, "GB", 9_000, mcc=mcc, mode=mode)
    rulebook = load_rulebook()
    rule = next(r for r in rulebook.rules if r.name == "high_risk_mcc_night")
    flagged = any(f.rule == rule.name for f in screen_all([tx], rulebook, at.date()))
    assert flagged == (unreachable(tx, rule.params) is None)


def test_a_card_absent_mode_must_be_an_entry_mode() -> None:
    with pytest.raises(RulebookError, match="card_absent_modes: 'moto' is not one of"):
        load_rulebook('[rules.high_risk_mcc_night]\ncard_absent_modes = ["moto"]')
