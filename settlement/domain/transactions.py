"""The staged transaction as the core sees it: what the gateway stored, with no PAN.

Shared vocabulary for reconciliation, fraud rules, FX and netting. Amounts are integer
minor units of `currency`; times are naive UTC (`transacted_at`) beside the terminal's
wall clock and offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from settlement.domain.money import Money


class TransactionType(StrEnum):
    PURCHASE = "purchase"
    REFUND = "refund"
    REVERSAL = "reversal"


class EntryMode(StrEnum):
    CHIP = "chip"
    CONTACTLESS = "contactless"
    ECOMMERCE = "ecommerce"
    MAGSTRIPE = "magstripe"
    MANUAL = "manual"


# Ground-truth fraud scenario names shared by the simulator's labels.csv and the rule scorer.
FRAUD_SCENARIOS = (
    "card_testing",
    "stolen_card_spree",
    "compromised_terminal",
    "impossible_travel",
    "amount_spike",
    "high_risk_mcc_night",
)
LEGIT_LABEL = "legit"


@dataclass(frozen=True, slots=True)
class StagedTransaction:
    transaction_id: str
    transaction_type: TransactionType
    original_transaction_id: str | None
    merchant_id: str
    terminal_id: str
    card_token: str
    card_bin: str
    card_last4: str
    card_brand: str
    card_country: str
    merchant_country: str
    mcc: str
    entry_mode: EntryMode
    amount_minor: int
    currency: str
    local_time: datetime
    utc_offset_min: int
    transacted_at: datetime
    business_date: date

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
