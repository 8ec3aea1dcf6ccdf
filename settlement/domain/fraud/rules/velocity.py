"""Velocity: more than `max_count` purchases on one card within any `window_min` minutes.

Targets stolen-card sprees (and catches card-testing bursts too): a cardholder makes a few
purchases a day, a thief empties the card before it is blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from settlement.domain.fraud.activity import CardActivity
from settlement.domain.fraud.bound import TIME_FIELDS, Bound, RawGroup
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import CardRule, require_positive
from settlement.domain.fraud.window import count_bursts, may_exceed, peak_per_event


@dataclass(frozen=True, slots=True)
class Params:
    max_count: int
    window_min: int

    def __post_init__(self) -> None:
        require_positive(max_count=self.max_count, window_min=self.window_min)


def check(card: CardActivity, params: Params) -> list[Hit]:
    window = timedelta(minutes=params.window_min)
    if not may_exceed(card.times, window, params.max_count):
        return []  # most cards: too few purchases, too far apart
    bursts = count_bursts(card.times, window, params.max_count)
    return [
        Hit(card.purchases[index], _reason(peak, params))
        for index, peak in bursts.marked()
        if card.today[index]
    ]


def _reason(peak: int, params: Params) -> str:
    return f"{peak} purchases within {params.window_min} min (limit {params.max_count})"


def unreachable(card: CardActivity, params: Params) -> list[str | None]:
    """Per purchase: why no window holding it has more than `max_count` of the card's
    purchases (every purchase of the card counts, fraud or not)."""
    window = timedelta(minutes=params.window_min)
    peaks = peak_per_event(card.times, window, lambda left, right: right - left + 1)
    return [
        None
        if peak > params.max_count
        else f"{peak} purchases on the card, the rule needs {params.max_count + 1} "
        f"within {params.window_min} min"
        for peak in peaks
    ]


def may_flag(group: RawGroup, params: Params) -> bool:
    """`check`'s early exit; the row count first spares parsing the times of most cards."""
    window = timedelta(minutes=params.window_min)
    return len(group.rows) > params.max_count and may_exceed(group.times, window, params.max_count)


RULE = CardRule(
    Params,
    check,
    scenarios=("stolen_card_spree", "card_testing"),
    horizon=lambda p: timedelta(minutes=p.window_min),
    bound=Bound(TIME_FIELDS, may_flag),
    reach=unreachable,
)
