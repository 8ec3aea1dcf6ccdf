"""Fault draws and garbling: each malformed kind is refused by the gateway for that reason."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from pos_simulator.faults import BAD_CURRENCIES, FaultDraw, altered_amount, garble
from pos_simulator.vocabulary import MALFORMED_FAULTS
from settlement.domain.currencies import is_known_currency
from settlement.domain.pos_message import PosMessage, Rejection, parse_pos_message

VALID = {
    "schema": "cardsettle.pos.v1",
    "transaction_id": "019ac748-5e7b-7fff-bfff-ffffffffffff",
    "type": "purchase",
    "original_transaction_id": None,
    "merchant_id": "M0000001",
    "terminal_id": "M0000001-T01",
    "pan": "4111111111111111",
    "expiry": "12/29",
    "amount": "12.50",
    "currency": "EUR",
    "card_country": "NL",
    "merchant_country": "NL",
    "mcc": "5411",
    "entry_mode": "chip",
    "local_time": "2026-11-27T14:03:09+01:00",
    "sent_at": "2026-11-27T13:03:10.412Z",
}


def test_the_untouched_message_is_accepted() -> None:
    assert isinstance(parse_pos_message(json.dumps(VALID)), PosMessage)


@pytest.mark.parametrize("kind", MALFORMED_FAULTS)
@pytest.mark.parametrize("seed", range(25))
def test_each_malformed_kind_is_rejected_for_that_reason(kind: str, seed: int) -> None:
    fields: dict[str, str | None] = dict(VALID)
    if seed % 3 == 1:
        fields |= {"currency": "JPY", "amount": "1250"}
    elif seed % 3 == 2:
        fields |= {"currency": "KWD", "amount": "3.125", "pan": "378282246310005"}
    line = garble(random.Random(seed), kind, fields)
    assert line.endswith("\n") and "\n" not in line[:-1]
    parsed = parse_pos_message(line[:-1])
    assert isinstance(parsed, Rejection)
    assert parsed.reason.value == kind


def test_bad_currencies_are_not_iso_codes() -> None:
    assert BAD_CURRENCIES and not any(is_known_currency(code) for code in BAD_CURRENCIES)


def test_one_draw_gives_each_kind_its_rate() -> None:
    rates = {"lost": 0.1, "late": 0.2, "failed_luhn": 0.05, "orphan_refund": 0.3}
    draw = FaultDraw(rates)
    assert draw.total == pytest.approx(0.35)  # orphan_refund is decided elsewhere
    rng = random.Random(3)
    n = 100_000
    counts = Counter(draw.pick(rng.random()) for _ in range(n))
    for kind in ("lost", "late", "failed_luhn"):
        rate = rates[kind]
        assert abs(counts[kind] - n * rate) < 5 * (n * rate * (1 - rate)) ** 0.5
    assert FaultDraw({}).pick(0.0) is None


def test_an_altered_amount_differs_and_stays_positive() -> None:
    rng = random.Random(1)
    for amount in (1, 2, 99, 1250, 10**9):
        for _ in range(50):
            changed = altered_amount(rng, amount)
            assert changed != amount and changed >= 1
