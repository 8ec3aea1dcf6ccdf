"""Compromised terminal: an unusual burst of distinct cards on one terminal within a window.

A skimming terminal pushes many different cards through in a burst. Counting distinct cards,
not purchases, keeps a regular buying several items from looking like a burst. What is
"many" depends on the till: the limit is `max_cards`, raised for a busy terminal to
`baseline_multiplier` x its usual count per window, measured on the look-back days, or, with
no look-back, on the business date itself once it was open `baseline_min_hours`.

"Usual" is the terminal's busiest open hour that a burst cannot have reached: one window of
`window_min` touches at most ceil(window_min / 60) + 1 clock hours, so that many of the
busiest hours are set aside and the next one is the till's own rush. Why not the median
hour (as before): a restaurant takes most of its day in a lunch and a dinner rush, so its
median open hour is a quiet afternoon hour; measured on the 2026-10-14 demo day, a Nice
restaurant's 19:00 hour took 21 purchases against a median hour of 4, and its ordinary
dinner rush (13 cards in 30 min) was flagged 26 times. Fewer open hours keep `max_cards`
(a skimmer on a new terminal is still caught).

Only card-present purchases count: a skimmer reads a physical card, while a web shop's
checkout (its "terminal") takes a different card from every shopper, and keyed mail or
telephone orders read none (measured on the same demo day: a digital-goods web shop's 9
cards in 30 min were 9 false positives).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from settlement.domain.fraud.activity import TerminalActivity
from settlement.domain.fraud.bound import TIME_FIELDS, Bound, BurstBound, RawGroup
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import TerminalRule, require_positive
from settlement.domain.fraud.window import BurstMarker, may_exceed, peak_per_event
from settlement.domain.transactions import EntryMode


@dataclass(frozen=True, slots=True)
class Params:
    max_cards: int
    window_min: int
    baseline_multiplier: Decimal
    baseline_min_hours: int
    card_not_present_modes: tuple[str, ...]

    def __post_init__(self) -> None:
        require_positive(
            max_cards=self.max_cards,
            window_min=self.window_min,
            baseline_min_hours=self.baseline_min_hours,
        )
        modes = {mode.value for mode in EntryMode}
        bad = [mode for mode in self.card_not_present_modes if mode not in modes]
        if bad:
            raise ValueError(f"card_not_present_modes: {bad[0]!r} is not one of {sorted(modes)}")
        if self.baseline_multiplier < 1:
            raise ValueError(
                f"baseline_multiplier: must be at least 1, got {self.baseline_multiplier}"
            )


def card_limit(terminal: TerminalActivity, params: Params) -> int:
    """`max_cards`, or more for a terminal whose usual rush is busier than that."""
    history = [at for at, today in zip(terminal.times, terminal.today, strict=True) if not today]
    if history:
        usual = _rush_per_window(history, params)
    elif len(_per_hour(terminal.times)) >= params.baseline_min_hours:
        usual = _rush_per_window(terminal.times, params)
    else:
        usual = Fraction(0)
    return max(params.max_cards, math.floor(usual * Fraction(params.baseline_multiplier)))


def _per_hour(times: Sequence[datetime]) -> Counter[tuple[int, int]]:
    return Counter((at.toordinal(), at.hour) for at in times)


def _rush_per_window(times: Sequence[datetime], params: Params) -> Fraction:
    """Purchases per window in the busiest open hour no single burst window can reach."""
    reach_hours = math.ceil(params.window_min / 60) + 1
    counts = sorted(_per_hour(times).values(), reverse=True)[reach_hours:]
    return Fraction(counts[0] * params.window_min, 60) if counts else Fraction(0)


def card_present(terminal: TerminalActivity, params: Params) -> TerminalActivity:
    """The terminal's purchases that read a card (the others cannot be skimmed)."""
    skip = params.card_not_present_modes
    keep = [i for i, tx in enumerate(terminal.purchases) if tx.entry_mode not in skip]
    if len(keep) == len(terminal.purchases):
        return terminal
    return TerminalActivity(
        terminal.business_date,
        [terminal.purchases[i] for i in keep],
        [terminal.times[i] for i in keep],
        [terminal.today[i] for i in keep],
    )


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
    terminal = card_present(terminal, params)
    limit = card_limit(terminal, params)
    return [
        Hit(terminal.purchases[index], _reason(peak, limit, params))
        for index, peak in _bursts(terminal, params, limit).marked()
        if terminal.today[index]
    ]


def _reason(peak: int, limit: int, params: Params) -> str:
    return f"{peak} distinct cards within {params.window_min} min (limit {limit})"


def unreachable(terminal: TerminalActivity, params: Params) -> list[str | None]:
    """Per purchase: why no window holding it can have more than `max_cards` distinct cards
    (counting every card-present purchase of the terminal, fraud or not). The busy-till
    baseline may raise the limit further; that is tuning, so it is not counted here."""
    skip = params.card_not_present_modes
    present = card_present(terminal, params)
    tokens = [tx.card_token for tx in present.purchases]
    window = timedelta(minutes=params.window_min)
    peaks = peak_per_event(present.times, window, lambda a, b: len(set(tokens[a : b + 1])))
    peak_of = {tx.transaction_id: peak for tx, peak in zip(present.purchases, peaks, strict=True)}
    reasons: list[str | None] = []
    for tx in terminal.purchases:
        if tx.entry_mode in skip:
            reasons.append(f"card-not-present ({tx.entry_mode}): no card to skim")
            continue
        peak = peak_of[tx.transaction_id]
        reasons.append(
            None
            if peak > params.max_cards
            else f"{peak} distinct cards, the rule needs {params.max_cards + 1} "
            f"within {params.window_min} min"
        )
    return reasons


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
    reach=unreachable,
)
