"""The names other components rely on: fraud labels, fault kinds, the message contract id.

Fraud labels are the settlement side's `FRAUD_SCENARIOS` (imported, not copied, so the two
cannot drift); fault kinds are the simulator's own and double as the gateway's reason codes
for the malformed ones.
"""

from __future__ import annotations

from typing import Final

from settlement.domain.transactions import FRAUD_SCENARIOS, LEGIT_LABEL

SCHEMA_ID: Final = "cardsettle.pos.v1"

FRAUD_LABELS: Final[tuple[str, ...]] = FRAUD_SCENARIOS
LEGIT: Final = LEGIT_LABEL

# Delivery faults: the message stream disagrees with the terminals' journal.
DELIVERY_FAULTS: Final = ("lost", "duplicated", "altered_amount", "late", "orphan_refund")
# Malformed messages: the gateway must reject them with these names as reason codes.
MALFORMED_FAULTS: Final = (
    "malformed_json",
    "missing_field",
    "unknown_currency",
    "too_many_decimals",
    "failed_luhn",
)
FAULT_KINDS: Final = DELIVERY_FAULTS + MALFORMED_FAULTS

TRANSACTION_TYPES: Final = ("purchase", "refund", "reversal")
ENTRY_MODES: Final = ("chip", "contactless", "ecommerce", "magstripe", "manual")

# Key order of every message; the JSON Schema lists the same keys.
MESSAGE_KEYS: Final = (
    "schema",
    "transaction_id",
    "type",
    "original_transaction_id",
    "merchant_id",
    "terminal_id",
    "pan",
    "expiry",
    "amount",
    "currency",
    "card_country",
    "merchant_country",
    "mcc",
    "entry_mode",
    "local_time",
    "sent_at",
)
JOURNAL_COLUMNS: Final = (
    "transaction_id",
    "terminal_id",
    "merchant_id",
    "type",
    "amount",
    "currency",
    "local_time",
    "pan_last4",
    "original_transaction_id",
)
MERCHANT_COLUMNS: Final = (
    "merchant_id",
    "name",
    "mcc",
    "country",
    "city",
    "timezone",
    "settlement_currency",
    "mdr_bps",
    "fee_fixed",
)
LABEL_COLUMNS: Final = ("transaction_id", "label")
FAULT_COLUMNS: Final = ("transaction_id", "line", "fault")
