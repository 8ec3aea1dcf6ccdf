"""Findings of the fraud screen as plain values: a flag per rule hit, a decision per transaction.

Rules never raise for a suspicious transaction; they return `Hit`s, the screen stamps them
with the rule's name and score into `FraudFlag`s, and `decide` sums the scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from settlement.domain.transactions import StagedTransaction


class Action(StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    DECLINE = "decline"


class Hit(NamedTuple):
    """What a rule returns: the transaction it suspects and why, in words."""

    transaction: StagedTransaction
    reason: str


@dataclass(frozen=True, slots=True)
class FraudFlag:
    transaction_id: str
    rule: str
    score: int
    reason: str


@dataclass(frozen=True, slots=True)
class FraudDecision:
    """The verdict on one flagged transaction; review and decline are held from settlement."""

    transaction_id: str
    action: Action
    score: int
    reasons: tuple[str, ...]  # rule names, highest score first
    details: tuple[str, ...]  # the matching reason texts, same order

    @property
    def held(self) -> bool:
        return self.action is not Action.APPROVE
