"""From a validated terminal message to the row the staging table keeps.

Pure: the PAN becomes a keyed token, BIN and last four here and goes no further; the
business date comes from the terminal's local time, the business timezone and the cutoff.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from settlement.adapters.staging import StagedRow
from settlement.domain.calendar import business_date_of
from settlement.domain.cards import tokenize
from settlement.domain.pos_message import PosMessage

# Fields whose difference makes a redelivery a conflict; sent_at may differ on a retransmission.
_CONTENT_FIELDS = (
    "transaction_type", "original_transaction_id", "merchant_id", "terminal_id", "card_token",
    "card_country", "merchant_country", "mcc", "entry_mode", "amount_minor", "currency",
    "local_time", "utc_offset_min",
)  # fmt: skip


_CONTENT_VALUES = itemgetter(*_CONTENT_FIELDS)


@dataclass(frozen=True, slots=True)
class StagingPolicy:
    token_key: bytes
    zone: ZoneInfo
    cutoff: time


def staged_row(
    message: PosMessage,
    policy: StagingPolicy,
    message_id: str,
    received_at: datetime,
    body: str,
) -> StagedRow:
    card = tokenize(message.pan, policy.token_key)
    offset = message.local_time.utcoffset()
    assert offset is not None  # parse_pos_message guarantees an aware local_time
    local_time = message.local_time.replace(tzinfo=None)
    values: dict[str, Any] = {
        "transaction_id": message.transaction_id,
        "transaction_type": message.transaction_type.value,
        "original_transaction_id": message.original_transaction_id,
        "merchant_id": message.merchant_id,
        "terminal_id": message.terminal_id,
        "card_token": card.token,
        "card_bin": card.bin,
        "card_last4": card.last4,
        "card_brand": card.brand,
        "card_country": message.card_country,
        "merchant_country": message.merchant_country,
        "mcc": message.mcc,
        "entry_mode": message.entry_mode.value,
        "amount_minor": message.amount.amount_minor,
        "currency": message.amount.currency,
        "local_time": local_time,
        "utc_offset_min": int(offset.total_seconds()) // 60,
        "transacted_at": local_time - offset,  # naive UTC
        "business_date": business_date_of(message.local_time, policy.zone, policy.cutoff),
        "sent_at": message.sent_at.astimezone(UTC).replace(tzinfo=None),
        "received_at": received_at,
        "staged_at": received_at,  # replaced with the commit time by the gateway
        "message_id": message_id,
        "status": "staged",
    }
    values["content_hash"] = content_hash(values)
    return StagedRow(values, body)


def content_hash(values: dict[str, Any]) -> str:
    """SHA-256 over the content fields, each as `str()`, joined by the unit separator.

    The canonical form is stored: changing it would turn every redelivery of an already
    staged message into a conflict, so it stays byte-for-byte what it has always been."""
    canonical = "\x1f".join(map(str, _CONTENT_VALUES(values)))
    return hashlib.sha256(canonical.encode()).hexdigest()
