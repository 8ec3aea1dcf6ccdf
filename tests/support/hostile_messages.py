"""An adversarial corpus of message bodies, each with the reason the gateway must give.

Every case is one body a hostile or broken sender could put on the queue (or in a capture
file), built from a valid message (`tests.support.messages.message`) with one thing wrong.
The gateway must reject each with exactly `reason`, keep no PAN of it anywhere (table,
detail, log), and stage every valid batch-mate, whatever the transport.
`sqs_safe` is False for bodies SQS cannot carry (NUL, lone surrogates: not XML 1.0
characters): they can still arrive through a capture file and the direct transport.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from settlement.domain.pos_message import RejectReason as R
from tests.support.messages import message


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    body: str
    reason: R
    sqs_safe: bool = True


def _with(**overrides: Any) -> str:
    return json.dumps(message(7, **overrides), separators=(",", ":"))


def _raw(**fields: str) -> str:
    """A valid message with some fields written as raw JSON text (escapes, NaN, nesting)."""
    text = json.dumps(message(7), separators=(",", ":"))
    for name, raw in fields.items():
        start = text.index(f'"{name}":') + len(name) + 3
        end = text.index(',"', start) if text.find(',"', start) != -1 else len(text) - 1
        text = text[:start] + raw + text[end:]
    return text


def _extra(key: str, value: Any) -> str:
    return json.dumps({**message(7), key: value}, separators=(",", ":"))


_ESCAPED_PAN = "".join(f"\\u{ord(c):04x}" for c in "4111111111111111")
_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_VALID = message(7)

HOSTILE: tuple[Hostile, ...] = (
    # Time: past/future beyond the window, before any date arithmetic; impossible dates.
    Hostile("sent_at year 0001", _with(sent_at="0001-01-01T00:00:00Z"), R.IMPLAUSIBLE_TIME),
    Hostile("sent_at year 9999", _with(sent_at="9999-12-31T23:59:59Z"), R.IMPLAUSIBLE_TIME),
    Hostile("local_time year 0001 +14:00",
            _with(local_time="0001-01-01T00:00:00+14:00"), R.IMPLAUSIBLE_TIME),
    Hostile("local_time year 9999 -14:00",
            _with(local_time="9999-12-31T23:59:59-14:00"), R.IMPLAUSIBLE_TIME),
    Hostile("local_time year 0001 Z", _with(local_time="0001-01-01T00:00:00Z"),
            R.IMPLAUSIBLE_TIME),
    Hostile("year 0000", _with(local_time="0000-01-01T00:00:00+00:00"), R.IMPLAUSIBLE_TIME),
    Hostile("local_time in 2099", _with(local_time="2099-01-01T00:00:00+01:00"),
            R.IMPLAUSIBLE_TIME),
    Hostile("sent_at a year after local_time", _with(sent_at="2027-11-27T07:00:02Z"),
            R.IMPLAUSIBLE_TIME),
    Hostile("date 2026-02-30", _with(local_time="2026-02-30T10:00:00+01:00"), R.IMPLAUSIBLE_TIME),
    Hostile("offset +24:00", _with(local_time="2026-11-27T08:00:00+24:00"), R.INVALID_FIELD),
    Hostile("sent_at not UTC", _with(sent_at="2026-11-27T08:00:02+01:00"), R.INVALID_FIELD),
    Hostile("local_time without offset", _with(local_time="2026-11-27T08:00:00"),
            R.INVALID_FIELD),
    Hostile("local_time with a space", _with(local_time="2026-11-27 08:00:00+01:00"),
            R.INVALID_FIELD),
    Hostile("local_time in Arabic-Indic digits",
            _with(local_time=_VALID["local_time"].translate(_ARABIC)), R.INVALID_FIELD),
    # A PAN where it does not belong, in any spelling.
    Hostile("terminal_id dashed PAN", _with(terminal_id="4111-1111-1111-1111"),
            R.PAN_IN_WRONG_FIELD),
    Hostile("merchant_id dotted PAN", _with(merchant_id="4111.1111.1111.1111"),
            R.PAN_IN_WRONG_FIELD),
    Hostile("transaction_id holding a PAN", _with(transaction_id="tx-5555555555554444"),
            R.PAN_IN_WRONG_FIELD),
    Hostile("original id holding a PAN", _with(type="refund",
            original_transaction_id="6011-1111-1111-1117"), R.PAN_IN_WRONG_FIELD),
    Hostile("unknown field: PAN value with spaces", _extra("note", "card 4111 1111 1111 1111"),
            R.PAN_IN_WRONG_FIELD),
    Hostile("unknown field: PAN as key", _extra("4111111111111111", 1), R.PAN_IN_WRONG_FIELD),
    Hostile("unknown field: Arabic-Indic PAN", _extra("note", "4111111111111111".translate(
            _ARABIC)), R.PAN_IN_WRONG_FIELD),
    Hostile("unknown field: PAN as a number", _extra("card", 4111111111111111),
            R.PAN_IN_WRONG_FIELD),
    Hostile("terminal_id: PAN in \\u escapes", _raw(terminal_id=f'"{_ESCAPED_PAN}"'),
            R.PAN_IN_WRONG_FIELD),
    Hostile("pan in \\u escapes, bad expiry", _raw(pan=f'"{_ESCAPED_PAN}"', expiry='"13/29"'),
            R.INVALID_FIELD),
    Hostile("pan with spaces", _with(pan="4111 1111 1111 1111"), R.INVALID_FIELD),
    Hostile("pan with dashes", _with(pan="4111-1111-1111-1111"), R.INVALID_FIELD),
    Hostile("pan in fullwidth digits", _with(pan="4111111111111111".translate(_FULLWIDTH)),
            R.INVALID_FIELD),
    Hostile("pan of 12 digits", _with(pan="411111111113"), R.INVALID_FIELD),  # not Maestro
    Hostile("terminal_id: glued 12-digit Maestro", _with(terminal_id="T501800000009"),
            R.PAN_IN_WRONG_FIELD),
    Hostile("unknown field: grouped 12-digit Maestro", _extra("note", "card 6759 0000 0000"),
            R.PAN_IN_WRONG_FIELD),
    Hostile("pan failing Luhn", _with(pan="4111111111111112"), R.FAILED_LUHN),
    # Digits of other scripts where the contract says [0-9].
    Hostile("amount in Arabic-Indic digits", _with(amount="١٢٣.٤٥"), R.INVALID_AMOUNT),
    Hostile("amount in fullwidth digits", _with(amount="１２.００"), R.INVALID_AMOUNT),
    Hostile("mcc in fullwidth digits", _with(mcc="５４１１"), R.INVALID_FIELD),
    Hostile("mcc 7995 in Arabic-Indic digits", _with(mcc="٧٩٩٥"), R.INVALID_FIELD),
    Hostile("expiry in Arabic-Indic digits", _with(expiry="١٢/٢٩"), R.INVALID_FIELD),
    # Amounts.
    Hostile("negative amount", _with(amount="-5.00"), R.INVALID_AMOUNT),
    Hostile("zero amount", _with(amount="0.00"), R.INVALID_AMOUNT),
    Hostile("leading zero", _with(amount="01.00"), R.INVALID_AMOUNT),
    Hostile("amount as a number", _with(amount=12.5), R.INVALID_AMOUNT),
    Hostile("amount 1e999", _raw(amount="1e999"), R.INVALID_AMOUNT),
    Hostile("huge amount", _with(amount="9" * 40 + ".00"), R.AMOUNT_OUT_OF_RANGE),
    Hostile("amount of 900 digits", _with(amount="1" * 900), R.AMOUNT_OUT_OF_RANGE),
    # Over 1,000 digits in a row a run is not searched window by window: it may hide a PAN.
    Hostile("amount of 5000 digits", _with(amount="1" * 5000), R.PAN_IN_WRONG_FIELD),
    Hostile("too many decimals", _with(amount="1.001"), R.TOO_MANY_DECIMALS),
    Hostile("currency lower case", _with(currency="usd"), R.UNKNOWN_CURRENCY),
    # JSON that is not one strict JSON object.
    Hostile("NaN", _raw(amount="NaN"), R.MALFORMED_JSON),
    Hostile("Infinity", _extra("note", 0).replace(':0}', ':Infinity}'), R.MALFORMED_JSON),
    Hostile("-Infinity amount", _raw(amount="-Infinity"), R.MALFORMED_JSON),
    Hostile("duplicate key, other value", _with()[:-1] + ',"terminal_id":"T9999"}',
            R.DUPLICATE_FIELD),
    Hostile("duplicate key, same value", _with()[:-1] + f',"mcc":"{_VALID["mcc"]}"}}',
            R.DUPLICATE_FIELD),
    Hostile("duplicate key hiding a PAN", '{"terminal_id":"4111111111111111",' + _with()[1:],
            R.PAN_IN_WRONG_FIELD),
    Hostile("deep nesting", _raw(mcc="[" * 20_000 + "]" * 20_000), R.MALFORMED_JSON),
    Hostile("deeper than the body limit", _raw(mcc="[" * 100_000 + "]" * 100_000),
            R.BODY_TOO_LARGE),
    Hostile("byte order mark", "\ufeff" + _with(), R.MALFORMED_JSON),
    Hostile("top-level array", json.dumps([_VALID]), R.MALFORMED_JSON),
    Hostile("empty object", "{}", R.MISSING_FIELD),
    Hostile("not JSON", "hello", R.MALFORMED_JSON),
    Hostile("trailing garbage", _with() + "x", R.MALFORMED_JSON),
    Hostile("raw control character", _raw(merchant_id='"M\t1"'), R.MALFORMED_JSON),
    Hostile("raw NUL byte", _raw(merchant_id='"M\x001"'), R.MALFORMED_JSON, sqs_safe=False),
    Hostile("escaped NUL in an id", _raw(merchant_id='"M\\u00001"'), R.INVALID_FIELD),
    Hostile("escaped lone surrogate", _raw(merchant_id='"\\ud800"'), R.INVALID_FIELD),
    Hostile("raw lone surrogate", _raw(merchant_id='"\ud800"'), R.INVALID_FIELD,
            sqs_safe=False),
    Hostile("10 MB transaction id", _with(transaction_id="t" * 10_000_000), R.BODY_TOO_LARGE),
    Hostile("1 MB of digit groups", _extra("note", "1234-" * 200_000), R.BODY_TOO_LARGE),
    Hostile("60 kB of digit groups", _extra("note", "1234-" * 12_000), R.UNKNOWN_FIELD),
    Hostile("transaction id of 65 characters", _with(transaction_id="t" * 65), R.INVALID_FIELD),
    Hostile("bool for a string", _with(merchant_id=True), R.INVALID_FIELD),
    Hostile("null for a string", _with(terminal_id=None), R.MISSING_FIELD),
    Hostile("object for a string", _with(mcc={"code": "5411"}), R.INVALID_FIELD),
    # The message's own rules.
    Hostile("purchase naming an original", _with(original_transaction_id="tx-00000001"),
            R.ORIGINAL_ON_PURCHASE),
    Hostile("refund without original", _with(type="refund"), R.MISSING_ORIGINAL),
    Hostile("original_transaction_id absent",
            json.dumps({k: v for k, v in _VALID.items() if k != "original_transaction_id"}),
            R.MISSING_FIELD),
    Hostile("unknown field", _extra("note", "hello"), R.UNKNOWN_FIELD),
    Hostile("unknown field, null", _extra("note", None), R.UNKNOWN_FIELD),
    Hostile("schema v2", _with(schema="cardsettle.pos.v2"), R.UNSUPPORTED_SCHEMA),
)  # fmt: skip

CASE_NAMES = [case.name for case in HOSTILE]
