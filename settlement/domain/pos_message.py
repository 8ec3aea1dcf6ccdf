"""The `cardsettle.pos.v1` terminal message: parse and validate, with a specific reason.

Two paths, one verdict. The careful path is hand-written because every rejection needs a
precise, stable reason code (the rejects table and the reports group by it). The fast path
runs first, once per message on the gateway's hot path: one pydantic-core pass parses the
JSON and checks every field's shape (in Rust, a third of the careful path's cost), then the
checks no pattern can make (Luhn, currency exponent, ceiling, PAN in an id, timestamps).
It only ever accepts: at the first doubt it hands the body to the careful path, which decides.
Its patterns are ASCII subsets of the careful ones, so anything it accepts the careful path
accepts identically (a property test holds the two to that). The JSON Schema shipped with
the simulator states the same grammar, pattern for pattern (tests/unit/test_wire_grammar.py);
docs/message-contract.md lists every rule and reason. Whether the timestamps are plausible
is the gateway's to ask (`Gateway.judge`): it needs the receiving clock, which this does not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple, TypeVar

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from settlement.domain.cards import (
    ANY_IIN_MIN_LENGTH,
    PAN_LENGTHS,
    PAN_PATTERN,
    holds_pan,
    luhn_valid,
)
from settlement.domain.currencies import currency_refusal, is_known_currency, is_retired_currency
from settlement.domain.identifiers import (
    SHORT_ID,
    SHORT_ID_PATTERN,
    TRANSACTION_ID,
    TRANSACTION_ID_PATTERN,
)
from settlement.domain.message_body import (
    MAX_BODY_CHARS,
    JsonObject,
    NotStrictJson,
    field_holding_pan,
    read_object,
    repeated_names,
)
from settlement.domain.money import AmountFormatError, Money, minor_units
from settlement.domain.transactions import EntryMode, TransactionType

SCHEMA_ID: Final = "cardsettle.pos.v1"
# The wire contract's fields, in the order a message writes them: the one list the simulator's
# vocabulary, faults and renderers, the fast validator below and the shipped JSON Schema
# follow (tests/unit/test_message_fields.py holds the schema and the renderers to it).
MESSAGE_FIELDS: Final = (
    "schema", "transaction_id", "type", "original_transaction_id", "merchant_id",
    "terminal_id", "pan", "expiry", "amount", "currency", "card_country", "merchant_country",
    "mcc", "entry_mode", "local_time", "sent_at",
)  # fmt: skip
_ORIGINAL = "original_transaction_id"
NULLABLE_FIELDS: Final = (_ORIGINAL,)  # always present; null for a purchase
# The fields that must hold a value, in message order (a reject lists missing ones so).
REQUIRED_FIELDS: Final = tuple(name for name in MESSAGE_FIELDS if name not in NULLABLE_FIELDS)
_KNOWN_FIELDS = frozenset(MESSAGE_FIELDS)
_E = TypeVar("_E", bound=StrEnum)
# The wire grammar: ASCII only, [0-9] wherever the contract says digits (never \d, which in
# a str pattern matches every script's digits: "٧٩٩٥" would be an MCC).
# The JSON Schema states the same patterns; tests/unit/test_wire_grammar.py holds them equal.
_IDENTIFIER, _SHORT_ID = TRANSACTION_ID, SHORT_ID
_COUNTRY = re.compile(r"[A-Z]{2}")
_MCC = re.compile(r"[0-9]{4}")
_PAN = re.compile(PAN_PATTERN)  # 13-19 digits, or 12 under a Maestro IIN (cards.py)
_EXPIRY = re.compile(r"(0[1-9]|1[0-2])/[0-9]{2}")
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
# RFC 3339 date-times with a field-by-field range, microseconds at most; local_time with any
# offset under 24 h, sent_at in UTC. Whether the date exists (2026-02-30) is checked after.
_DATE_TIME = (
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
)
LOCAL_TIME_PATTERN = _DATE_TIME + r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
SENT_AT_PATTERN = _DATE_TIME + r"(Z|\+00:00)"
_LOCAL_TIME = re.compile(LOCAL_TIME_PATTERN)
_SENT_AT = re.compile(SENT_AT_PATTERN)
# The largest amount a message may carry, in minor units of its currency: 13 digits, i.e.
# 99,999,999,999.99 EUR or 9,999,999,999,999 JPY. Far above any card transaction, and some
# 900,000 times below BIGINT (the column's type), so end-of-day sums and FX conversions of
# amounts this size still fit in 64 bits.
MAX_AMOUNT_MINOR = 10**13 - 1
_CEILING_DIGITS = len(str(MAX_AMOUNT_MINOR))


class RejectReason(StrEnum):
    MALFORMED_JSON = "malformed_json"
    MISSING_FIELD = "missing_field"
    UNSUPPORTED_SCHEMA = "unsupported_schema"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_CURRENCY = "unknown_currency"
    RETIRED_CURRENCY = "retired_currency"
    TOO_MANY_DECIMALS = "too_many_decimals"
    INVALID_AMOUNT = "invalid_amount"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    FAILED_LUHN = "failed_luhn"
    MISSING_ORIGINAL = "missing_original"
    PAN_IN_WRONG_FIELD = "pan_in_wrong_field"
    IMPLAUSIBLE_TIME = "implausible_time"
    UNKNOWN_FIELD = "unknown_field"
    DUPLICATE_FIELD = "duplicate_field"
    ORIGINAL_ON_PURCHASE = "original_on_purchase"
    BODY_TOO_LARGE = "body_too_large"
    UNEXPECTED_ERROR = "unexpected_error"
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
    if len(body) > MAX_BODY_CHARS:
        return Rejection(RejectReason.BODY_TOO_LARGE,
                         f"body of {len(body):,} characters, over {MAX_BODY_CHARS:,}")  # fmt: skip
    try:
        document = read_object(body)
    except NotStrictJson as error:
        return Rejection(RejectReason.MALFORMED_JSON, str(error))
    if document is None:
        return Rejection(RejectReason.MALFORMED_JSON, "body is JSON but not an object")
    try:
        _check_names(document)
        return _validated(document.fields)
    except _Invalid as invalid:
        return Rejection(invalid.reason, invalid.detail, _reference(document.fields))


def _check_names(document: JsonObject) -> None:
    """What the body says beyond its fields' values: a PAN outside `pan` (in any field's
    name or value, even one repeated or unknown), a name written twice, an unknown name."""
    holder = field_holding_pan(document.pairs)
    if holder is not None:
        # A card number keyed into the wrong field must not be staged anywhere (PCI DSS).
        raise _Invalid(RejectReason.PAN_IN_WRONG_FIELD, f"{_preview(holder)} holds what looks "
                       "like a PAN")  # fmt: skip
    repeated = repeated_names(document.pairs)
    if repeated:
        raise _Invalid(RejectReason.DUPLICATE_FIELD, "field(s) written more than once: "
                       + ", ".join(map(_preview, repeated[:3])))  # fmt: skip
    unknown = sorted(set(document.fields) - _KNOWN_FIELDS)
    if unknown:
        raise _Invalid(RejectReason.UNKNOWN_FIELD, f"{len(unknown)} field(s) not in {SCHEMA_ID}: "
                       + ", ".join(map(_preview, unknown[:3])))  # fmt: skip


def _validated(doc: dict[str, Any]) -> PosMessage:
    if None in map(doc.get, REQUIRED_FIELDS) or _ORIGINAL not in doc:  # one C-level pass
        missing = [name for name in REQUIRED_FIELDS if doc.get(name) is None]
        missing += [] if _ORIGINAL in doc else [_ORIGINAL]  # null is its value for a purchase
        raise _Invalid(RejectReason.MISSING_FIELD, "missing field(s): " + ", ".join(missing))
    if doc["schema"] != SCHEMA_ID:
        raise _Invalid(
            RejectReason.UNSUPPORTED_SCHEMA, f"schema {_preview(doc['schema'])} is not {SCHEMA_ID}"
        )
    kind = _enum(doc, "type", TransactionType)
    original = doc[_ORIGINAL]
    if kind is not TransactionType.PURCHASE and original is None:
        raise _Invalid(RejectReason.MISSING_ORIGINAL, f"a {kind} needs original_transaction_id")
    if kind is TransactionType.PURCHASE and original is not None:
        raise _Invalid(
            RejectReason.ORIGINAL_ON_PURCHASE,
            "a purchase undoes nothing: original_transaction_id must be null",
        )
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
        local_time=_timestamp(doc, "local_time", _LOCAL_TIME),
        sent_at=_timestamp(doc, "sent_at", _SENT_AT),  # in UTC: its pattern says Z or +00:00
    )  # fmt: skip


def _text_field(pattern: str, *, nullable: bool = False) -> cs.TypedDictField:
    text = cs.str_schema(pattern=pattern, strict=True)
    return cs.typed_dict_field(cs.nullable_schema(text) if nullable else text)


def _choice(kind: type[StrEnum]) -> cs.TypedDictField:
    return cs.typed_dict_field(cs.literal_schema([member.value for member in kind]))


# By value, as plain dicts: calling an Enum class to look a member up costs a microsecond.
_TYPES = {member.value: member for member in TransactionType}
_ENTRY_MODES = {member.value: member for member in EntryMode}


_ID = f"^{TRANSACTION_ID_PATTERN}$"  # the careful path's patterns, anchored
_SHORT = f"^{SHORT_ID_PATTERN}$"


def _fast_shapes() -> dict[str, cs.TypedDictField]:
    """Every field's shape for the fast path, in MESSAGE_FIELDS order (a test holds them equal)."""
    return {
        "schema": cs.typed_dict_field(cs.literal_schema([SCHEMA_ID])),
        "transaction_id": _text_field(_ID),
        "type": _choice(TransactionType),
        "original_transaction_id": _text_field(_ID, nullable=True),
        "merchant_id": _text_field(_SHORT),
        "terminal_id": _text_field(_SHORT),
        "pan": _text_field(f"^{PAN_PATTERN}$"),
        "expiry": _text_field(r"^(0[1-9]|1[0-2])/[0-9]{2}$"),
        # No leading zero, at most the ceiling's 13 digits before the point.
        "amount": _text_field(r"^[1-9][0-9]{0,12}(\.[0-9]{1,4})?$"),
        "currency": _text_field(r"^[A-Z]{3}$"),
        "card_country": _text_field(r"^[A-Z]{2}$"),
        "merchant_country": _text_field(r"^[A-Z]{2}$"),
        "mcc": _text_field(r"^[0-9]{4}$"),
        "entry_mode": _choice(EntryMode),
        "local_time": _text_field(f"^{LOCAL_TIME_PATTERN}$"),
        "sent_at": _text_field(f"^{SENT_AT_PATTERN}$"),
    }


