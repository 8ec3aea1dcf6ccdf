"""A sound pre-filter for the fraud screen: skip a card (terminal) no enabled rule can flag.

Why: building a `StagedTransaction` per purchase and running the rulebook per card cost
~10 us a purchase, and on a normal day most cards (terminals) trip nothing. Each rule
declares its own bound beside its check (`settlement.domain.fraud.bound`); this module only
combines the enabled rules' bounds, so `may_hit(group) is False` implies the screen returns
no flag for it. A rulebook with any rule that declares no bound screens every group of that
kind, so every rulebook stays exact. tests/unit/test_eod_prefilter.py checks the implication
on generated groups and rulebooks; tests/integration/test_eod_perf_equivalence.py holds the
stored flags equal with and without the filter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from settlement.domain.fraud import ActiveRule, Rulebook
from settlement.domain.fraud.bound import BurstBound, RawGroup

__all__ = [
    "BurstBound",
    "MayHit",
    "Prefilter",
    "RawGroup",
    "card_filter",
    "terminal_burst_bound",
    "terminal_filter",
]

MayHit = Callable[[RawGroup], bool]
# Read whatever the rules: the screen groups by key and keeps groups with a business-date row.
_ALWAYS_READ = ("transaction_id", "business_date")


@dataclass(frozen=True, slots=True)
class Prefilter:
    """`may_hit` of a group whose rows hold real values only in `columns` (others None):
    the screen reads those narrow rows first, and whole rows only of groups that may hit."""

    may_hit: MayHit
    columns: frozenset[str]


def _prefilter(rules: Sequence[ActiveRule]) -> Prefilter | None:
    """None (screen everything) unless every rule declares a bound."""
    bounds: list[tuple[Callable[[RawGroup, Any], bool], Any]] = []
    columns = set(_ALWAYS_READ)
    for rule in rules:
        bound = rule.spec.bound
        if bound is None:
            return None
        bounds.append((bound.may_flag, rule.params))
        columns.update(bound.fields)

    def may_hit(group: RawGroup) -> bool:
        return any(may_flag(group, params) for may_flag, params in bounds)

    return Prefilter(may_hit, frozenset(columns))


def card_filter(rulebook: Rulebook) -> Prefilter | None:
    return _prefilter(rulebook.card_rules)


def terminal_filter(rulebook: Rulebook) -> Prefilter | None:
    return _prefilter(rulebook.terminal_rules)


def terminal_burst_bound(rulebook: Rulebook) -> BurstBound | None:
    """The terminal screen's bound as SQL can evaluate it, when every enabled terminal rule
    declares its bound as a burst count; else None (the Python bound, or no bound, decides).

    With several such rules, the loosest count in the widest window: any rule's burst of
    more than its `max_count` in its `window_s` is also one of more than the smallest count
    in the widest window, so no terminal a rule could flag is left out.
    """
    bursts = []
    for rule in rulebook.terminal_rules:
        bound = rule.spec.bound
        if bound is None or bound.burst is None:
            return None
        bursts.append(bound.burst(rule.params))
    if not bursts:
        return None
    return BurstBound(max(b.window_s for b in bursts), min(b.max_count for b in bursts))
