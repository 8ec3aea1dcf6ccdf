"""Amount spike: a purchase far above the card's own average over the last `history_days`.

Compares in EUR with integer cross-multiplication (amount * n > multiplier * sum), so no float
touches money. Needs at least `min_history` earlier purchases; `min_amount_eur` keeps a 40 EUR
dinner on a coffee-only card from being flagged.
"""

from __future__ import annotations

from collections import deque
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


def check(card: CardActivity, params: Params) -> list[Hit]:
    """One pass with a running sum over a deque of the last `history_days` of purchases."""
    if len(card.times) <= params.min_history:
        return []
    numerator, denominator = params.multiplier.as_integer_ratio()
    floor = params.min_amount_eur.amount_minor
    span = timedelta(days=params.history_days)
    history: deque[tuple[datetime, int]] = deque()
    total = 0
    hits: list[Hit] = []
    for tx, at, today, eur in zip(
        card.purchases, card.times, card.today, card.eur_minor, strict=True
    ):
        if eur is None:
            continue
        while history and at - history[0][0] > span:
            total -= history.popleft()[1]
        count = len(history)
        if today and eur >= floor and count >= params.min_history:
            if eur * count * denominator > numerator * total:
                hits.append(Hit(tx, _reason(eur, total, count, params)))
        history.append((at, eur))
        total += eur
    return hits


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
)
