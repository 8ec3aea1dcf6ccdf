"""A fixed-size uniform sample of the day's clean purchases so far (reservoir sampling).

Refunds need an earlier purchase of the same card at the same merchant, and the amount-spike
scenario needs a card with history. Keeping every purchase would grow with N; a reservoir of
a few thousand keeps memory flat while its entries stay spread over the whole day so far,
so refunds come minutes to hours after their purchase. Li's algorithm L decides up front
which candidate is kept next, so the caller's per-purchase cost is one integer comparison
(`candidate == next_index`) and a `Txn` is only built for the few that are kept.
"""

from __future__ import annotations

import math
import random

from pos_simulator.records import Txn

CAPACITY = 2048
TAKE_TRIES = 4
_ALMOST_ONE = 1.0 - 1e-12


class Reservoir:
    def __init__(self, rng: random.Random, capacity: int = CAPACITY) -> None:
        self._rng = rng
        self._capacity = capacity
        self._entries: list[Txn] = []
        self._w = 0.0
        self.candidates = 0  # purchases offered so far
        self.next_index = 0  # the candidate number that will be kept next

    def __len__(self) -> int:
        return len(self._entries)

    def offer(self, txn: Txn) -> None:
        index = self.candidates
        self.candidates = index + 1
        if index == self.next_index:
            self.keep(txn, index)

    def keep(self, txn: Txn, index: int) -> None:
        """Keep candidate number `index` (the caller checked `index == next_index`)."""
        entries, capacity = self._entries, self._capacity
        if self._w == 0.0:  # still filling for the first time
            entries.append(txn)
            self.next_index = index + 1
            if len(entries) < capacity:
                return
            self._w = self._shrink(1.0)
        else:
            if len(entries) < capacity:  # a refund took one out: fill the gap
                entries.append(txn)
            else:
                entries[int(self._rng.random() * capacity)] = txn
            self._w = self._shrink(self._w)
        skip = math.log(1.0 - self._rng.random()) / math.log(1.0 - self._w)
        self.next_index = index + 1 + math.floor(skip)

    def _shrink(self, w: float) -> float:
        return min(_ALMOST_ONE, w * math.exp(math.log(1.0 - self._rng.random()) / self._capacity))

    def take(self, before_ms: int) -> Txn | None:
        """Remove and return a purchase made before `before_ms` (each is refunded once)."""
        entries = self._entries
        for _ in range(TAKE_TRIES):
            if not entries:
                return None
            slot = int(self._rng.random() * len(entries))
            chosen = entries[slot]
            if chosen.ms < before_ms:
                entries[slot] = entries[-1]
                entries.pop()
                return chosen
        return None

    def peek(self) -> Txn | None:
        """A purchase from the sample, left in place."""
        if not self._entries:
            return None
        return self._entries[int(self._rng.random() * len(self._entries))]
