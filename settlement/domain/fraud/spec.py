"""The shape of a rule: a params dataclass, a pure check, and the fraud scenarios it targets.

A card rule sees one card's purchases, a terminal rule one terminal's; both return `Hit`s.
`scenarios` ties a rule to ground-truth labels so the scorecard can report its recall;
`horizon` says how much history before a purchase the check needs (the EOD look-back);
`bound` is the rule's cheap pre-filter test (see `bound`): None, and the end-of-day screen
runs the check on every card (terminal), which is always correct, only slower.
`reach` says, for each purchase of a card's (terminal's) group, why the rule can never flag
it (None: it may), judged from the rule's thresholds and the whole group (every purchase of
the card or terminal in the rule's horizon, not only the labelled fraud): a terminal burst
of 4 distinct cards never meets "more than 8". The scorecard uses it to show how much of a
scenario its rules can catch at all. No `reach`: any purchase may be flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from settlement.domain.fraud.activity import CardActivity, TerminalActivity
from settlement.domain.fraud.bound import Bound
from settlement.domain.fraud.model import Hit
from settlement.domain.transactions import StagedTransaction

P = TypeVar("P")


# (a card's or terminal's purchases, the rule's params): per purchase, in the group's order,
# why the rule can never flag it, or None when it may
CardReach = Callable[[CardActivity, P], Sequence[str | None]]
TerminalReach = Callable[[TerminalActivity, P], Sequence[str | None]]


def no_history(_params: object) -> timedelta:
    return timedelta(0)


@dataclass(frozen=True, slots=True)
class CardRule(Generic[P]):
    params_type: type[P]
    check: Callable[[CardActivity, P], Sequence[Hit]]
    scenarios: tuple[str, ...]
    horizon: Callable[[P], timedelta] = no_history  # how far back the check looks
    bound: Bound[P] | None = None  # no bound: every group is screened
    reach: CardReach[P] | None = None  # no reach: any purchase may be flagged


@dataclass(frozen=True, slots=True)
class TerminalRule(Generic[P]):
    params_type: type[P]
    check: Callable[[TerminalActivity, P], Sequence[Hit]]
    scenarios: tuple[str, ...]
    horizon: Callable[[P], timedelta] = no_history  # how far back the check looks
    bound: Bound[P] | None = None  # no bound: every group is screened
    reach: TerminalReach[P] | None = None  # no reach: any purchase may be flagged


def each(
    reason: Callable[[StagedTransaction, P], str | None],
) -> Callable[[CardActivity, P], list[str | None]]:
    """A per-purchase reach (a rule that reads each purchase alone) as a group reach."""

    def reach(card: CardActivity, params: P) -> list[str | None]:
        return [reason(tx, params) for tx in card.purchases]

    return reach


def require_positive(**values: int) -> None:
    """Raise ValueError naming the first parameter that is not >= 1."""
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name}: must be at least 1, got {value}")
