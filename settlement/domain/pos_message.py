"""The `cardsettle.pos.v1` terminal message: parse and validate, with a specific reason.

Two paths, one verdict. The careful path is hand-written because every rejection needs a
precise, stable reason code (the rejects table and the reports group by it). The fast path
runs first, once per message on the gateway's hot path: one pydantic-core pass parses the
JSON and checks every field's shape (in Rust, a third of the careful path's cost), then the
checks no pattern can make (Luhn, currency exponent, ceiling, PAN in an id, timestamps).
It only ever accepts: at the first doubt it hands the body to the careful path, which decides.
Its patterns are ASCII subsets of the careful ones, so anything it accepts the careful path
accepts identically (a property test holds the two to that). The JSON Schema shipped with
the simulator documents the same contract; a test checks the two agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from settlement.domain.cards import PAN_LENGTHS, luhn_valid
from settlement.domain.currencies import is_known_currency
from settlement.domain.money import AmountFormatError, Money, minor_units
from settlement.domain.transactions import EntryMode, TransactionType

SCHEMA_ID = "cardsettle.pos.v1"
_E = TypeVar("_E", bound=StrEnum)
REQUIRED_FIELDS = (
    "schema", "transaction_id", "type", "merchant_id", "terminal_id", "pan", "expiry",
    "amount", "currency", "card_country", "merchant_country", "mcc", "entry_mode",
    "local_time", "sent_at",
)  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_SHORT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,31}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_MCC = re.compile(r"\d{4}")
_EXPIRY = re.compile(r"(0[1-9]|1[0-2])/\d{2}")
_AMOUNT = re.compile(r"\d+(\.\d+)?")
_DIGIT_RUN = re.compile(r"\d{13,19}")
# The fast path's ids are ASCII (its patterns say so), where \d is [0-9], and any run of 13
# digits is one of 13 or more: the same verdict as `_DIGIT_RUN` at half its cost.
_ASCII_DIGIT_RUN = re.compile(r"[0-9]{13}")
# The largest amount a message may carry, in minor units of its currency: 13 digits, i.e.
# 99,999,999,999.99 EUR or 9,999,999,999,999 JPY. Far above any card transaction, and some
# 900,000 times below BIGINT (the column's type), so end-of-day sums and FX conversions of
# amounts this size still fit in 64 bits.
MAX_AMOUNT_MINOR = 10**13 - 1
_CEILING_DIGITS = len(str(MAX_AMOUNT_MINOR))
_PLAIN_AMOUNT_MAX_CHARS = _CEILING_DIGITS + 5  # 13 digits, a point, up to 4 decimals


class RejectReason(StrEnum):
    MALFORMED_JSON = "malformed_json"
    MISSING_FIELD = "missing_field"
    UNSUPPORTED_SCHEMA = "unsupported_schema"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_CURRENCY = "unknown_currency"
    TOO_MANY_DECIMALS = "too_many_decimals"
    INVALID_AMOUNT = "invalid_amount"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    FAILED_LUHN = "failed_luhn"
    MISSING_ORIGINAL = "missing_original"
    PAN_IN_WRONG_FIELD = "pan_in_wrong_field"
    CONFLICT = "conflict"
    STORAGE_REJECTED = "storage_rejected"


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: RejectReason
    detail: str
    transaction_id: str | None = None


class PosMessage(NamedTuple):
    """A validated message. A NamedTuple rather than a frozen dataclass: it is built once per
    message on the gateway's hot path, where a 13-field frozen dataclass cost 6 us of ~30."""

    transaction_id: str
    transaction_type: TransactionType
    original_transaction_id: str | None
    merchant_id: str
    terminal_id: str
    pan: str
    amount_minor: int  # in `currency`'s minor units; `amount` is the two as Money
    currency: str
    card_country: str
    merchant_country: str
    mcc: str
    entry_mode: EntryMode
    local_time: datetime  # aware, the terminal's offset
    sent_at: datetime  # aware UTC

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class _Invalid(Exception):
    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_pos_message(body: str) -> PosMessage | Rejection:
    """Parse one message body; never raises for bad input, returns a `Rejection` instead."""
    message = _fast_parse(body)
    return message if message is not None else careful_parse(body)


