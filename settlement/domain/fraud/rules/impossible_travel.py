"""Impossible travel: one card present in two countries faster than an airliner could fly.

Distance is centroid to centroid (see `geo`); a pair is flagged when it is at least
`min_distance_km` apart and covering it in the time between the two purchases needs more
than `max_speed_kmh`. A holiday flight is slow enough to pass; a skimmed clone used abroad an
hour after the cardholder bought lunch at home is not. Card-not-present purchases
(e-commerce, keyed mail/telephone orders) say where the merchant is, not the card, so they
are ignored. Countries missing from the centroid table fall back to "different countries
within `unknown_country_window_min`". Of a pair, the purchase outside the card's issuing
country is flagged (the cardholder is presumed at home); both, if neither is at home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from settlement.domain.fraud.activity import CardActivity
from settlement.domain.fraud.bound import Bound, RawGroup, row_index
from settlement.domain.fraud.geo import distance_km
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import CardRule, require_positive
from settlement.domain.transactions import EntryMode, StagedTransaction

_LONGEST_TRIP = timedelta(days=1)  # half the Earth at any sane max_speed_kmh takes < 24 h


@dataclass(frozen=True, slots=True)
class Params:
    max_speed_kmh: int
    min_distance_km: int
    unknown_country_window_min: int
    card_not_present_modes: tuple[str, ...]

    def __post_init__(self) -> None:
        require_positive(max_speed_kmh=self.max_speed_kmh, min_distance_km=self.min_distance_km)
        modes = {mode.value for mode in EntryMode}
        bad = [mode for mode in self.card_not_present_modes if mode not in modes]
        if bad:
            raise ValueError(f"card_not_present_modes: {bad[0]!r} is not one of {sorted(modes)}")


def too_fast(earlier: StagedTransaction, later: StagedTransaction, params: Params) -> str | None:
    """Why the pair is impossible, or None; the two are in different countries."""
    there, here = earlier.merchant_country, later.merchant_country
    gap_s = (later.transacted_at - earlier.transacted_at).total_seconds()
    minutes = round(gap_s / 60)
    distance = distance_km(there, here)
    if distance is None:
        if gap_s <= params.unknown_country_window_min * 60:
            return f"{there} -> {here} within {minutes} min (no distance known)"
        return None
    if distance < params.min_distance_km or distance * 3600 <= params.max_speed_kmh * gap_s:
        return None
    speed = "instantly" if gap_s == 0 else f"at {round(distance * 3600 / gap_s)} km/h"
    return (
        f"{there} -> {here}: {round(distance)} km in {minutes} min, {speed} "
        f"(max {params.max_speed_kmh} km/h)"
    )


def _suspects(earlier: int, later: int, card: CardActivity) -> tuple[int, ...]:
    home = card.purchases[later].card_country
    abroad = tuple(i for i in (earlier, later) if card.purchases[i].merchant_country != home)
    return abroad or (earlier, later)


def check(card: CardActivity, params: Params) -> list[Hit]:
    if len({tx.merchant_country for tx in card.purchases}) < 2:
        return []  # one country: nothing to travel between (the common case)
    reasons = _impossible(card, params, set())
    return [Hit(card.purchases[i], reasons[i]) for i in sorted(reasons) if card.today[i]]


def _impossible(card: CardActivity, params: Params, paired: set[int]) -> dict[int, str]:
    """Index of every suspect of an impossible pair -> why (today's and history's); adds
    both purchases of every such pair to `paired`."""
    skip = frozenset(params.card_not_present_modes)
    last_seen: dict[str, tuple[datetime, int]] = {}
    reasons: dict[int, str] = {}
    for index, tx in enumerate(card.purchases):
        if tx.entry_mode in skip:
            continue
        now = card.times[index]
        for country, (at, earlier) in last_seen.items():
            if country == tx.merchant_country or now - at > _LONGEST_TRIP:
                continue
            reason = too_fast(card.purchases[earlier], tx, params)
            if reason is not None:
                paired.update((earlier, index))
                for suspect in _suspects(earlier, index, card):
                    reasons.setdefault(suspect, reason)
        last_seen[tx.merchant_country] = (now, index)
    return reasons


def unreachable(card: CardActivity, params: Params) -> list[str | None]:
    """Per purchase: card-not-present, at home on a card with an impossible pair (the rule
    flags the leg abroad), or no card-present purchase of the card (fraud or not) makes an
    impossible pair with it."""
    paired: set[int] = set()
    impossible = _impossible(card, params, paired)
    skip = params.card_not_present_modes
    reasons: list[str | None] = []
    for index, tx in enumerate(card.purchases):
        if index in impossible:
            reasons.append(None)
        elif index in paired or (impossible and tx.merchant_country == tx.card_country):
            reasons.append("at the card's home: the rule flags the leg abroad of a pair")
        elif tx.entry_mode in skip:
            reasons.append(f"card-not-present ({tx.entry_mode}): says where the merchant is")
        else:
            reasons.append(
                f"no card-present purchase in another country too far for "
                f"{params.max_speed_kmh} km/h"
            )
    return reasons


_COUNTRY, _MODE = row_index("merchant_country"), row_index("entry_mode")


def may_flag(group: RawGroup, params: Params) -> bool:
    """A pair needs two countries among the purchases `check` compares (card present)."""
    skip = params.card_not_present_modes
    return len({row[_COUNTRY] for row in group.rows if row[_MODE] not in skip}) > 1


RULE = CardRule(
    Params,
    check,
    scenarios=("impossible_travel",),
    horizon=lambda p: _LONGEST_TRIP,
    bound=Bound(("merchant_country", "entry_mode"), may_flag),
    reach=unreachable,
)
