"""What building a transaction needs: the seeded RNG, the pools, ids, amounts, entry modes.

Shared by the everyday traffic (`day.py`) and the fraud scenarios (`fraud.py`), so a stolen
card's purchase is built exactly like a legitimate one except where the scenario says.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pos_simulator.cards import Card
from pos_simulator.countries import BY_CODE, distance_km
from pos_simulator.history import Reservoir
from pos_simulator.pools import Merchant, Pools
from pos_simulator.records import Txn
from pos_simulator.timeline import uuid7_text
from pos_simulator.trips import Trips
from pos_simulator.views import At

T = TypeVar("T")
FAR_KM = 1500.0  # farther than anyone travels in an hour
# Card-present entry modes: a little magstripe fallback and keyed entry, then contactless
# below the cardholder-verification limit and chip above it.
MAGSTRIPE_SHARE, MANUAL_SHARE, CONTACTLESS_SHARE = 0.04, 0.02, 0.60


@dataclass(slots=True)
class Kit:
    rng: random.Random
    pools: Pools
    start_ms: int
    end_ms: int
    reservoir: Reservoir
    trips: Trips  # who is abroad today: where a card can be present
    _by_country: dict[tuple[str, str], At[Merchant]] = field(default_factory=dict)

    def new_id(self, ms: int) -> str:
        return uuid7_text(ms, self.rng.getrandbits(74))

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.rng.random() * len(items))]

    def pick_terminal(self, merchant: Merchant) -> str:
        """One of `merchant`'s terminals, drawn as `pick(merchant.terminals)` drew it."""
        return merchant.merchant_id + self.pick(merchant.terminal_suffixes)

    def uniform_ms(self, low_ms: int, high_ms: int) -> int:
        return low_ms + int(self.rng.random() * (high_ms - low_ms))

    def amount(self, merchant: Merchant, factor: float = 1.0) -> int:
        """A basket from the merchant's category distribution (lognormal), in minor units."""
        draw = math.exp(merchant.log_mu_minor + merchant.sigma * self.rng.gauss())
        return max(1, int(draw * factor))

    def present_mode(self, merchant: Merchant, amount_minor: int) -> str:
        if merchant.online:
            return "ecommerce"
        x = self.rng.random()
        if x < MAGSTRIPE_SHARE:
            return "magstripe"
        if x < MAGSTRIPE_SHARE + MANUAL_SHARE:
            return "manual"
        if x < CONTACTLESS_SHARE and amount_minor <= merchant.contactless_limit_minor:
            return "contactless"
        return "chip"

    def txn(
        self, ms: int, merchant: Merchant, card: Card, amount_minor: int, *, label: str, mode: str
    ) -> Txn:
        """A purchase at a random terminal of `merchant`."""
        terminal = self.pick_terminal(merchant)
        return Txn(
            ms,
            self.new_id(ms),
            "purchase",
            None,
            merchant,
            terminal,
            card,
            amount_minor,
            mode,
            label,
        )

    def spread(self, ms: int, count: int, gap_low_ms: int, gap_high_ms: int) -> list[int]:
        """`count` instants from `ms` on with random gaps, squeezed to end before the cutoff."""
        instants = [ms]
        for _ in range(count - 1):
            instants.append(instants[-1] + self.uniform_ms(gap_low_ms, gap_high_ms))
        room = self.end_ms - 1 - ms
        if instants[-1] - ms > room:
            scale = room / (instants[-1] - ms)
            instants = [ms + int((t - ms) * scale) for t in instants]
        return instants

    def merchants_where(self, country: str, kind: str) -> Sequence[Merchant]:
        """Card-present merchants in `country`: all of them (`present`) or `high_value` ones."""
        key = (country, kind)
        if key not in self._by_country:
            self._by_country[key] = self._merchants_at(
                m
                for m in self.pools.merchants
                if m.country.code == country
                and not m.online
                and (kind == "present" or m.mcc.high_value)
            )
        return self._by_country[key]

    def far_merchants(self, country: str) -> Sequence[Merchant]:
        """Card-present merchants far from `country`; the farthest country's if none is far."""
        key = (country, "far")
        if key not in self._by_country:
            home = BY_CODE[country]
            present = [m for m in self.pools.merchants if not m.online]
            far = self._merchants_at(m for m in present if distance_km(home, m.country) > FAR_KM)
            if not far:
                farthest = max(distance_km(home, m.country) for m in present)
                far = self._merchants_at(
                    m for m in present if distance_km(home, m.country) == farthest
                )
            self._by_country[key] = far
        return self._by_country[key]

    def _merchants_at(self, merchants: Iterable[Merchant]) -> At[Merchant]:
        """The merchants as their pool indices, 4 bytes each: a country's far-away merchants
        are most of the pool, and a 1M day kept 18 such tuples (~2.5 MiB)."""
        return At(self.pools.merchants, array("i", [m.index for m in merchants]))

    def end_clamp(self, ms: int) -> int:
        return min(ms, self.end_ms - 1)