_WELL_FORMED = SchemaValidator(
    cs.typed_dict_schema(
        _fast_shapes(),
        # Not "forbid", which cost 5,000 instructions a message (callgrind): the quote count
        # in `_fast_parse` sends a body with an unknown field to the careful path as surely.
        extra_behavior="ignore",
    )
)


def _fast_parse(body: str) -> PosMessage | None:
    """The message if it is plainly valid; None sends it to `careful_parse` for a verdict."""
    if len(body) > MAX_BODY_CHARS:
        return None
    try:
        doc = _WELL_FORMED.validate_json(body)
    except (ValidationError, ValueError):  # ValueError: a str that is not valid UTF-8
        return None
    # A name written twice (the parser kept the last value) or a name the contract does not
    # have (the parser ignored it): the careful path refuses both. Every known name and
    # value here is quote-free (patterns), so a body of just the 16 fields, each once, has
    # exactly two quotes a name and a string value, and any other member adds at least
    # two (its name): one C-level count tells.
    if body.count('"') != _QUOTES + 2 * (doc["original_transaction_id"] is not None):
        return None
    return _plain_message(doc)


_QUOTES = 2 * (len(_KNOWN_FIELDS) + len(REQUIRED_FIELDS))  # original: null or a 17th string


def _plain_message(doc: dict[str, Any]) -> PosMessage | None:
    """The checks no pattern makes, on a document of the right shape; None at any doubt."""
    kind, original, pan = _TYPES[doc["type"]], doc["original_transaction_id"], doc["pan"]
    amount, currency = doc["amount"], doc["currency"]
    ids = (doc["transaction_id"], original or "", doc["merchant_id"], doc["terminal_id"], amount)
    if (
        (kind is TransactionType.PURCHASE) is not (original is None)
        or not luhn_valid(pan)
        or _may_hold_pan("/".join(ids))
        or not is_known_currency(currency)
    ):
        return None
    amount_minor = _plain_amount(amount, currency)
    local_time, sent_at = _aware(doc["local_time"]), _aware(doc["sent_at"])
    if amount_minor is None or local_time is None or sent_at is None:
        return None
    return PosMessage(
        ids[0], kind, original, ids[2], ids[3], pan, amount_minor, currency, doc["card_country"],
        doc["merchant_country"], doc["mcc"], _ENTRY_MODES[doc["entry_mode"]], local_time, sent_at,
    )  # fmt: skip


