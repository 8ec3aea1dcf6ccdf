"""Compromised terminal: more than `max_cards` distinct cards on one terminal within a window.

A till serves a customer every few minutes; a skimmed or hijacked terminal pushes dozens of
cards through in a burst. Counting distinct cards, not purchases, keeps a regular buying
several items from looking like a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from settlement.domain.fraud.activity import TerminalActivity
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import TerminalRule, require_positive
from settlement.domain.fraud.window import BurstMarker, may_exceed


@dataclass(frozen=True, slots=True)
class Params:
    max_cards: int
    window_min: int

    def __post_init__(self) -> None:
        require_positive(max_cards=self.max_cards, window_min=self.window_min)


def _bursts(terminal: TerminalActivity, params: Params) -> BurstMarker:
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
        if len(cards) > params.max_cards:
            marker.mark(left, right, len(cards))
    return marker


def check(terminal: TerminalActivity, params: Params) -> list[Hit]:
    if not may_exceed(terminal.times, timedelta(minutes=params.window_min), params.max_cards):
        return []  # too few purchases in any window to hold that many distinct cards
    return [
        Hit(terminal.purchases[index], _reason(peak, params))
        for index, peak in _bursts(terminal, params).marked()
        if terminal.today[index]
    ]


def _reason(peak: int, params: Params) -> str:
    return f"{peak} distinct cards within {params.window_min} min (limit {params.max_cards})"


RULE = TerminalRule(
    Params,
    check,
    scenarios=("compromised_terminal",),
    horizon=lambda p: timedelta(minutes=p.window_min),
)
