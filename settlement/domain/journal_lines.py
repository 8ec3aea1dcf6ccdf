"""A journal.csv line: what a terminal says it did, checked field by field before the end of
day reconciles staged transactions against it.

The same rules as the gateway's for the same facts (id grammar, positive amount under the
message ceiling, plausible local time, a refund or reversal names its original), so a
transaction the gateway accepts is never a journal line the import refuses. Then
`parse_journal_row` builds the entry and derives its business date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Final
from zoneinfo import ZoneInfo

from settlement.domain.file_lines import (
    LineReason,
    LineRejected,
    amount_minor,
    currency_code,
    identifier,
    preview,
    reject_pans,
    required,
)
from settlement.domain.identifiers import SHORT_ID, TRANSACTION_ID
from settlement.domain.plausibility import TimeWindow
from settlement.domain.pos_message import MAX_AMOUNT_MINOR
from settlement.domain.reconciliation import JournalEntry, JournalFormatError, parse_journal_row
from settlement.domain.transactions import TransactionType

JOURNAL_COLUMNS: Final = (
    "transaction_id", "terminal_id", "merchant_id", "type", "amount", "currency",
    "local_time", "pan_last4", "original_transaction_id",
)  # fmt: skip
_LAST4 = re.compile(r"[0-9]{4}")
_TYPES = " | ".join(kind.value for kind in TransactionType)


def parse_journal_line(
    row: Mapping[str, str], zone: ZoneInfo, cutoff: time, received_at: datetime, window: TimeWindow
) -> JournalEntry:
    """One journal.csv line (values stripped); `received_at` is the import's clock reading
    (naive UTC). Raises `LineRejected`."""
    reject_pans(row)
    transaction_id = identifier(row, "transaction_id", TRANSACTION_ID)
    identifier(row, "terminal_id", SHORT_ID)
    identifier(row, "merchant_id", SHORT_ID)
    _original(row, _type(row), transaction_id)
    currency = currency_code(row, "currency")
    amount_minor(
        required(row, "amount"), currency, "amount", low_minor=1, high_minor=MAX_AMOUNT_MINOR,
        too_big=LineReason.AMOUNT_OUT_OF_RANGE,
    )  # fmt: skip
    _plausible(_local_time(row), received_at, window)
    last4 = required(row, "pan_last4")
    if not _LAST4.fullmatch(last4):
        raise LineRejected(
            LineReason.INVALID_FIELD, f"pan_last4 {preview(last4)} is not 4 digits (0-9)"
        )
    try:
        return parse_journal_row(row, zone, cutoff)
    except JournalFormatError as error:  # not expected after the checks above
        raise LineRejected(LineReason.INVALID_FIELD, str(error)) from None


def _type(row: Mapping[str, str]) -> TransactionType:
    value = required(row, "type")
    try:
        return TransactionType(value)
    except ValueError:
        raise LineRejected(
            LineReason.INVALID_FIELD, f"type {preview(value)} is not one of {_TYPES}"
        ) from None


def _original(row: Mapping[str, str], kind: TransactionType, transaction_id: str) -> None:
    if not row.get("original_transaction_id"):
        if kind is not TransactionType.PURCHASE:
            raise LineRejected(
                LineReason.MISSING_ORIGINAL, f"a {kind} needs original_transaction_id"
            )
        return
    original = identifier(row, "original_transaction_id", TRANSACTION_ID)
    if original == transaction_id:
        raise LineRejected(
            LineReason.INVALID_FIELD, f"original_transaction_id is the line's own id {original!r}"
        )


def _local_time(row: Mapping[str, str]) -> datetime:
    value = required(row, "local_time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise LineRejected(
            LineReason.INVALID_FIELD, f"local_time {preview(value)} is not ISO 8601 with offset"
        )
    return parsed


def _plausible(local_time: datetime, received_at: datetime, window: TimeWindow) -> None:
    problem = window.implausibility(received_at, local_time)
    if problem is not None:
        raise LineRejected(LineReason.IMPLAUSIBLE_TIME, problem)