def _may_hold_pan(ids: str) -> bool:
    """Whether `cards.holds_pan` could say yes of these ids (and the amount), ASCII by their
    patterns, joined by "/". Necessary for it: a run of 12 digits (a Maestro PAN's length),
    or a group of four digits followed by two more groups (4 + up to 6 is under 12). Looked
    for in the ids' shape (digits as "0", "." as "-"), where one literal prefix lets the regex
    engine skip ahead: ~6,000 instructions, where the base commit's single `[0-9]{13}` search
    cost 13,000 (callgrind). A run of 13 digits goes to the careful path unasked; the rare id
    with a shorter such layout (a UUID in 30: a last group of 12 decimal digits is one in 280)
    is asked of `holds_pan` itself, so only a real PAN leaves the fast path."""
    shape = ids.encode("ascii").translate(_SHAPE)
    match = _PAN_SHAPE.search(shape)
    return match is not None and (_LONG_RUN in shape or holds_pan(ids))


_SHAPE = bytes.maketrans(b"0123456789.", b"0000000000-")
_LONG_RUN = b"0" * ANY_IIN_MIN_LENGTH  # any Luhn-valid run this long is a PAN: no need to ask
_PAN_SHAPE = re.compile(rb"0000(?:0{%d}|-0{1,6}-0)" % (PAN_LENGTHS.start - 4))


