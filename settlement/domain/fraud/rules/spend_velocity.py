"""Spend velocity: at least `min_count` purchases totalling over `limit_eur` within a window.

Targets stolen-card sprees: a few high-value purchases in quick succession, each of which
may stay under the single-purchase limit. Purchases with no EUR rate are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from settlement.domain.fraud.activity import CardActivity, eur_text
from settlement.domain.fraud.bound import EUR_FIELDS, Bound, RawGroup
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import CardRule, require_positive
from settlement.domain.fraud.window import peak_per_event, sum_bursts
from settlement.domain.money import Money


@dataclass(frozen=True, slots=True)
class Params:
    limit_eur: Money
    min_count: int
    window_min: int

    def __post_init__(self) -> None:
        require_positive(min_count=self.min_count, window_min=self.window_min)


def check(card: CardActivity, params: Params) -> list[Hit]:
    limit = params.limit_eur.amount_minor
    if sum(filter(None, card.eur_minor)) <= limit:
        return []  # the card's whole history is under the limit: no window can exceed it
    known = [i for i, eur in enumerate(card.eur_minor) if eur is not None]
    amounts = [card.eur_minor[i] or 0 for i in known]
    times = [card.times[i] for i in known]
    window = timedelta(minutes=params.window_min)
    bursts = sum_bursts(times, amounts, window, params.min_count, limit)
    return [
        Hit(card.purchases[known[position]], _reason(peak, limit, params))
        for position, peak in bursts.marked()
        if card.today[known[position]]
    ]


def _reason(peak: int, limit: int, params: Params) -> str:
    return (
        f"{eur_text(peak)} EUR spent within {params.window_min} min (limit {eur_text(limit)} EUR)"
    )


def unreachable(card: CardActivity, params: Params) -> list[str | None]:
    """Per purchase: why no window holding it has `min_count` converted purchases of the
    card totalling over `limit_eur` (every purchase of the card counts, fraud or not)."""
    limit = params.limit_eur.amount_minor
    known = [i for i, eur in enumerate(card.eur_minor) if eur is not None]
    amounts = [card.eur_minor[i] or 0 for i in known]
    window = timedelta(minutes=params.window_min)

    def spent(left: int, right: int) -> int:  # 0: too few purchases to count
        return sum(amounts[left : right + 1]) if right - left + 1 >= params.min_count else 0

    times = [card.times[i] for i in known]
    peaks = dict(zip(known, peak_per_event(times, window, spent), strict=True))
    reasons: list[str | None] = []
    for index in range(len(card.purchases)):
        peak = peaks.get(index)
        if peak is None:
            reasons.append("no EUR rate for the purchase")
        elif peak <= limit:
            reasons.append(
                f"at most {eur_text(peak)} EUR over {params.min_count}+ purchases, the rule "
                f"needs over {eur_text(limit)} EUR within {params.window_min} min"
            )
        else:
            reasons.append(None)
    return reasons


def may_flag(group: RawGroup, params: Params) -> bool:
    """`check`'s early exit, and a window needs `min_count` converted purchases at least."""
    known = [eur for eur in group.eur if eur is not None]
    return len(known) >= params.min_count and sum(known) > params.limit_eur.amount_minor


RULE = CardRule(
    Params,
    check,
    scenarios=("stolen_card_spree",),
    horizon=lambda p: timedelta(minutes=p.window_min),
    bound=Bound(EUR_FIELDS, may_flag),
    reach=unreachable,
)
