"""The names other components rely on: fraud labels, fault kinds, the message contract.

Fraud labels are the settlement side's `FRAUD_SCENARIOS`, and the message's fields, types
and entry modes the domain's wire contract (`settlement.domain.pos_message`,
`transactions`): imported, not copied, so the two sides cannot drift. Fault kinds are the
simulator's own and double as the gateway's reason codes for the malformed ones.
"""

from __future__ import annotations

from typing import Final

from settlement.domain.pos_message import MESSAGE_FIELDS, SCHEMA_ID
from settlement.domain.transactions import (
    FRAUD_SCENARIOS,
    LEGIT_LABEL,
    EntryMode,
    TransactionType,
)

__all__ = [
    "DELIVERY_FAULTS",
    "ENTRY_MODES",
    "FAULT_COLUMNS",
    "FAULT_KINDS",
    "FRAUD_LABELS",
    "JOURNAL_COLUMNS",
    "LABEL_COLUMNS",
    "LEGIT",
    "MALFORMED_FAULTS",
    "MERCHANT_COLUMNS",
    "MESSAGE_KEYS",
    "SCHEMA_ID",
    "TRANSACTION_TYPES",
]

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

TRANSACTION_TYPES: Final = tuple(kind.value for kind in TransactionType)
ENTRY_MODES: Final = tuple(mode.value for mode in EntryMode)

# Key order of every message: the wire contract's own list.
MESSAGE_KEYS: Final = MESSAGE_FIELDS
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
    "iban",
    "bic",
)
LABEL_COLUMNS: Final = ("transaction_id", "label")
FAULT_COLUMNS: Final = ("transaction_id", "line", "fault")
