"""How many merchants and cards a day of N transactions has: the day's density, one home.

A real acquirer's day grows by adding merchants and cardholders, not by sending more
purchases through the same tills and cards: a 1M-transaction day on 300 merchants and
10,000 cards gave every card ~100 purchases and every terminal thousands, and the fraud
rules flagged ~40 % of it. So above `GROWING_ABOVE_TRANSACTIONS` the pools grow with the
day: a merchant takes ~20 transactions, a card ~2 (`TRANSACTIONS_PER_MERCHANT`,
`TRANSACTIONS_PER_CARD`), uncapped. Two a card is an active card's day, and continues the
small days: 20,000 transactions on `pos-sim generate`'s 10,000 cards.

Up to that size each command keeps the sizes it has always used (`SMALL_DAYS`), so that
every day already generated, whose figures the README, the tests and saved days depend on,
comes out byte for byte the same: `pos-sim generate` 300 merchants and 10,000 cards,
`pos-sim run` 50 and 2,000, the demo and the lesson their rule scaled down to 20 and 1,000.
The threshold, 20,000, is the largest day any of them runs at those sizes (`settlement demo
-n 20000` in the README) and still two purchases a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class PoolSizes:
    merchants: int
    cards: int


@dataclass(frozen=True, slots=True)
class SmallDay:
    """A command's sizes up to the threshold: the proportional sizes held between
    `smallest` and `largest` (equal bounds: fixed sizes)."""

    smallest: PoolSizes
    largest: PoolSizes


TRANSACTIONS_PER_MERCHANT: Final = 20
TRANSACTIONS_PER_CARD: Final = 2
GROWING_ABOVE_TRANSACTIONS: Final = 20_000

GENERATE_SIZES: Final = PoolSizes(merchants=300, cards=10_000)
RUN_SIZES: Final = PoolSizes(merchants=50, cards=2_000)
SMALL_DAYS: Final = {
    "generate": SmallDay(GENERATE_SIZES, GENERATE_SIZES),
    "run": SmallDay(RUN_SIZES, RUN_SIZES),
    "demo": SmallDay(PoolSizes(merchants=20, cards=1_000), GENERATE_SIZES),
}


def proportional_sizes(transactions: int) -> PoolSizes:
    """The density: ~20 transactions a merchant, ~2 a card."""
    return PoolSizes(
        merchants=transactions // TRANSACTIONS_PER_MERCHANT,
        cards=transactions // TRANSACTIONS_PER_CARD,
    )


def pool_sizes(transactions: int, command: str = "generate") -> PoolSizes:
    """The pools of a day of `transactions` as `command` sizes it when not told."""
    if transactions > GROWING_ABOVE_TRANSACTIONS:
        return proportional_sizes(transactions)
    # The small demo days' own rule: two cards a transaction, clamped (few repeat buyers,
    # so a small day's fraud stories stand out against its everyday cards).
    sizes = PoolSizes(transactions // TRANSACTIONS_PER_MERCHANT, 2 * transactions)
    small = SMALL_DAYS[command]
    return PoolSizes(
        merchants=_clamp(sizes.merchants, small.smallest.merchants, small.largest.merchants),
        cards=_clamp(sizes.cards, small.smallest.cards, small.largest.cards),
    )


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
