"""Can a scenario be caught at all? Each rule's `reach`, run over the labelled fraud's groups.

A rule reads a group: a terminal burst counts every card on the terminal, velocity every
purchase of the card. So a labelled purchase is judged in its card's and its terminal's
whole group (every purchase in the rules' horizon, fraud or not), by each enabled rule meant
for its scenario; it is catchable when one of them may flag it. What `reach` tests is the
rule's own (see each rule module); this module only combines them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from settlement.domain.fraud.activity import (
    CardActivity,
    TerminalActivity,
    ToEur,
    card_activity,
    terminal_activity,
)
from settlement.domain.fraud.rulebook import ActiveRule, Rulebook
from settlement.domain.transactions import LEGIT_LABEL, StagedTransaction

NO_RULE = "no enabled rule is meant for this scenario"
Group = Sequence[StagedTransaction]


@dataclass(frozen=True, slots=True)
class FraudGroups:
    """The groups the scorecard judges the date's labelled fraud in: each card (terminal)
    holding one, with all its purchases over the rules' look-back, oldest first. Each is
    walked once (the end of day streams them from the store: at 1M transactions they held
    ~200,000 purchases)."""

    business_date: date
    cards: Iterable[Group]
    terminals: Iterable[Group]
    to_eur: ToEur

    @classmethod
    def of(
        cls, purchases: Iterable[StagedTransaction], business_date: date, to_eur: ToEur
    ) -> FraudGroups:
        """Every purchase given, grouped by card and by terminal (small days, tests)."""
        ordered = sorted(purchases, key=lambda tx: (tx.transacted_at, tx.transaction_id))

        def by(key: str) -> list[Group]:
            keyed = sorted(ordered, key=lambda tx: str(getattr(tx, key)))
            return [list(g) for _, g in groupby(keyed, key=lambda tx: str(getattr(tx, key)))]

        return cls(business_date, by("card_token"), by("terminal_id"), to_eur)


Verdicts = dict[tuple[str, str], str | None]  # (transaction id, rule) -> why it cannot flag
# scenario -> reason -> its labelled purchases that reason rules out ("" counts the catchable)
Reach = dict[str, Counter[str]]


def _judge(
    activity: CardActivity | TerminalActivity,
    rules: Sequence[ActiveRule],
    labels: Mapping[str, str],
    fraud: dict[str, str],
    verdicts: Verdicts,
) -> None:
    """Record the group's labelled business-date purchases and each rule's verdict on them."""
    mine = [
        (i, tx.transaction_id, labels.get(tx.transaction_id, LEGIT_LABEL))
        for i, tx in enumerate(activity.purchases)
        if activity.today[i]
    ]
    mine = [(i, tid, label) for i, tid, label in mine if label != LEGIT_LABEL]
    if not mine:
        return
    fraud.update((tid, label) for _, tid, label in mine)
    for rule in rules:
        if rule.spec.reach is None or not any(label in rule.spec.scenarios for *_, label in mine):
            continue
        # the callers pass card rules with a card's group, terminal rules with a terminal's
        reasons = rule.spec.reach(activity, rule.params)  # type: ignore[arg-type]
        verdicts.update(((tid, rule.name), reasons[i]) for i, tid, _ in mine)


def reach_by_scenario(groups: FraudGroups, labels: Mapping[str, str], rulebook: Rulebook) -> Reach:
    """scenario -> reason -> its purchases that reason rules out ("" counts the catchable).
    Only the labelled fraud counts: `labels` may hold the fraud alone (`fraud_labels`)."""
    fraud: dict[str, str] = {}
    verdicts: Verdicts = {}
    day = groups.business_date
    for card in groups.cards:
        activity = card_activity(card, day, groups.to_eur)
        _judge(activity, rulebook.card_rules, labels, fraud, verdicts)
    for terminal in groups.terminals:
        _judge(terminal_activity(terminal, day), rulebook.terminal_rules, labels, fraud, verdicts)
    meant: dict[str, list[ActiveRule]] = defaultdict(list)
    for rule in rulebook.rules:
        for scenario in rule.spec.scenarios:
            meant[scenario].append(rule)
    reach: Reach = defaultdict(Counter)
    for tid, label in fraud.items():
        reach[label][unreachable(meant[label], tid, verdicts) or ""] += 1
    return reach


def unreachable(rules: Sequence[ActiveRule], transaction_id: str, verdicts: Verdicts) -> str | None:
    """Why none of `rules` (a scenario's own) can ever flag the purchase; None when one may
    (a rule with no verdict on it, having no `reach` or not seen its group, may)."""
    if not rules:
        return NO_RULE
    reasons = []
    for rule in rules:
        reason = verdicts.get((transaction_id, rule.name))
        if reason is None:
            return None
        reasons.append(f"{rule.name}: {reason}")
    return "; ".join(reasons)
