"""From flags to verdicts: sum each transaction's rule scores and compare with the thresholds.

Only flagged transactions get a decision; every other transaction is approved. A decision
below `review_at` (a lone low-score rule) is still returned, as `approve`, so the report can
show near misses; review and decline are held from settlement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from settlement.domain.fraud.model import Action, FraudDecision, FraudFlag
from settlement.domain.fraud.rulebook import Rulebook


def action_for(score: int, rulebook: Rulebook) -> Action:
    if score >= rulebook.decline_at:
        return Action.DECLINE
    if score >= rulebook.review_at:
        return Action.REVIEW
    return Action.APPROVE


def decide(flags: Iterable[FraudFlag], rulebook: Rulebook) -> dict[str, FraudDecision]:
    """transaction_id -> decision, for every transaction with at least one flag."""
    by_transaction: defaultdict[str, dict[str, FraudFlag]] = defaultdict(dict)
    for flag in flags:
        by_transaction[flag.transaction_id].setdefault(flag.rule, flag)
    decisions: dict[str, FraudDecision] = {}
    for transaction_id, by_rule in by_transaction.items():
        ranked = sorted(by_rule.values(), key=lambda flag: (-flag.score, flag.rule))
        score = sum(flag.score for flag in ranked)
        decisions[transaction_id] = FraudDecision(
            transaction_id,
            action_for(score, rulebook),
            score,
            tuple(flag.rule for flag in ranked),
            tuple(flag.reason for flag in ranked),
        )
    return decisions
