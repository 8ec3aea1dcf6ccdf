"""Why a settling item is held instead of paid: the one home of the hold reasons.

A hold parks the item's money in held suspense until someone looks (docs/end-of-day.md). The
end of day writes these reasons, the report counts and explains them, and both take them from
here, so a new reason or a renamed one is one edit.
"""

from __future__ import annotations

from enum import StrEnum

from settlement.domain.fraud.model import Action


class HoldReason(StrEnum):
    FRAUD_REVIEW = "fraud_review"  # the rulebook's decision: an analyst reviews it first
    FRAUD_DECLINE = "fraud_decline"  # the rulebook's decision: not paid
    NO_RATE = "no_rate"  # no usable FX rate for the currency pair on the business date
    UNKNOWN_MERCHANT = "unknown_merchant"  # the merchant is not in the master data


FRAUD_HOLDS: dict[Action, HoldReason] = {
    Action.REVIEW: HoldReason.FRAUD_REVIEW,
    Action.DECLINE: HoldReason.FRAUD_DECLINE,
}
