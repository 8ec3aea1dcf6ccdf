"""From flags to approve/review/decline, and the scorecard against ground-truth labels."""

from __future__ import annotations

import json

from settlement.domain.fraud import (
    Action,
    FraudFlag,
    action_for,
    decide,
    load_rulebook,
    score_against_labels,
)
from settlement.domain.transactions import FRAUD_SCENARIOS


def _flag(transaction_id: str, rule: str, score: int) -> FraudFlag:
    return FraudFlag(transaction_id, rule, score, f"{rule} fired")


def test_scores_add_up_and_thresholds_pick_the_action() -> None:
    rulebook = load_rulebook()
    decisions = decide(
        [
            _flag("a", "velocity", 50),
            _flag("a", "amount_spike", 50),
            _flag("b", "over_limit", 60),
            _flag("c", "velocity", 40),
            _flag("b", "over_limit", 60),  # the same rule twice counts once
        ],
        rulebook,
    )
    assert decisions["a"].action is Action.DECLINE and decisions["a"].score == 100
    assert decisions["a"].reasons == ("amount_spike", "velocity")
    assert decisions["a"].details == ("amount_spike fired", "velocity fired")
    assert decisions["b"].action is Action.REVIEW and decisions["b"].score == 60
    assert decisions["c"].action is Action.APPROVE and not decisions["c"].held
    assert set(decisions) == {"a", "b", "c"}


def test_threshold_edges_are_inclusive() -> None:
    rulebook = load_rulebook()
    assert action_for(49, rulebook) is Action.APPROVE
    assert action_for(50, rulebook) is Action.REVIEW
    assert action_for(90, rulebook) is Action.DECLINE


def test_scorecard_counts_rules_scenarios_and_the_confusion_matrix() -> None:
    rulebook = load_rulebook()
    flags = [
        _flag("f1", "card_testing", 90),  # card testing, declined
        _flag("f1", "velocity", 50),
        _flag("f2", "velocity", 50),  # spree, review
        _flag("l1", "velocity", 50),  # legit, review: a false positive
        _flag("l2", "high_risk_mcc_night", 40),  # legit, flagged but approved
    ]
    decisions = decide(flags, rulebook)
    labels = {"f1": "card_testing", "f2": "stolen_card_spree", "f3": "amount_spike", "l1": "legit"}
    population = ["f1", "f2", "f3", "l1", "l2", "l3"]
    card = score_against_labels(decisions, labels, population, rulebook).to_dict()
    assert json.loads(json.dumps(card)) == card
    assert (card["population"], card["fraud"], card["unlabelled"]) == (6, 3, 2)
    overall = card["overall"]
    assert (overall["true_positives"], overall["false_positives"], overall["false_negatives"]) == (
        2,
        1,
        1,
    )
    assert overall["precision"] == 0.6667 and overall["recall"] == 0.6667
    rules = {rule["rule"]: rule for rule in card["rules"]}
    velocity = rules["velocity"]
    assert (velocity["hits"], velocity["true_positives"], velocity["precision"]) == (3, 2, 0.6667)
    assert velocity["recall"] == 0.6667 and velocity["target_recall"] == 1.0
    assert rules["card_testing"]["target_fraud"] == 1 and rules["card_testing"]["f1"] == 0.5
    assert rules["over_limit"]["precision"] is None  # no hits: undefined, not zero
    assert rules["high_risk_mcc_night"]["precision"] == 0.0
    scenarios = {row["scenario"]: row for row in card["scenarios"]}
    assert list(scenarios) == list(FRAUD_SCENARIOS)
    assert scenarios["card_testing"]["recall"] == 1.0
    assert scenarios["card_testing"]["caught_by"] == {"card_testing": 1, "velocity": 1}
    assert scenarios["amount_spike"]["recall"] == 0.0
    assert scenarios["impossible_travel"]["recall"] is None
    matrix = card["confusion_matrix"]
    assert matrix["columns"] == ["approve", "review", "decline"]
    assert matrix["rows"]["legit"] == {"approve": 2, "review": 1, "decline": 0}
    assert matrix["rows"]["fraud"] == {"approve": 1, "review": 1, "decline": 1}
    assert matrix["rows"]["card_testing"] == {"approve": 0, "review": 0, "decline": 1}


def test_an_unknown_scenario_label_still_counts_as_fraud() -> None:
    rulebook = load_rulebook()
    card = score_against_labels({}, {"x": "account_takeover"}, ["x"], rulebook).to_dict()
    assert card["fraud"] == 1
    assert card["scenarios"][-1]["scenario"] == "account_takeover"
