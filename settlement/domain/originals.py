"""Refunds and reversals held to the purchase they name (docs/refunds-and-reversals.md).

A refund gives a cardholder back money a merchant was paid, so it must name a purchase of
the same merchant and currency, and the refunds of one purchase, across every business
date, never exceed it. A reversal voids a sale, so it must equal its purchase exactly
(merchant, terminal, currency, amount), and a purchase is voided once. Without these, a
message could void another merchant's sale or pay out more than was ever taken.

These declarations are the one home of the rules: `reconciliation.reconcile` classifies with
them, the ledger's invariant checks judge a run's settled rows with them again, and the
end-of-day SQL (`eod_sql.pair_reversals`, `judge_refunds`) builds its CASEs from
`REFUND_CHECKS` and `REVERSAL_MUST_EQUAL`, one rendered predicate per `OriginalCheck`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import assert_never

from settlement.domain.money import Money
from settlement.domain.recon_classes import ReconClass
from settlement.domain.transactions import TransactionType


@dataclass(frozen=True, slots=True)
class TransactionFacts:
    """What the rules compare of a transaction (staged, else as its journal line says)."""

    transaction_id: str
    transaction_type: TransactionType
    merchant_id: str
    terminal_id: str
    amount: Money


class OriginalCheck(StrEnum):
    """One thing a refund or reversal is held to about the original it names."""

    IS_PURCHASE = "is_purchase"  # the original is a purchase (not a refund or a reversal)
    SAME_MERCHANT = "same_merchant"
    SAME_TERMINAL = "same_terminal"
    SAME_CURRENCY = "same_currency"
    SAME_AMOUNT = "same_amount"  # amount in minor units (with SAME_CURRENCY: the same money)


# A refund: the first check it fails names its exception, in this order.
REFUND_CHECKS: tuple[tuple[ReconClass, OriginalCheck], ...] = (
    (ReconClass.REFUND_NOT_OF_PURCHASE, OriginalCheck.IS_PURCHASE),
    (ReconClass.REFUND_MERCHANT_MISMATCH, OriginalCheck.SAME_MERCHANT),
    (ReconClass.REFUND_CURRENCY_MISMATCH, OriginalCheck.SAME_CURRENCY),
)

# A reversal voids its original only when every one of these holds; else reversal_mismatch.
REVERSAL_MUST_EQUAL: tuple[OriginalCheck, ...] = (
    OriginalCheck.IS_PURCHASE,
    OriginalCheck.SAME_MERCHANT,
    OriginalCheck.SAME_TERMINAL,
    OriginalCheck.SAME_CURRENCY,
    OriginalCheck.SAME_AMOUNT,
)


def check_holds(
    check: OriginalCheck, claimant: TransactionFacts, original: TransactionFacts
) -> bool:
    """Whether `claimant` (a refund or reversal) passes `check` against `original`."""
    match check:
        case OriginalCheck.IS_PURCHASE:
            return original.transaction_type is TransactionType.PURCHASE
        case OriginalCheck.SAME_MERCHANT:
            return claimant.merchant_id == original.merchant_id
        case OriginalCheck.SAME_TERMINAL:
            return claimant.terminal_id == original.terminal_id
        case OriginalCheck.SAME_CURRENCY:
            return claimant.amount.currency == original.amount.currency
        case OriginalCheck.SAME_AMOUNT:
            return claimant.amount.amount_minor == original.amount.amount_minor
    assert_never(check)


def refund_mismatch(refund: TransactionFacts, original: TransactionFacts) -> ReconClass | None:
    """Why `refund` may not refund `original` at all (`REFUND_CHECKS`, in order); None when
    it may."""
    for recon_class, check in REFUND_CHECKS:
        if not check_holds(check, refund, original):
            return recon_class
    return None


def refundable_minor(original: TransactionFacts, voided: bool) -> int:
    """What all refunds of `original` may add up to: nothing once a reversal voided it."""
    return 0 if voided else original.amount.amount_minor


def reversal_equals(reversal: TransactionFacts, original: TransactionFacts) -> bool:
    """A reversal voids only the purchase it equals (`REVERSAL_MUST_EQUAL`)."""
    return all(check_holds(check, reversal, original) for check in REVERSAL_MUST_EQUAL)


@dataclass(frozen=True, slots=True)
class Claim:
    """A refund asking for money back against one purchase, in the order refunds are served."""

    transacted_at: datetime
    transaction_id: str
    amount_minor: int


def refunds_over(claims: Iterable[Claim], refunded_minor: int, budget_minor: int) -> set[str]:
    """Ids of the refunds that do not fit: served by (transacted_at, transaction_id), each
    counted into the running total; from the first one that takes the total (with what
    earlier runs `refunded_minor`) past the budget, it and every later one are refused.

    Why a prefix and not a best fit: a running sum is deterministic, set-based in SQL (a
    window function), and never lets a small later refund jump the queue of a refused one.
    """
    over: set[str] = set()
    total = refunded_minor
    for claim in sorted(claims, key=lambda c: (c.transacted_at, c.transaction_id)):
        total += claim.amount_minor
        if total > budget_minor:
            over.add(claim.transaction_id)
    return over


def first_of(reversals: Sequence[tuple[datetime, str]]) -> str:
    """The reversal that voids a purchase when several equal ones name it: the earliest."""
    return min(reversals)[1]