def careful_parse(body: str) -> PosMessage | Rejection:
    """The reference validator: field by field, each failure with its own reason."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        return Rejection(RejectReason.MALFORMED_JSON, f"body is not valid JSON: {error}")
    if not isinstance(document, dict):
        return Rejection(RejectReason.MALFORMED_JSON, "body is JSON but not an object")
    try:
        return _validated(document)
    except _Invalid as invalid:
        return Rejection(invalid.reason, invalid.detail, _reference(document))


def _validated(doc: dict[str, Any]) -> PosMessage:
    if None in map(doc.get, REQUIRED_FIELDS):  # one C-level pass; the list only on failure
        missing = [name for name in REQUIRED_FIELDS if doc.get(name) is None]
        raise _Invalid(RejectReason.MISSING_FIELD, "missing field(s): " + ", ".join(missing))
    if doc["schema"] != SCHEMA_ID:
        raise _Invalid(
            RejectReason.UNSUPPORTED_SCHEMA, f"schema {doc['schema']!r} is not {SCHEMA_ID}"
        )
    kind = _enum(doc, "type", TransactionType)
    original = doc.get("original_transaction_id")
    if kind is not TransactionType.PURCHASE and original is None:
        raise _Invalid(RejectReason.MISSING_ORIGINAL, f"a {kind} needs original_transaction_id")
    # Checked in the message's field order: the first failure is the one reported.
    transaction_id = _text(doc, "transaction_id", _IDENTIFIER)
    original_id = _optional_id(doc, "original_transaction_id")
    merchant_id = _text(doc, "merchant_id", _SHORT_ID)
    terminal_id = _text(doc, "terminal_id", _SHORT_ID)
    pan, amount = _pan(doc), _amount(doc)
    return PosMessage(
        transaction_id=transaction_id,
        transaction_type=kind,
        original_transaction_id=original_id,
        merchant_id=merchant_id,
        terminal_id=terminal_id,
        pan=pan,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        card_country=_text(doc, "card_country", _COUNTRY),
        merchant_country=_text(doc, "merchant_country", _COUNTRY),
        mcc=_text(doc, "mcc", _MCC),
        entry_mode=_enum(doc, "entry_mode", EntryMode),
        local_time=_timestamp(doc, "local_time"),
        sent_at=_timestamp(doc, "sent_at").astimezone(UTC),
    )  # fmt: skip


def _text_field(pattern: str, *, nullable: bool = False) -> cs.TypedDictField:
    text = cs.str_schema(pattern=pattern, strict=True)
    return cs.typed_dict_field(cs.nullable_schema(text) if nullable else text)


def _choice(kind: type[StrEnum]) -> cs.TypedDictField:
    return cs.typed_dict_field(cs.literal_schema([member.value for member in kind]))


# By value, as plain dicts: calling an Enum class to look a member up costs a microsecond.
_TYPES = {member.value: member for member in TransactionType}
_ENTRY_MODES = {member.value: member for member in EntryMode}


_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"  # ASCII subsets of the careful path's patterns
_SHORT = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$"
_WELL_FORMED = SchemaValidator(
    cs.typed_dict_schema(
        {
            "schema": cs.typed_dict_field(cs.literal_schema([SCHEMA_ID])),
            "transaction_id": _text_field(_ID),
            "type": _choice(TransactionType),
            "original_transaction_id": _text_field(_ID, nullable=True),
            "merchant_id": _text_field(_SHORT),
            "terminal_id": _text_field(_SHORT),
            "pan": _text_field(r"^[0-9]{13,19}$"),
            "expiry": _text_field(r"^(0[1-9]|1[0-2])/[0-9]{2}$"),
            # No leading zero, at most the ceiling's 13 digits before the point.
            "amount": _text_field(r"^[1-9][0-9]{0,12}(\.[0-9]{1,4})?$"),
            "currency": _text_field(r"^[A-Z]{3}$"),
            "card_country": _text_field(r"^[A-Z]{2}$"),
            "merchant_country": _text_field(r"^[A-Z]{2}$"),
            "mcc": _text_field(r"^[0-9]{4}$"),
            "entry_mode": _choice(EntryMode),
            "local_time": cs.typed_dict_field(cs.str_schema(strict=True)),
            "sent_at": cs.typed_dict_field(cs.str_schema(strict=True)),
        },
        extra_behavior="ignore",
    )
)


def _fast_parse(body: str) -> PosMessage | None:
    """The message if it is plainly valid; None sends it to `careful_parse` for a verdict."""
    try:
        doc = _WELL_FORMED.validate_json(body)
    except (ValidationError, ValueError):  # ValueError: a str that is not valid UTF-8
        return None
    return _plain_message(doc)


def _plain_message(doc: dict[str, Any]) -> PosMessage | None:
    """The checks no pattern makes, on a document of the right shape; None at any doubt."""
    kind, original, pan = _TYPES[doc["type"]], doc["original_transaction_id"], doc["pan"]
    ids = (doc["transaction_id"], original or "", doc["merchant_id"], doc["terminal_id"])
    currency = doc["currency"]
    if (
        (kind is not TransactionType.PURCHASE and original is None)
        or not luhn_valid(pan)
        or _ASCII_DIGIT_RUN.search("/".join(ids))  # a PAN-long digit run in an id: careful judges
        or not is_known_currency(currency)
    ):
        return None
    amount_minor = _plain_amount(doc["amount"], currency)
    local_time, sent_at = _aware(doc["local_time"]), _aware(doc["sent_at"])
    if amount_minor is None or local_time is None or sent_at is None:
        return None
    return PosMessage(
        ids[0], kind, original, ids[2], ids[3], pan, amount_minor, currency, doc["card_country"],
        doc["merchant_country"], doc["mcc"], _ENTRY_MODES[doc["entry_mode"]], local_time,
        sent_at.astimezone(UTC),
    )  # fmt: skip


def _plain_amount(text: str, currency: str) -> int | None:
    """The amount in minor units, if it fits the currency and the ceiling."""
    try:
        amount_minor = minor_units(text, currency)
    except AmountFormatError:
        return None
    return amount_minor if amount_minor <= MAX_AMOUNT_MINOR else None


def _aware(value: str) -> datetime | None:
    """An ISO 8601 timestamp with an offset, or None."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None  # fromisoformat: a fixed offset


