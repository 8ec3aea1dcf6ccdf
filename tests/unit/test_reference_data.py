"""Reference data of issue 16: ISO 4217 from the maintained list (edition 2026-01-01) with
retired codes refused as such, and every major card scheme with its PAN lengths, stated
alike by the JSON Schema and the gateway, and still caught where a PAN must not be."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from pos_simulator.cards import luhn_check_digit
from pos_simulator.contract import message_schema
from pos_simulator.faults import BAD_CURRENCIES
from settlement.domain.cards import card_bin, card_brand, could_hold_pan, holds_pan, mask_pans
from settlement.domain.currencies import (
    ISO_4217_EDITION,
    UnknownCurrencyError,
    is_known_currency,
    is_retired_currency,
    minor_unit_exponent,
)
from settlement.domain.file_lines import LineReason, LineRejected, currency_code, reject_pans
from settlement.domain.pos_message import (
    PosMessage,
    Rejection,
    RejectReason,
    careful_parse,
    parse_pos_message,
)
from tests.support.messages import body, luhn_pan

# ---------------------------------------------------------------- ISO 4217


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("JPY", 0), ("KWD", 3), ("CLF", 4), ("HUF", 2), ("ISK", 0), ("UYW", 4), ("XAD", 2),
     ("EUR", 2), ("BHD", 3), ("UYI", 0), ("XCG", 2)],
)  # fmt: skip
def test_minor_units_are_iso_4217s(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


def test_the_edition_in_force_is_2026_or_later() -> None:
    assert date(2026, 1, 1) <= ISO_4217_EDITION


@pytest.mark.parametrize("currency", ["BGN", "HRK", "SLL", "ANG", "USS", "ZWL", "CUC"])
def test_withdrawn_codes_are_retired_not_known(currency: str) -> None:
    assert is_retired_currency(currency) and not is_known_currency(currency)
    with pytest.raises(UnknownCurrencyError, match=f"retired currency '{currency}'"):
        minor_unit_exponent(currency)


@pytest.mark.parametrize("currency", ["XAU", "XAG", "XDR", "XUA", "XSU", "XTS", "XXX", "ZZZ"])
def test_codes_without_a_minor_unit_or_none_are_unknown(currency: str) -> None:
    """A metal or unit of account has no minor unit to count; ZZZ is no code at all."""
    assert not is_known_currency(currency) and not is_retired_currency(currency)
    with pytest.raises(UnknownCurrencyError, match=f"unknown currency '{currency}'"):
        minor_unit_exponent(currency)


@pytest.mark.parametrize("currency", ["BOV", "CHE", "CHW", "COU", "MXV", "USN"])
def test_funds_codes_with_a_minor_unit_are_settleable(currency: str) -> None:
    assert minor_unit_exponent(currency) == 2


@pytest.mark.parametrize(
    ("currency", "reason"),
    [("BGN", RejectReason.RETIRED_CURRENCY), ("HRK", RejectReason.RETIRED_CURRENCY),
     ("ZZZ", RejectReason.UNKNOWN_CURRENCY), ("XAU", RejectReason.UNKNOWN_CURRENCY),
     (["BGN"], RejectReason.UNKNOWN_CURRENCY)],  # not text: no lookup, no TypeError
)  # fmt: skip
def test_the_gateway_says_retired_or_unknown(currency: object, reason: RejectReason) -> None:
    verdict = parse_pos_message(body(1, currency=currency))
    assert isinstance(verdict, Rejection) and verdict.reason is reason, verdict
    if reason is RejectReason.RETIRED_CURRENCY:
        assert "withdrawn from ISO 4217" in verdict.detail


def test_the_gateway_settles_the_new_xad() -> None:
    message = parse_pos_message(body(1, currency="XAD", amount="12.50"))
    assert isinstance(message, PosMessage) and message.amount_minor == 1250


@pytest.mark.parametrize(
    ("value", "reason", "says"),
    [("BGN", LineReason.RETIRED_CURRENCY, "retired currency 'BGN': withdrawn"),
     ("bgn", LineReason.UNKNOWN_CURRENCY, "(codes are upper case)"),
     ("XAU", LineReason.UNKNOWN_CURRENCY, "not an active ISO 4217 code with a minor unit")],
)  # fmt: skip
def test_a_file_line_says_retired_or_unknown(value: str, reason: LineReason, says: str) -> None:
    with pytest.raises(LineRejected) as rejected:
        currency_code({"currency": value}, "currency")
    assert rejected.value.reason is reason and says in rejected.value.detail


def test_the_simulators_bad_currencies_are_neither_current_nor_withdrawn() -> None:
    assert len(BAD_CURRENCIES) == 6  # the seeded draws index this tuple
    assert not any(is_known_currency(code) or is_retired_currency(code) for code in BAD_CURRENCIES)


# ---------------------------------------------------------------- schemes and PAN lengths

# Written out from docs/reference-data.md, not read from cards.SCHEMES: brand, one IIN of it,
# its shortest and longest PAN.
SCHEME_LENGTHS = {
    "visa": ("4", 13, 19), "mastercard": ("2720", 16, 16), "amex": ("37", 15, 15),
    "discover": ("65", 16, 19), "diners": ("36", 14, 19), "jcb": ("3589", 16, 19),
    "unionpay": ("81", 16, 19), "maestro": ("6759", 12, 19),
}  # fmt: skip
SCHEMA = Draft202012Validator(message_schema())


def _schema_accepts(text: str) -> bool:
    return SCHEMA.is_valid(json.loads(text))


@pytest.mark.parametrize("brand", sorted(SCHEME_LENGTHS))
def test_schema_and_gateway_agree_on_each_schemes_shortest_and_longest_pan(brand: str) -> None:
    prefix, shortest, longest = SCHEME_LENGTHS[brand]
    for length in (shortest, longest):
        pan = luhn_pan(random.Random(f"{brand}{length}"), prefix, length)
        text = body(3, pan=pan)
        verdict = parse_pos_message(text)
        assert _schema_accepts(text), pan
        assert isinstance(verdict, PosMessage) and verdict.pan == pan, verdict
        assert careful_parse(text) == verdict
        assert card_brand(pan) == brand


@pytest.mark.parametrize("pan_length", [11, 12, 20])
def test_schema_and_gateway_refuse_alike_outside_the_lengths(pan_length: int) -> None:
    """12 digits only under a Maestro IIN: a Luhn-valid 12-digit Visa-looking number is
    refused by both, as are 11 and 20 digits."""
    pan = luhn_pan(random.Random(pan_length), "4", pan_length)
    text = body(3, pan=pan)
    verdict = parse_pos_message(text)
    assert not _schema_accepts(text)
    assert isinstance(verdict, Rejection) and verdict.reason is RejectReason.INVALID_FIELD


@pytest.mark.parametrize(
    ("length", "bin_digits"),
    [(12, 4), (13, 5), (14, 6), (15, 6), (16, 8), (17, 8), (18, 8), (19, 8)],
)
def test_the_stored_bin_keeps_four_digits_hidden(length: int, bin_digits: int) -> None:
    pan = "6759" + "1234567890123456"[: length - 4]
    assert card_bin(pan) == pan[:bin_digits]
    assert length - bin_digits - 4 >= 4  # at least four digits neither in BIN nor last four


# ---------------------------------------------------------------- a 12-digit PAN elsewhere

MAESTRO_12 = luhn_pan(random.Random(12), "5018", 12)
OTHER_12 = luhn_pan(random.Random(12), "1234", 12)  # Luhn-valid, no scheme issues it


def test_a_12_digit_maestro_in_an_id_is_a_pan_in_the_wrong_field() -> None:
    verdict = parse_pos_message(body(1, transaction_id=f"tx-{MAESTRO_12}"))
    assert isinstance(verdict, Rejection) and verdict.reason is RejectReason.PAN_IN_WRONG_FIELD


def test_a_luhn_valid_12_digit_id_of_no_scheme_is_no_pan() -> None:
    verdict = parse_pos_message(body(1, transaction_id=f"tx-{OTHER_12}"))
    assert isinstance(verdict, PosMessage)


@pytest.mark.parametrize(
    "written",
    [MAESTRO_12, f"{MAESTRO_12[:4]} {MAESTRO_12[4:8]} {MAESTRO_12[8:]}",
     f"{MAESTRO_12[:4]}-{MAESTRO_12[4:8]}-{MAESTRO_12[8:]}", f"ref{MAESTRO_12}x"],
)  # fmt: skip
def test_a_12_digit_maestro_is_found_and_masked_in_any_layout(written: str) -> None:
    assert could_hold_pan(written) and holds_pan(written)
    with pytest.raises(LineRejected) as rejected:
        reject_pans({"name": f"Shop {written}"})
    assert rejected.value.reason is LineReason.PAN_IN_WRONG_FIELD
    assert MAESTRO_12[:6] not in mask_pans(written).replace(" ", "").replace("-", "")


MAESTRO_IINS = ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")
FOUR_DIGITS = st.text(alphabet="0123456789", min_size=4, max_size=4)


@given(st.one_of(st.sampled_from(MAESTRO_IINS), FOUR_DIGITS), st.text("0123456789", min_size=7,
       max_size=7))  # fmt: skip
def test_a_12_digit_run_is_a_pan_only_under_a_maestro_iin(iin: str, digits: str) -> None:
    payload = iin + digits
    run = payload + luhn_check_digit(payload)  # the simulator's own Luhn, not the gateway's
    assert holds_pan(f"id {run} x") == (iin in MAESTRO_IINS)
    assert not holds_pan(f"id {payload + str((int(run[-1]) + 1) % 10)} x")  # fails Luhn
