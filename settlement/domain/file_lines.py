"""What every line of an input file (merchants, journal, rates) must satisfy, and how a
rejected line is said.

The three files are typed or exported by people and other systems, so each field is checked
for exactly what the columns and the run downstream can hold, and a failure names the field,
the value (card numbers masked, long values cut) and a reason code that a script can match:
`line 7: unknown_country: country 'ZZ' is not an ISO 3166-1 alpha-2 code`. Codes shared
with the gateway's rejects (`pan_in_wrong_field`, `invalid_amount`, ...) mean the same thing.
Numbers are ASCII digits only: `int()` and `Decimal()` accept any script's digits, and an
Arabic-Indic fee must not become a different-looking stored value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum

from settlement.domain.cards import could_hold_pan, holds_pan, mask_pans
from settlement.domain.currencies import currency_refusal, is_known_currency, is_retired_currency
from settlement.domain.identifiers import TRANSACTION_ID
from settlement.domain.money import AmountFormatError, minor_units

_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_PREVIEW_CHARS = 40
MAX_FIELD_CHARS = 256  # the widest column holds 200 (a merchant's name)
# Unicode categories no name or city needs: controls (an ESC rewrites the operator's
# terminal), line and paragraph separators, private use; and the bidi overrides and
# isolates that make text display in another order than it is stored ("Trojan source").
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Co", "Cs"})
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


class LineReason(StrEnum):
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    WRONG_FIELD_COUNT = "wrong_field_count"
    PAN_IN_WRONG_FIELD = "pan_in_wrong_field"
    DUPLICATE = "duplicate"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_CURRENCY = "unknown_currency"
    RETIRED_CURRENCY = "retired_currency"
    UNKNOWN_MCC = "unknown_mcc"
    UNKNOWN_COUNTRY = "unknown_country"
    UNKNOWN_TIMEZONE = "unknown_timezone"
    INVALID_AMOUNT = "invalid_amount"
    TOO_MANY_DECIMALS = "too_many_decimals"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    MISSING_ORIGINAL = "missing_original"
    IMPLAUSIBLE_TIME = "implausible_time"
    INVALID_RATE = "invalid_rate"
    RATE_JUMP = "rate_jump"
    BASE_CURRENCY = "base_currency"


class LineRejected(ValueError):
    """One line that cannot be imported: a reason code and a one-line detail."""

    def __init__(self, reason: LineReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def preview(value: str) -> str:
    """`value` as it may be shown: card numbers masked, then cut to a readable length."""
    text = repr(mask_pans(value))
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 3] + "..."


def reject_pans(row: Mapping[str, str]) -> None:
    """A card number in any field (any spelling) rejects the line before anything else looks
    at it, so no later message can quote it and nothing stores it (PCI DSS). An overlong
    field is rejected first, unquoted: the PAN scan of a digit run costs seven Luhn checks a
    digit (a 100,000-digit field took about a second), and no column holds 256 characters."""
    for name, value in row.items():
        if len(value) > MAX_FIELD_CHARS:
            detail = f"{name} has {len(value):,} characters, at most {MAX_FIELD_CHARS}"
            raise LineRejected(LineReason.INVALID_FIELD, detail)
    if not could_hold_pan("|".join(row.values())):  # one search; the full scan is rare
        return
    for name, value in row.items():
        if holds_pan(value):
            detail = f"{name} holds what looks like a PAN: {preview(value)}"
            raise LineRejected(LineReason.PAN_IN_WRONG_FIELD, detail)


def required(row: Mapping[str, str], name: str) -> str:
    value = row.get(name, "")
    if not value:
        raise LineRejected(LineReason.MISSING_FIELD, f"{name} is empty")
    return value


def identifier(row: Mapping[str, str], name: str, grammar: re.Pattern[str]) -> str:
    value = required(row, name)
    if not grammar.fullmatch(value):
        most = 64 if grammar is TRANSACTION_ID else 32
        raise LineRejected(
            LineReason.INVALID_FIELD,
            f"{name} {preview(value)} is not an id: a letter or digit, then letters, digits "
            f"or . _ : - ({most} characters at most)",
        )
    return value


def free_text(row: Mapping[str, str], name: str, max_chars: int, *, needed: bool = True) -> str:
    """A name or a city: any script, but no control or reordering characters."""
    value = required(row, name) if needed else row.get(name, "")
    if len(value) > max_chars:
        raise LineRejected(
            LineReason.INVALID_FIELD, f"{name} has {len(value)} characters, at most {max_chars}"
        )
    if not value.isprintable() and any(map(_forbidden, value)):
        raise LineRejected(
            LineReason.INVALID_FIELD, f"{name} {preview(value)} holds a control character"
        )
    return value


def _forbidden(char: str) -> bool:
    return unicodedata.category(char) in _FORBIDDEN_CATEGORIES or char in _BIDI_CONTROLS


def currency_code(row: Mapping[str, str], name: str) -> str:
    value = required(row, name)
    if not is_known_currency(value):
        reason = (
            LineReason.RETIRED_CURRENCY
            if is_retired_currency(value)
            else LineReason.UNKNOWN_CURRENCY
        )
        case = "" if value == value.upper() else " (codes are upper case)"
        raise LineRejected(reason, f"{name}: {currency_refusal(value, preview(value))}{case}")
    return value


def ascii_int(row: Mapping[str, str], name: str, low: int, high: int) -> int:
    """A whole number of ASCII digits within [low, high]; its length is judged before
    int() is called, so a 5,000-digit value costs nothing."""
    value = required(row, name)
    if not _ASCII_DIGITS.fullmatch(value):
        raise LineRejected(
            LineReason.INVALID_FIELD, f"{name} {preview(value)} is not a whole number (0-9)"
        )
    if len(value.lstrip("0")) > len(str(high)) or not low <= int(value) <= high:
        raise LineRejected(
            LineReason.OUT_OF_RANGE, f"{name} {preview(value)} is not within {low}..{high}"
        )
    return int(value)


def amount_minor(
    text: str, currency: str, name: str, *, low_minor: int, high_minor: int, too_big: LineReason
) -> int:
    """A plain decimal amount (ASCII digits, one optional point, no sign) in minor units of
    `currency`, within [low_minor, high_minor]; `too_big` is the reason above the ceiling."""
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise LineRejected(
            LineReason.INVALID_AMOUNT,
            f"{name} {preview(text)} is not a plain decimal number (digits 0-9, one point)",
        )
    units = text.partition(".")[0].lstrip("0")
    if len(units) > len(str(high_minor)):  # before int(): Python refuses 4,300+ digits
        raise LineRejected(too_big, f"{name} {preview(text)} {currency} is too large")
    try:
        minor = minor_units(text, currency)
    except AmountFormatError as error:
        raise LineRejected(LineReason.TOO_MANY_DECIMALS, f"{name}: {error}") from None
    if minor < low_minor:
        raise LineRejected(LineReason.INVALID_AMOUNT, f"{name} {text} {currency} is not positive")
    if minor > high_minor:
        raise LineRejected(too_big, f"{name} {text} {currency} is above {high_minor:,} minor units")
    return minor
