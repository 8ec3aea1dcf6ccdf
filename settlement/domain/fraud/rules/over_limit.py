"""Over limit: a single purchase above `limit_eur`, compared in EUR so one limit fits all.

When no EUR rate exists for the currency, the purchase is compared with its own entry in
`fallback_limits` (amounts in that currency); a currency with neither is not checked, which
the reconciliation of FX gaps reports elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from settlement.domain.fraud.activity import CardActivity, eur_text
from settlement.domain.fraud.bound import EUR_FIELDS, Bound, RawGroup, row_index
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import CardRule
from settlement.domain.money import Money


@dataclass(frozen=True, slots=True)
class Params:
    limit_eur: Money
    fallback_limits: dict[str, Money]


def check(card: CardActivity, params: Params) -> list[Hit]:
    limit = params.limit_eur.amount_minor
    if max(filter(None, card.eur_minor), default=0) <= limit and None not in card.eur_minor:
        return []  # every purchase converted and under the limit: the usual card
    hits: list[Hit] = []
    for tx, today, eur in zip(card.purchases, card.today, card.eur_minor, strict=True):
        if not today:
            continue
        if eur is None:
            fallback = params.fallback_limits.get(tx.currency)
            if fallback is not None and tx.amount_minor > fallback.amount_minor:
                hits.append(Hit(tx, f"{tx.amount} over the {tx.currency} limit of {fallback}"))
        elif eur > limit:
            reason = f"{tx.amount} = {eur_text(eur)} EUR over the limit of {eur_text(limit)} EUR"
            hits.append(Hit(tx, reason))
    return hits


def unreachable(card: CardActivity, params: Params) -> list[str | None]:
    """Per purchase (it reads each alone): not over its limit, or no limit applies."""
    limit = params.limit_eur.amount_minor
    reasons: list[str | None] = []
    for tx, eur in zip(card.purchases, card.eur_minor, strict=True):
        if eur is not None:
            over = eur > limit
            reasons.append(None if over else f"{eur_text(eur)} EUR, not over {eur_text(limit)}")
            continue
        fallback = params.fallback_limits.get(tx.currency)
        if fallback is None:
            reasons.append(f"no EUR rate and no fallback limit for {tx.currency}")
        else:
            over = tx.amount_minor > fallback.amount_minor
            reasons.append(None if over else f"{tx.amount}, not over {fallback}")
    return reasons


_AMOUNT, _CURRENCY = row_index("amount_minor"), row_index("currency")


def may_flag(group: RawGroup, params: Params) -> bool:
    """`check`'s hit condition itself: a business-date purchase over its limit."""
    limit = params.limit_eur.amount_minor
    for row, today, eur in zip(group.rows, group.today, group.eur, strict=True):
        if not today:
            continue
        if eur is None:
            fallback = params.fallback_limits.get(row[_CURRENCY])
            if fallback is not None and row[_AMOUNT] > fallback.amount_minor:
                return True
        elif eur > limit:
            return True
    return False


RULE = CardRule(
    Params,
    check,
    scenarios=("stolen_card_spree",),
    bound=Bound(EUR_FIELDS, may_flag),
    reach=unreachable,
)
