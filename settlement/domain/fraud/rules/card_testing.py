"""Card testing: many tiny purchases on one card within a short window.

Fraudsters check stolen numbers with small charges before using them; a burst of purchases
at or under `small_amount_eur` is the signature. Purchases with no EUR rate are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from settlement.domain.fraud.activity import CardActivity, eur_text
from settlement.domain.fraud.bound import EUR_FIELDS, TIME_FIELDS, Bound, RawGroup
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import CardRule, require_positive
from settlement.domain.fraud.window import count_bursts, may_exceed, peak_per_event
from settlement.domain.money import Money


@dataclass(frozen=True, slots=True)
class Params:
    small_amount_eur: Money
    max_count: int
    window_min: int

    def __post_init__(self) -> None:
        require_positive(max_count=self.max_count, window_min=self.window_min)


def check(card: CardActivity, params: Params) -> list[Hit]:
    window = timedelta(minutes=params.window_min)
    if not may_exceed(card.times, window, params.max_count):
        return []  # not even counting every purchase as small
    ceiling = params.small_amount_eur.amount_minor
    small = [i for i, eur in enumerate(card.eur_minor) if eur is not None and eur <= ceiling]
    if len(small) <= params.max_count:
        return []
    times = [card.times[i] for i in small]
    bursts = count_bursts(times, window, params.max_count)
    return [
        Hit(card.purchases[small[position]], _reason(peak, ceiling, params))
        for position, peak in bursts.marked()
        if card.today[small[position]]
    ]


def _reason(peak: int, ceiling: int, params: Params) -> str:
    return (
        f"{peak} purchases of at most {eur_text(ceiling)} EUR within "
        f"{params.window_min} min (limit {params.max_count})"
    )


def unreachable(card: CardActivity, params: Params) -> list[str | None]:
    """Per purchase: not small, or no window holding it has more than `max_count` small
    purchases on the card (every small purchase of the card counts, fraud or not)."""
    ceiling = params.small_amount_eur.amount_minor
    small = [i for i, eur in enumerate(card.eur_minor) if eur is not None and eur <= ceiling]
    window = timedelta(minutes=params.window_min)
    times = [card.times[i] for i in small]
    peaks = dict(zip(small, peak_per_event(times, window, lambda a, b: b - a + 1), strict=True))
    reasons: list[str | None] = []
    for index, eur in enumerate(card.eur_minor):
        peak = peaks.get(index)
        if peak is None:
            amount = "no EUR rate" if eur is None else f"{eur_text(eur)} EUR"
            reasons.append(f"{amount}, not a purchase of at most {eur_text(ceiling)} EUR")
        elif peak <= params.max_count:
            reasons.append(
                f"{peak} small purchases on the card, the rule needs {params.max_count + 1} "
                f"within {params.window_min} min"
            )
        else:
            reasons.append(None)
    return reasons


def may_flag(group: RawGroup, params: Params) -> bool:
    """`check`'s two early exits: enough small purchases, and enough purchases in a window."""
    ceiling = params.small_amount_eur.amount_minor
    small = sum(1 for eur in group.eur if eur is not None and eur <= ceiling)
    window = timedelta(minutes=params.window_min)
    return small > params.max_count and may_exceed(group.times, window, params.max_count)


RULE = CardRule(
    Params,
    check,
    scenarios=("card_testing",),
    horizon=lambda p: timedelta(minutes=p.window_min),
    bound=Bound((*EUR_FIELDS, *TIME_FIELDS), may_flag),
    reach=unreachable,
)
