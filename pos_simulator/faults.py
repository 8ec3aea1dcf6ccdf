"""Delivery faults and malformed messages: what goes wrong between terminal and queue.

Each transaction draws one uniform number; the kinds own disjoint slices of [0, 1) sized by
their rates, so a transaction has at most one fault and each kind's count is binomial with
exactly its requested rate. `orphan_refund` is not drawn here: it replaces a purchase with a
refund of an unknown original, and `day.py` decides it.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_right
from typing import Final

from pos_simulator.allocation import cumulative
from pos_simulator.cards import corrupt_check_digit
from pos_simulator.vocabulary import FAULT_KINDS
from settlement.domain.currencies import is_known_currency, is_retired_currency
from settlement.domain.pos_message import REQUIRED_FIELDS

# Look-alikes a misconfigured terminal might send: country codes and typos, none ISO 4217,
# current or withdrawn (a withdrawn code is retired_currency, not this fault). "UDS" took the
# place of "USS", which ISO 4217 lists as withdrawn (US Dollar same day, 2014): six codes
# still, so the seeded draws pick the same places.
BAD_CURRENCIES: Final = tuple(
    code
    for code in ("EUE", "UDS", "GBR", "JPN", "SWE", "KWT")
    if not (is_known_currency(code) or is_retired_currency(code))
)
# Fields whose absence the gateway must catch: every field that must hold a value, except the
# contract's tag `schema`, which the simulator has never dropped (the list's length picks the
# field, so keeping it keeps every seeded day as it was).
DROPPABLE_FIELDS: Final = tuple(name for name in REQUIRED_FIELDS if name != "schema")


class FaultDraw:
    """Maps one uniform draw to a fault kind (or None) by the configured rates."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.kinds = [k for k in FAULT_KINDS if k != "orphan_refund" and rates.get(k, 0.0) > 0]
        self._bounds = cumulative([rates[kind] for kind in self.kinds])
        self.total = self._bounds[-1] if self.kinds else 0.0

    def pick(self, u: float) -> str | None:
        if u >= self.total:
            return None
        return self.kinds[min(bisect_right(self._bounds, u), len(self.kinds) - 1)]


def altered_amount(rng: random.Random, amount_minor: int) -> int:
    """A different positive amount: a slip of 1-30%, at least one minor unit either way."""
    delta = max(1, int(amount_minor * (0.01 + 0.29 * rng.random())))
    if rng.random() < 0.5 and amount_minor - delta >= 1:
        return amount_minor - delta
    return amount_minor + delta


def garble(rng: random.Random, kind: str, fields: dict[str, str | None]) -> str:
    """The message line for a malformed `kind`; valid JSON except for malformed_json."""
    if kind == "malformed_json":
        text = _dumps(fields)
        return text[: rng.randint(len(text) // 3, len(text) - 2)] + "\n"
    garbled = dict(fields)
    if kind == "missing_field":
        del garbled[DROPPABLE_FIELDS[int(rng.random() * len(DROPPABLE_FIELDS))]]
    elif kind == "unknown_currency":
        garbled["currency"] = BAD_CURRENCIES[int(rng.random() * len(BAD_CURRENCIES))]
    elif kind == "too_many_decimals":
        amount = str(garbled["amount"])
        garbled["amount"] = amount + ("5" if "." in amount else ".5")
    elif kind == "failed_luhn":
        garbled["pan"] = corrupt_check_digit(str(garbled["pan"]))
    else:
        raise ValueError(f"not a malformed kind: {kind}")
    return _dumps(garbled) + "\n"


def _dumps(fields: dict[str, str | None]) -> str:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
