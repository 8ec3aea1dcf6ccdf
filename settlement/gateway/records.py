"""From a validated terminal message to the row the staging table keeps.

No I/O and no clock (the receive time is an argument): the PAN becomes a keyed token, BIN
and last four here and goes no further; the business date comes from the terminal's local
time, the business timezone and the cutoff. Not pure domain, though: the row it builds is
the staging adapter's `StagedRow`, in the table's column order, which it checks at import
(this runs once per message on the gateway's hot path, so no per-row dict in between).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from settlement.adapters.staging import STAGED_COLUMNS, StagedRow
from settlement.domain.calendar import business_date_of
from settlement.domain.cards import CardTokenizer, card_bin, card_brand
from settlement.domain.plausibility import TimeWindow
from settlement.domain.pos_message import PosMessage
from settlement.domain.transactions import EntryMode, TransactionType

# The columns in the order `staged_row` builds them, checked against the table at import.
_BUILT_ORDER = (
    "transaction_id", "transaction_type", "original_transaction_id", "merchant_id",
    "terminal_id", "card_token", "card_bin", "card_last4", "card_brand", "card_country",
    "merchant_country", "mcc", "entry_mode", "amount_minor", "currency", "local_time",
    "utc_offset_min", "transacted_at", "business_date", "sent_at", "received_at", "staged_at",
    "message_id", "content_hash", "status",
)  # fmt: skip
if _BUILT_ORDER != STAGED_COLUMNS:  # a migration added or moved a column: update both
    raise ImportError(f"staged_row builds {_BUILT_ORDER}, the table has {STAGED_COLUMNS}")
_MINUTE = timedelta(minutes=1)
_VALUE: dict[StrEnum, str] = {
    member: member.value for kind in (TransactionType, EntryMode) for member in kind
}


@dataclass(frozen=True, slots=True)
class StagingPolicy:
    """How a validated message becomes a row: its card token's key, the business day's zone
    and cutoff, and the window of plausible timestamps (a message outside it is rejected as
    implausible_time before any date arithmetic is done on it)."""

    token_key: bytes = field(repr=False)
    zone: ZoneInfo
    cutoff: time
    window: TimeWindow
    tokenize: CardTokenizer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokenize", CardTokenizer(self.token_key))


def staged_row(
    message: PosMessage,
    policy: StagingPolicy,
    message_id: str,
    received_at: datetime,
    body: str,
) -> StagedRow:
    """Built straight in column order: this runs once per message on the gateway's hot path."""
    pan, local_time = message.pan, message.local_time
    offset = local_time.utcoffset()
    assert offset is not None  # parse_pos_message guarantees an aware local_time
    wall_clock = _naive(local_time)
    kind, mode = _VALUE[message.transaction_type], _VALUE[message.entry_mode]
    offset_min = offset // _MINUTE  # floored, as int(total_seconds()) // 60 would be
    token = policy.tokenize(pan)
    # Fields whose difference makes a redelivery a conflict; sent_at may differ on a retransmission.
    digest = content_hash((
        kind, message.original_transaction_id, message.merchant_id, message.terminal_id, token,
        message.card_country, message.merchant_country, message.mcc, mode, message.amount_minor,
        message.currency, wall_clock, offset_min,
    ))  # fmt: skip
    return StagedRow(
        [
            message.transaction_id, kind, message.original_transaction_id, message.merchant_id,
            message.terminal_id, token, card_bin(pan), pan[-4:], card_brand(pan),
            message.card_country, message.merchant_country, message.mcc, mode,
            message.amount_minor, message.currency,
            wall_clock, offset_min, wall_clock - offset,  # transacted_at: naive UTC
            business_date_of(local_time, policy.zone, policy.cutoff),
            _naive_utc(message.sent_at),
            received_at, received_at,  # staged_at: replaced with the commit time by the gateway
            message_id, digest, "staged",
        ],
        body,
    )  # fmt: skip


def _naive_utc(instant: datetime) -> datetime:
    """The convention of staged rows; a parsed message's sent_at is in UTC already."""
    return _naive(instant if instant.tzinfo is UTC else instant.astimezone(UTC))


def _naive(instant: datetime) -> datetime:
    """The wall clock without its zone: `replace(tzinfo=None)` at a third of its cost (keyword
    arguments are slow to parse), and the same value, fold included."""
    return datetime.combine(instant.date(), instant.time())


# kind, original id, merchant, terminal, card token, card and merchant country, MCC, entry
# mode, amount in minor units, currency, terminal wall clock, UTC offset in minutes.
ContentFields = tuple[str, str | None, str, str, str, str, str, str, str, int, str, datetime, int]


def content_hash(content: ContentFields) -> str:
    """SHA-256 over the content fields, each as `str()`, joined by the unit separator.

    The canonical form is stored: changing it would turn every redelivery of an already
    staged message into a conflict, so it stays byte-for-byte what it has always been
    (`tests/unit/test_staged_row.py` pins it). One f-string formats each field as `str()`
    does, at half the cost of joining `map(str, fields)`; the wall clock through `isoformat`
    with the space `str()` uses, which an f-string reaches only by a slower detour."""
    (
        kind, original, merchant, terminal, token, card_country, merchant_country, mcc, mode,
        amount_minor, currency, wall_clock, offset_min,
    ) = content  # fmt: skip
    text = (
        f"{kind}\x1f{original}\x1f{merchant}\x1f{terminal}\x1f{token}\x1f{card_country}\x1f"
        f"{merchant_country}\x1f{mcc}\x1f{mode}\x1f{amount_minor}\x1f{currency}\x1f"
        f"{wall_clock.isoformat(' ')}\x1f{offset_min}"
    )
    return hashlib.sha256(text.encode()).hexdigest()
