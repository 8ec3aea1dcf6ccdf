"""Hand-made `cardsettle.pos.v1` messages for gateway tests (independent of the simulator)."""

from __future__ import annotations

import json
import random
from typing import Any

from settlement.domain.cards import luhn_valid

TEST_PANS = ("4111111111111111", "5555555555554444", "378282246310005", "6011111111111117")


def luhn_pan(rng: random.Random, prefix: str = "4", length: int = 16) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def message(index: int, **overrides: Any) -> dict[str, Any]:
    minute = index % 600
    base: dict[str, Any] = {
        "schema": "cardsettle.pos.v1",
        "transaction_id": f"tx-{index:08d}",
        "type": "purchase",
        "original_transaction_id": None,
        "merchant_id": f"M{index % 7:04d}",
        "terminal_id": f"T{index % 13:04d}",
        "pan": TEST_PANS[index % len(TEST_PANS)],
        "expiry": "12/29",
        "amount": f"{1 + index % 250}.{index % 100:02d}",
        "currency": "EUR",
        "card_country": "NL",
        "merchant_country": "NL",
        "mcc": "5411",
        "entry_mode": "chip",
        "local_time": f"2026-11-27T{8 + minute // 60:02d}:{minute % 60:02d}:00+01:00",
        "sent_at": f"2026-11-27T{7 + minute // 60:02d}:{minute % 60:02d}:02Z",
    }
    base.update(overrides)
    return base


def body(index: int, **overrides: Any) -> str:
    return json.dumps(message(index, **overrides), separators=(",", ":"))