def _reference(doc: dict[str, Any]) -> str | None:
    """The transaction id a reject may be filed under: only a well-formed one that holds no
    card number, so a reject row can always be stored and never keeps a PAN."""
    value = doc.get("transaction_id")
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        return None
    return None if _holds_pan(value) else value


def _holds_pan(value: str) -> bool:
    return len(value) >= 13 and any(map(luhn_valid, _DIGIT_RUN.findall(value)))


def _text(doc: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = doc[name]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _Invalid(RejectReason.INVALID_FIELD, f"{name} {_preview(value)} is malformed")
    if len(value) >= 13 and _holds_pan(value):  # shorter ids cannot hold a PAN
        # A card number keyed into the wrong field must not be staged anywhere (PCI DSS).
        raise _Invalid(RejectReason.PAN_IN_WRONG_FIELD, f"{name} holds what looks like a PAN")
    return value


def _optional_id(doc: dict[str, Any], name: str) -> str | None:
    return None if doc.get(name) is None else _text(doc, name, _IDENTIFIER)


def _enum(doc: dict[str, Any], name: str, kind: type[_E]) -> _E:
    value = doc[name]
    try:
        return kind(value)
    except ValueError:
        allowed = " | ".join(member.value for member in kind)
        raise _Invalid(
            RejectReason.INVALID_FIELD, f"{name} {_preview(value)} is not one of {allowed}"
        ) from None


def _pan(doc: dict[str, Any]) -> str:
    pan, expiry = doc["pan"], doc["expiry"]
    if not isinstance(expiry, str) or not _EXPIRY.fullmatch(expiry):
        raise _Invalid(RejectReason.INVALID_FIELD, "expiry is not MM/YY")
    if not isinstance(pan, str) or not pan.isdigit() or len(pan) not in PAN_LENGTHS:
        raise _Invalid(RejectReason.INVALID_FIELD, "pan is not 13-19 digits")
    if not luhn_valid(pan):
        raise _Invalid(RejectReason.FAILED_LUHN, f"pan ending {pan[-4:]} fails the Luhn check")
    return pan


def _amount(doc: dict[str, Any]) -> Money:
    text, currency = doc["amount"], doc["currency"]
    if not isinstance(currency, str) or not is_known_currency(currency):
        raise _Invalid(RejectReason.UNKNOWN_CURRENCY, f"unknown currency {_preview(currency)}")
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise _Invalid(
            RejectReason.INVALID_AMOUNT, f"amount {_preview(text)} is not a decimal string"
        )
    if text[0] == "0" or len(text) > _PLAIN_AMOUNT_MAX_CHARS:  # rare: keep the hot path short
        # Python refuses int() of digit strings over 4,300 characters, so a long amount is
        # judged by its digit count first; "000...01.00" is a fine (if odd) 1.00.
        units, _, fraction = text.partition(".")
        units = units.lstrip("0") or "0"
        if len(units) > _CEILING_DIGITS:
            raise _Invalid(RejectReason.AMOUNT_OUT_OF_RANGE, _above_ceiling(units, currency))
        text = units + (f".{fraction}" if fraction else "")
    try:
        money = Money.parse(text, currency)
    except AmountFormatError as error:
        raise _Invalid(RejectReason.TOO_MANY_DECIMALS, str(error)) from None
    if money.amount_minor <= 0:
        raise _Invalid(RejectReason.INVALID_AMOUNT, f"amount {text} {currency} is not positive")
    if money.amount_minor > MAX_AMOUNT_MINOR:
        raise _Invalid(RejectReason.AMOUNT_OUT_OF_RANGE, _above_ceiling(text, currency))
    return money


def _above_ceiling(amount: str, currency: str) -> str:
    ceiling = Money(MAX_AMOUNT_MINOR, currency).format()
    return (
        f"amount {_preview(amount)} {currency} is above the ceiling of {ceiling} {currency} "
        f"({MAX_AMOUNT_MINOR:,} minor units)"
    )


def _timestamp(doc: dict[str, Any], name: str) -> datetime:
    value = doc[name]
    parsed = _aware(value) if isinstance(value, str) else None
    if parsed is None:
        raise _Invalid(
            RejectReason.INVALID_FIELD, f"{name} {_preview(value)} is not ISO 8601 with offset"
        )
    return parsed


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
