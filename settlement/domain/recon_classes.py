"""The classes a reconciliation item can end in, what each means, and the outcome it leads to.

One home for the vocabulary: the pure reconciliation, the SQL of the run (which writes these
values as literals taken from here) and the reports (which explain a class by `meaning`) all
read it from this module.
"""

from __future__ import annotations

from enum import StrEnum


class ReconClass(StrEnum):
    MATCHED = "matched"
    AMOUNT_MISMATCH = "amount_mismatch"
    MISSING_IN_STAGING = "missing_in_staging"
    UNEXPECTED_IN_STAGING = "unexpected_in_staging"
    LATE = "late"
    ORPHAN_REFUND = "orphan_refund"
    REVERSED = "reversed"
    UNPAIRED_REVERSAL = "unpaired_reversal"
    REVERSAL_MISMATCH = "reversal_mismatch"
    REVERSAL_DUPLICATE = "reversal_duplicate"
    REFUND_NOT_OF_PURCHASE = "refund_not_of_purchase"
    REFUND_MERCHANT_MISMATCH = "refund_merchant_mismatch"
    REFUND_CURRENCY_MISMATCH = "refund_currency_mismatch"
    REFUND_EXCEEDS_ORIGINAL = "refund_exceeds_original"

    @property
    def meaning(self) -> str:
        """One line for a reader of the report (docs/refunds-and-reversals.md says more)."""
        return _MEANING[self]


_MEANING = {
    ReconClass.MATCHED: "journal and staging agree (by id, or a tolerant match)",
    ReconClass.AMOUNT_MISMATCH: "same transaction, different amount or currency",
    ReconClass.MISSING_IN_STAGING: "in the journal, never staged (lost or rejected by the gateway)",
    ReconClass.UNEXPECTED_IN_STAGING: "staged, but not in the terminals' journal",
    ReconClass.LATE: "sent after the cutoff, or a late arrival of an earlier date",
    ReconClass.ORPHAN_REFUND: "refund or reversal whose original is nowhere",
    ReconClass.REVERSED: "a purchase and the one reversal equal to it: nothing settles",
    ReconClass.UNPAIRED_REVERSAL: (
        "a reversal equal to a purchase not matched in this run, or refunded by another run"
    ),
    ReconClass.REVERSAL_MISMATCH: (
        "a reversal that differs from its original (merchant, terminal, currency, amount)"
        " or names no purchase: voids nothing"
    ),
    ReconClass.REVERSAL_DUPLICATE: "a second reversal of a purchase already voided",
    ReconClass.REFUND_NOT_OF_PURCHASE: "a refund naming a refund or a reversal",
    ReconClass.REFUND_MERCHANT_MISMATCH: "a refund naming another merchant's purchase",
    ReconClass.REFUND_CURRENCY_MISMATCH: "a refund in another currency than its purchase",
    ReconClass.REFUND_EXCEEDS_ORIGINAL: (
        "a refund that takes the purchase's refunds (all dates) past its amount,"
        " or refunds a reversed purchase"
    ),
}


class Outcome(StrEnum):
    SETTLED = "settled"
    HELD = "held"
    EXCEPTION = "exception"
    REVERSED = "reversed"
    NOT_STAGED = "not_staged"  # journal only: no money reached us


def outcome_of(recon_class: ReconClass) -> Outcome:
    if recon_class is ReconClass.MATCHED:
        return Outcome.SETTLED
    if recon_class is ReconClass.REVERSED:
        return Outcome.REVERSED
    if recon_class is ReconClass.MISSING_IN_STAGING:
        return Outcome.NOT_STAGED
    return Outcome.EXCEPTION
