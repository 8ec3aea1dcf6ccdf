"""Amount spike: a purchase far above the card's own average over the last `history_days`.

Compares in EUR with integer cross-multiplication (amount * n > multiplier * sum), so no float
touches money. Needs at least `min_history` earlier purchases; `min_amount_eur` keeps a 40 EUR
dinner on a coffee-only card from being flagged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from settlement.domain.fraud.activity import CardActivity, eur_text
from settlement.domain.fraud.bound import EUR_FIELDS, Bound, RawGroup
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import CardRule, require_positive
from settlement.domain.money import Money, round_half_even


@dataclass(frozen=True, slots=True)
class Params:
    multiplier: Decimal
    min_history: int
    history_days: int
    min_amount_eur: Money

    def __post_init__(self) -> None:
        require_positive(min_history=self.min_history, history_days=self.history_days)
        if self.multiplier <= 1:
            raise ValueError(f"multiplier: must be above 1, got {self.multiplier}")


def _reason(eur: int, total: int, count: int, params: Params) -> str:
    average = round_half_even(Fraction(total, count))
    tenths = round_half_even(Fraction(eur * count * 10, total)) if total else None
    ratio = "inf" if tenths is None else str(Decimal(tenths) / 10)
    return (
        f"{eur_text(eur)} EUR is {ratio}x the card's average of {eur_text(average)} EUR over "
        f"{count} purchases in {params.history_days} days (limit {params.multiplier}x)"
    )


def _histories(card: CardActivity, params: Params) -> Iterator[tuple[int, int, int, int]]:
    """(index, EUR, sum and count of the card's earlier purchases within `history_days`) per
    converted purchase: one pass with a running sum over a deque."""
    span = timedelta(days=params.history_days)
    history: deque[tuple[datetime, int]] = deque()
    total = 0
    for index, (at, eur) in enumerate(zip(card.times, card.eur_minor, strict=True)):
        if eur is None:
            continue
        while history and at - history[0][0] > span:
            total -= history.popleft()[1]
        yield index, eur, total, len(history)
        history.append((at, eur))
        total += eur


def _spike(eur: int, total: int, count: int, params: Params) -> bool:
    numerator, denominator = params.multiplier.as_integer_ratio()
    return eur * count * denominator > numerator * total


def check(card: CardActivity, params: Params) -> list[Hit]:
    if len(card.times) <= params.min_history:
        return []
    floor = params.min_amount_eur.amount_minor
    return [
        Hit(card.purchases[index], _reason(eur, total, count, params))
        for index, eur, total, count in _histories(card, params)
        if card.today[index]
        and eur >= floor
        and count >= params.min_history
        and _spike(eur, total, count, params)
    ]


def unreachable(card: CardActivity, params: Params) -> list[str | None]:
    """Per purchase: no EUR rate, under the floor, too little history on the card, or not
    `multiplier` times its average (every earlier purchase of the card counts)."""
    floor = params.min_amount_eur.amount_minor
    reasons: list[str | None] = ["no EUR rate for the purchase"] * len(card.purchases)
    for index, eur, total, count in _histories(card, params):
        if eur < floor:
            reasons[index] = f"{eur_text(eur)} EUR, under the floor of {eur_text(floor)} EUR"
        elif count < params.min_history:
            reasons[index] = (
                f"{count} earlier purchases on the card, the rule needs "
                f"{params.min_history} in {params.history_days} days"
            )
        elif not _spike(eur, total, count, params):
            reasons[index] = f"not over {params.multiplier}x the card's average"
        else:
            reasons[index] = None
    return reasons


def may_flag(group: RawGroup, params: Params) -> bool:
    """`check`'s early exit, and a hit needs a converted business-date purchase at the floor."""
    if len(group.rows) <= params.min_history:
        return False
    floor = params.min_amount_eur.amount_minor
    return any(
        today and eur is not None and eur >= floor
        for today, eur in zip(group.today, group.eur, strict=True)
    )


RULE = CardRule(
    Params,
    check,
    scenarios=("amount_spike", "stolen_card_spree"),
    horizon=lambda p: timedelta(days=p.history_days),
    bound=Bound(EUR_FIELDS, may_flag),
    reach=unreachable,
)
