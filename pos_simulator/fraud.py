"""Fraud scenarios: a registry of small story builders, one per ground-truth label.

A story starts at an instant and merchant drawn from the scenario's own stream (its
`eligible` merchants weighted by `weigh` at their local hour) and returns its transactions,
every one labelled with the scenario. Adding a scenario is one function and one entry here.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from pos_simulator.kit import Kit
from pos_simulator.pools import Merchant
from pos_simulator.records import Txn
from pos_simulator.shapes import NIGHT_HOURS, HourWeights
from pos_simulator.streams import Weigh, anywhere, open_hours
from pos_simulator.timeline import MS_PER_MIN, MS_PER_S

Builder = Callable[[Kit, int, Merchant, int], list[Txn]]

# Cards one compromised terminal pushes through in a burst: a fraudster's batch of cloned or
# stolen cards, not a share of the day's traffic, so the size does not grow with N. The range
# is judgement (docs/simulator.md): from a handful, which no burst rule can tell from a busy
# till, to two dozen; about four bursts in five exceed the default rule's 8 cards.
SKIMMED_CARDS: tuple[int, int] = (5, 24)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    mean_length: float  # transactions per story
    fixed_length: bool  # every story exactly mean_length long
    eligible: Callable[[Merchant], bool]
    weigh: Weigh
    build: Builder
    # Each story's length drawn from this range (inclusive) whatever the day's volume; None:
    # the scenario's share of N is split into stories of about `mean_length`.
    story_sizes: tuple[int, int] | None = None


NIGHT_WEIGHTS: HourWeights = tuple(1.0 if hour in NIGHT_HOURS else 0.0 for hour in range(24))


def _at_night(_: Merchant) -> tuple[HourWeights, float]:
    """Every merchant alike, only at night (1.0 x 1.0 and 0.0 x 1.0: the 1s and 0s)."""
    return NIGHT_WEIGHTS, 1.0


def card_testing(kit: Kit, ms: int, merchant: Merchant, length: int) -> list[Txn]:
    """A stolen number checked with a burst of tiny online payments seconds apart."""
    card = kit.pick(kit.pools.cards)
    cent = merchant.contactless_limit_minor / 5000  # a euro cent, in local minor units
    mode = "ecommerce" if merchant.online else "manual"
    burst = []
    for t in kit.spread(ms, length, 3 * MS_PER_S, 40 * MS_PER_S):
        amount = max(1, int(cent * kit.uniform_ms(10, 200)))
        burst.append(kit.txn(t, merchant, card, amount, label="card_testing", mode=mode))
    return burst


def stolen_card_spree(kit: Kit, ms: int, merchant: Merchant, length: int) -> list[Txn]:
    """A stolen card emptied fast: high-value shops in one country, minutes apart."""
    # Stolen from a local where the thief is: a card from anywhere would also be "seen" at
    # home or on its holder's trip, an impossible-travel pair that is not this story.
    card = kit.pick(kit.trips.home_cards(merchant.country_code, kit.pools))
    shops = kit.merchants_where(merchant.country_code, "high_value") or (merchant,)
    spree = []
    for i, t in enumerate(kit.spread(ms, length, 2 * MS_PER_MIN, 12 * MS_PER_MIN)):
        shop = merchant if i == 0 else kit.pick(shops)
        amount = kit.amount(shop, factor=max(3.0, 900.0 / shop.mcc.median_eur))
        mode = "magstripe" if kit.rng.random() < 0.4 else "chip"
        spree.append(kit.txn(t, shop, card, amount, label="stolen_card_spree", mode=mode))
    return spree


def compromised_terminal(kit: Kit, ms: int, merchant: Merchant, length: int) -> list[Txn]:
    """One skimming terminal: many different cards through the same device within the hour."""
    terminal = kit.pick_terminal(merchant)
    cards = kit.rng.sample(kit.pools.cards, min(length, len(kit.pools.cards)))
    skimmed = []
    for i, t in enumerate(kit.spread(ms, length, 30 * MS_PER_S, 5 * MS_PER_MIN)):
        mode = "magstripe" if kit.rng.random() < 0.5 else "chip"
        card, amount = cards[i % len(cards)], kit.amount(merchant)
        txn = kit.txn(t, merchant, card, amount, label="compromised_terminal", mode=mode)
        txn.terminal_id = terminal
        skimmed.append(txn)
    return skimmed


def impossible_travel(kit: Kit, ms: int, merchant: Merchant, length: int) -> list[Txn]:
    """The same card present in two far-apart countries within an hour (a cloned card)."""
    # A card whose holder is at home: the far leg is then the clone, not a holiday.
    card = kit.pick(kit.trips.home_cards(merchant.country_code, kit.pools))
    far = kit.far_merchants(merchant.country_code)
    gap_high_ms = 55 * MS_PER_MIN // max(1, length - 1)  # all legs within the hour
    legs = []
    for i, t in enumerate(kit.spread(ms, length, 5 * MS_PER_MIN, gap_high_ms)):
        shop = merchant if i % 2 == 0 else kit.pick(far)
        amount = kit.amount(shop)
        mode = kit.present_mode(shop, amount)
        legs.append(kit.txn(t, shop, card, amount, label="impossible_travel", mode=mode))
    return legs


def amount_spike(kit: Kit, ms: int, merchant: Merchant, length: int) -> list[Txn]:
    """A card with an ordinary history today suddenly spends 15-40 times its usual amount."""
    spikes = []
    for t in kit.spread(ms, length, MS_PER_MIN, 10 * MS_PER_MIN):
        earlier = kit.reservoir.peek()
        shop = earlier.merchant if earlier else merchant
        card = earlier.card if earlier else kit.pick(kit.pools.cards)
        usual = earlier.amount_minor if earlier else kit.amount(shop)
        amount = max(1, int(usual * (15 + 25 * kit.rng.random())))
        mode = "ecommerce" if shop.online else "chip"
        spikes.append(kit.txn(t, shop, card, amount, label="amount_spike", mode=mode))
    return spikes


def high_risk_mcc_night(kit: Kit, ms: int, merchant: Merchant, length: int) -> list[Txn]:
    """Payments at a high-integrity-risk MCC (the rule's list) in the merchant's small hours."""
    card = kit.pick(kit.pools.cards)
    mode = "ecommerce" if merchant.online else "chip"
    night = []
    for t in kit.spread(ms, length, 2 * MS_PER_MIN, 20 * MS_PER_MIN):
        amount = kit.amount(merchant, factor=1 + 2 * kit.rng.random())
        night.append(kit.txn(t, merchant, card, amount, label="high_risk_mcc_night", mode=mode))
    return night


def _high_risk(merchant: Merchant) -> bool:
    """At an MCC of the rule's list, online where the list counts only card-absent sales
    (the story pays online there, in person elsewhere)."""
    return merchant.mcc.high_risk and (
        merchant.online or not merchant.mcc.high_risk_card_absent_only
    )


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("card_testing", 8, False, lambda m: m.online, open_hours, card_testing),
        Scenario(
            "stolen_card_spree",
            5,
            False,
            lambda m: not m.online and m.mcc.high_value,
            open_hours,
            stolen_card_spree,
        ),
        Scenario(
            "compromised_terminal",
            (SKIMMED_CARDS[0] + SKIMMED_CARDS[1]) / 2,
            False,
            lambda m: not m.online,
            open_hours,
            compromised_terminal,
            story_sizes=SKIMMED_CARDS,
        ),
        Scenario(
            "impossible_travel", 2, True, lambda m: not m.online, open_hours, impossible_travel
        ),
        Scenario("amount_spike", 1, True, anywhere, open_hours, amount_spike),
        Scenario(
            "high_risk_mcc_night",
            2,
            False,
            _high_risk,
            _at_night,
            high_risk_mcc_night,
        ),
    )
}


def story_lengths(rng: random.Random, total: int, scenario: Scenario) -> list[int]:
    """Split a scenario's `total` transactions into stories of about its mean length.

    Even shares first, then neighbours trade a random part, so lengths vary but the total,
    which the labels must match, stays exact.
    """
    if total == 0:
        return []
    stories = max(1, round(total / scenario.mean_length))
    lengths = [total * (i + 1) // stories - total * i // stories for i in range(stories)]
    if not scenario.fixed_length:
        for i in range(0, stories - 1, 2):
            moved = rng.randint(1 - lengths[i + 1], lengths[i] - 1)
            lengths[i], lengths[i + 1] = lengths[i] - moved, lengths[i + 1] + moved
    return lengths


def plan_stories(
    rng: random.Random, transactions: int, rate: float, scenario: Scenario
) -> list[int]:
    """The lengths of a scenario's stories in a day of `transactions`.

    With `story_sizes`, the day holds about N x rate / mean_length stories, at least one once
    N x rate reaches one transaction (a demo day of 2,000 shows a realistic burst rather than
    a 4-card sliver of one), each of a length drawn from the range. Otherwise the rate's
    exact count is split into stories (`story_lengths`)."""
    if scenario.story_sizes is None:
        return story_lengths(rng, rounded_count(transactions, rate, scenario), scenario)
    expected = transactions * rate
    if expected < 1:
        return []
    low, high = scenario.story_sizes
    stories = max(1, math.floor(expected / scenario.mean_length + 0.5))
    return [rng.randint(low, high) for _ in range(stories)]


def rounded_count(transactions: int, rate: float, scenario: Scenario) -> int:
    """Transactions of a scenario in a day: rate x N, whole stories for fixed-length ones."""
    if scenario.fixed_length:
        length = int(scenario.mean_length)
        return length * math.floor(transactions * rate / length + 0.5)
    return math.floor(transactions * rate + 0.5)