def _plain_amount(text: str, currency: str) -> int | None:
    """The amount in minor units, if it fits the currency and the ceiling."""
    try:
        amount_minor = minor_units(text, currency)
    except AmountFormatError:
        return None
    return amount_minor if amount_minor <= MAX_AMOUNT_MINOR else None


def _aware(value: str) -> datetime | None:
    """An ISO 8601 timestamp with an offset, or None. Parsing does no arithmetic on the
    instant (the offset is kept, never applied), so year 0001 at +14:00 cannot overflow."""
    try:
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else None  # fromisoformat: a fixed offset


def _reference(doc: dict[str, Any]) -> str | None:
    """The transaction id a reject may be filed under: only a well-formed one that holds no
    card number, so a reject row can always be stored and never keeps a PAN."""
    value = doc.get("transaction_id")
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        return None
    return None if holds_pan(value) else value


def _text(doc: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    """A text field in its grammar. Whether it holds a PAN `_check_names` has asked already."""
    value = doc[name]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _Invalid(RejectReason.INVALID_FIELD, f"{name} {_preview(value)} is malformed")
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
    if not isinstance(pan, str) or not _PAN.fullmatch(pan):
        raise _Invalid(
            RejectReason.INVALID_FIELD, "pan is not 13-19 digits, nor 12 under a Maestro IIN"
        )
    if not luhn_valid(pan):
        raise _Invalid(RejectReason.FAILED_LUHN, f"pan ending {pan[-4:]} fails the Luhn check")
    return pan


def _amount(doc: dict[str, Any]) -> Money:
    text, currency = doc["amount"], doc["currency"]
    if not isinstance(currency, str) or not is_known_currency(currency):
        retired = is_retired_currency(currency)
        reason = RejectReason.RETIRED_CURRENCY if retired else RejectReason.UNKNOWN_CURRENCY
        raise _Invalid(reason, currency_refusal(currency, _preview(currency)))
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise _Invalid(
            RejectReason.INVALID_AMOUNT, f"amount {_preview(text)} is not a decimal string"
        )
    units = text.partition(".")[0]
    if units[0] == "0" and len(units) > 1:  # one spelling per amount, as the schema says
        raise _Invalid(RejectReason.INVALID_AMOUNT, f"amount {_preview(text)} has a leading zero")
    if len(units) > _CEILING_DIGITS:
        # Judged by its digit count: Python refuses int() of over 4,300 digits.
        raise _Invalid(RejectReason.AMOUNT_OUT_OF_RANGE, _above_ceiling(units, currency))
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


def _timestamp(doc: dict[str, Any], name: str, pattern: re.Pattern[str]) -> datetime:
    value = doc[name]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _Invalid(
            RejectReason.INVALID_FIELD,
            f"{name} {_preview(value)} is not an RFC 3339 "
            + ("UTC date-time" if pattern is _SENT_AT else "date-time with offset"),
        )
    parsed = _aware(value)
    if parsed is None:  # the grammar holds, the calendar does not: 2026-02-30, year 0000
        raise _Invalid(RejectReason.IMPLAUSIBLE_TIME, f"{name} {value} is no real date and time")
    return parsed


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
