"""Message validation: each kind of bad input gets its own reason code."""

from __future__ import annotations

import json

import pytest

from settlement.domain.cards import card_brand, luhn_valid, mask_pans, tokenize
from settlement.domain.money import Money
from settlement.domain.pos_message import PosMessage, Rejection, RejectReason, parse_pos_message
from tests.support.messages import body, message


def test_valid_message_parses() -> None:
    parsed = parse_pos_message(body(1))
    assert isinstance(parsed, PosMessage)
    assert parsed.amount == Money(201, "EUR")
    assert parsed.local_time.utcoffset() is not None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", RejectReason.MALFORMED_JSON),
        ("[1, 2]", RejectReason.MALFORMED_JSON),
        (
            json.dumps({k: v for k, v in message(1).items() if k != "mcc"}),
            RejectReason.MISSING_FIELD,
        ),
        (body(1, schema="cardsettle.pos.v0"), RejectReason.UNSUPPORTED_SCHEMA),
        (body(1, currency="XXX"), RejectReason.UNKNOWN_CURRENCY),
        (body(1, amount="1.234"), RejectReason.TOO_MANY_DECIMALS),
        (body(1, currency="JPY", amount="100.5"), RejectReason.TOO_MANY_DECIMALS),
        (body(1, amount="0.00"), RejectReason.INVALID_AMOUNT),
        (body(1, amount="-5.00"), RejectReason.INVALID_AMOUNT),
        (body(1, amount=12.5), RejectReason.INVALID_AMOUNT),
        (body(1, pan="4111111111111112"), RejectReason.FAILED_LUHN),
        (body(1, pan="41111"), RejectReason.INVALID_FIELD),
        (body(1, type="chargeback"), RejectReason.INVALID_FIELD),
        (body(1, type="refund"), RejectReason.MISSING_ORIGINAL),
        (body(1, local_time="2026-11-27T10:00:00"), RejectReason.INVALID_FIELD),
        (body(1, mcc="54111"), RejectReason.INVALID_FIELD),
        (body(1, expiry="13/29"), RejectReason.INVALID_FIELD),
        (body(1, entry_mode="telepathy"), RejectReason.INVALID_FIELD),
        (body(1, terminal_id="4111111111111111"), RejectReason.PAN_IN_WRONG_FIELD),
    ],
)
def test_rejections_are_specific(text: str, reason: RejectReason) -> None:
    parsed = parse_pos_message(text)
    assert isinstance(parsed, Rejection), parsed
    assert parsed.reason is reason, parsed.detail


def test_rejection_detail_never_contains_the_pan() -> None:
    parsed = parse_pos_message(body(1, pan="4111111111111112"))
    assert isinstance(parsed, Rejection)
    assert "4111111111111112" not in parsed.detail
    assert parsed.transaction_id == "tx-00000001"


def test_card_helpers() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert card_brand("4111111111111111") == "visa"
    assert card_brand("5555555555554444") == "mastercard"
    assert card_brand("2221000000000009") == "mastercard"
    assert card_brand("378282246310005") == "amex"
    assert card_brand("6011111111111117") == "discover"
    card = tokenize("4111111111111111", b"key")
    assert (card.bin, card.last4, len(card.token)) == ("41111111", "1111", 64)  # 8-digit BIN
    assert tokenize("4111111111111111", b"other").token != card.token


# Each scheme's IIN range edges with its PAN lengths, and the neighbours just outside, as
# docs/reference-data.md states them (written out here, not read from cards.SCHEMES): the
# brand table must answer exactly these. Issue 16 added Diners, JCB, UnionPay and Maestro
# and Discover's 17-18 digit PANs; 622126-622925 (routed by Discover in North America) is
# UnionPay's, as its issuer.
BRAND_EDGES = {
    "visa": (("4000", "4999"), (13, 16, 19)),
    "mastercard": (("5100", "5599", "2221", "2720"), (16,)),
    "amex": (("3400", "3499", "3700", "3799"), (15,)),
    "discover": (("6011", "6440", "6499", "6500", "6599"), range(16, 20)),
    "diners": (("3000", "3059", "3095", "3600", "3699", "3800", "3999"), range(14, 20)),
    "jcb": (("3528", "3589"), range(16, 20)),
    "unionpay": (("6200", "622126", "622925", "6299", "8100", "8199"), range(16, 20)),
    "maestro": (
        ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6763", "676770", "676774"),
        range(12, 20),
    ),
}
OUTSIDE_EVERY_RANGE = ("0000", "1000", "2220", "2721", "3060", "3094", "3096", "3100", "3399",
                       "3500", "3527", "3590", "3599", "5000", "5017", "5019", "5021", "5037",
                       "5039", "5099", "5600", "5892", "5894", "6010", "6012", "6199", "6303",
                       "6305", "6439", "6600", "6758", "6760", "6764", "676769", "676771",
                       "676773", "676775", "7000", "8099", "8200", "9999")  # fmt: skip


@pytest.mark.parametrize("brand", sorted(BRAND_EDGES))
def test_card_brand_at_the_edges_of_each_range(brand: str) -> None:
    prefixes, lengths = BRAND_EDGES[brand]
    for prefix in prefixes:
        for length in range(11, 21):
            pan = prefix.ljust(length, "7")
            assert card_brand(pan) == (brand if length in lengths else "unknown"), pan
    for prefix in OUTSIDE_EVERY_RANGE:
        for length in range(11, 21):
            assert card_brand(prefix.ljust(length, "7")) == "unknown", prefix


def test_mask_pans() -> None:
    assert mask_pans('{"pan": "4111111111111111"}') == '{"pan": "411111******1111"}'
    assert mask_pans("card 378282246310005 x") == "card ***********0005 x"
    assert mask_pans("order 12345") == "order 12345"


def _luhn_reference(pan: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(pan)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def test_luhn_matches_the_textbook_algorithm() -> None:
    import random

    rng = random.Random(7)
    for _ in range(5000):
        pan = "".join(str(rng.randrange(10)) for _ in range(rng.randrange(12, 20)))
        assert luhn_valid(pan) == _luhn_reference(pan), pan
    assert not luhn_valid("4111 1111 1111 1111") and not luhn_valid("")
