"""Compromised terminal: an unusual burst of distinct cards on one terminal within a window.

A skimming terminal pushes many different cards through in a burst. Counting distinct cards,
not purchases, keeps a regular buying several items from looking like a burst. What is
"many" depends on the till: the limit is `max_cards`, raised for a busy terminal to
`baseline_multiplier` x its usual count per window, measured on the look-back days (its
purchases per hour in which it took any). A terminal with no look-back is measured on the
business date itself once it was open `baseline_min_hours`: the median of its purchases per
open hour, so a burst (one or two hours) cannot raise its own limit; a supermarket till
taking ten cards in half an hour is then ordinary, as it is on a generated day with no
history. Fewer open hours keep `max_cards` (a skimmer on a new terminal is still caught).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from settlement.domain.fraud.activity import TerminalActivity
from settlement.domain.fraud.bound import TIME_FIELDS, Bound, BurstBound, RawGroup
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import TerminalRule, require_positive
from settlement.domain.fraud.window import BurstMarker, may_exceed


@dataclass(frozen=True, slots=True)
class Params:
    max_cards: int
    window_min: int
    baseline_multiplier: Decimal
    baseline_min_hours: int

    def __post_init__(self) -> None:
        require_positive(
            max_cards=self.max_cards,
            window_min=self.window_min,
            baseline_min_hours=self.baseline_min_hours,
        )
        if self.baseline_multiplier < 1:
            raise ValueError(
                f"baseline_multiplier: must be at least 1, got {self.baseline_multiplier}"
            )


def card_limit(terminal: TerminalActivity, params: Params) -> int:
    """`max_cards`, or more for a terminal whose look-back days were busier than that."""
    history = [at for at, today in zip(terminal.times, terminal.today, strict=True) if not today]
    if history:
        open_hours = len({(at.toordinal(), at.hour) for at in history})
        usual = Fraction(len(history) * params.window_min, open_hours * 60)
    else:
        usual = _usual_today(terminal, params)
    return max(params.max_cards, math.floor(usual * Fraction(params.baseline_multiplier)))


def _usual_today(terminal: TerminalActivity, params: Params) -> Fraction:
    """Purchases per window from the business date alone: the lower median per open hour."""
    per_hour = Counter((at.toordinal(), at.hour) for at in terminal.times)
    if len(per_hour) < params.baseline_min_hours:
        return Fraction(0)
    counts = sorted(per_hour.values())
    return Fraction(counts[(len(counts) - 1) // 2] * params.window_min, 60)


def _bursts(terminal: TerminalActivity, params: Params, limit: int) -> BurstMarker:
    window = timedelta(minutes=params.window_min)
    tokens = [tx.card_token for tx in terminal.purchases]
    times = terminal.times
    cards: dict[str, int] = {}  # card token -> purchases inside the window
    marker = BurstMarker()
    left = 0
    for right, at in enumerate(times):
        cards[tokens[right]] = cards.get(tokens[right], 0) + 1
        while at - times[left] > window:
            leaving = tokens[left]
            if cards[leaving] == 1:
                del cards[leaving]
            else:
                cards[leaving] -= 1
            left += 1
        if len(cards) > limit:
            marker.mark(left, right, len(cards))
    return marker


def check(terminal: TerminalActivity, params: Params) -> list[Hit]:
    window = timedelta(minutes=params.window_min)
    if not may_exceed(terminal.times, window, params.max_cards):
        return []  # too few purchases in any window to hold that many distinct cards
    limit = card_limit(terminal, params)
    return [
        Hit(terminal.purchases[index], _reason(peak, limit, params))
        for index, peak in _bursts(terminal, params, limit).marked()
        if terminal.today[index]
    ]


def _reason(peak: int, limit: int, params: Params) -> str:
    return f"{peak} distinct cards within {params.window_min} min (limit {limit})"


def may_flag(group: RawGroup, params: Params) -> bool:
    """`check`'s early exit (its card limit is never below `max_cards`)."""
    window = timedelta(minutes=params.window_min)
    return len(group.rows) > params.max_cards and may_exceed(group.times, window, params.max_cards)


def burst(params: Params) -> BurstBound:
    """`may_flag` as SQL counts it: more than `max_cards` purchases in one window."""
    return BurstBound(params.window_min * 60, params.max_cards)


RULE = TerminalRule(
    Params,
    check,
    scenarios=("compromised_terminal",),
    horizon=lambda p: timedelta(minutes=p.window_min),
    bound=Bound(TIME_FIELDS, may_flag, burst=burst),
)
