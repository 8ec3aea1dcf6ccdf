"""Fraud screening inside a run: read purchases per card and per terminal from the store,
call the pure rules (settlement.domain.fraud), record flags and decisions, hold review and
decline.

Memory stays one card's (one terminal's) history: the store yields one group at a time. The
pre-filter (`prefilter`) tells the store which groups no enabled rule can flag, provably, so
it need not build or screen them; the terminal pass, whose only shipped rule looks for
bursts, asks the store for burst candidates instead. `exhaustive=True` screens every group
(same flags)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from settlement.adapters.purchase_rows import Narrowing, Raw
from settlement.domain.fraud import (
    FraudFlag,
    Rulebook,
    ToEur,
    decide,
    score_against_labels,
    screen_card,
    screen_terminal,
)
from settlement.domain.fraud.labelset import fraud_labels
from settlement.domain.fraud.reach import FraudGroups
from settlement.domain.holds import FRAUD_HOLDS
from settlement.domain.transactions import StagedTransaction
from settlement.eod import prefilter
from settlement.eod.prefilter import Prefilter
from settlement.eod.store import EodStore


@dataclass(frozen=True, slots=True)
class FraudOutcome:
    flags: int
    decisions: dict[str, int]
    held: int
    scorecard: dict[str, Any] | None


def _narrowing(chosen: Prefilter | None, to_eur: ToEur) -> Narrowing | None:
    """The pre-filter in the store's terms: test a group's raw rows before building them."""
    if chosen is None:
        return None

    def may_hit(
        rows: Sequence[Raw], today: Sequence[bool], parse_time: Callable[[Any], datetime]
    ) -> bool:
        return chosen.may_hit(prefilter.RawGroup(rows, today, to_eur, parse_time))

    return Narrowing(chosen.columns, may_hit)


def screen_day(
    store: EodStore,
    run_date: date,
    rulebook: Rulebook,
    to_eur: ToEur,
    *,
    exhaustive: bool = False,
) -> list[FraudFlag]:
    """Flags of the run date's purchases; `exhaustive` screens every card and terminal
    instead of only those the pre-filter cannot rule out (same flags, slower)."""
    card_hit = None if exhaustive else prefilter.card_filter(rulebook)
    card_span = (run_date - timedelta(days=rulebook.card_lookback_days), run_date)
    flags = [
        flag
        for group in store.purchase_groups("card_token", card_span, _narrowing(card_hit, to_eur))
        for flag in screen_card(group, run_date, rulebook, to_eur)
    ]
    if not rulebook.terminal_checks:
        return flags
    terminal_span = (run_date - timedelta(days=rulebook.terminal_lookback_days), run_date)
    flags += [
        flag
        for group in _terminal_groups(store, terminal_span, rulebook, to_eur, exhaustive)
        for flag in screen_terminal(group, run_date, rulebook)
    ]
    return flags


def _terminal_groups(
    store: EodStore, span: tuple[date, date], rulebook: Rulebook, to_eur: ToEur, exhaustive: bool
) -> Iterator[list[StagedTransaction]]:
    burst = None if exhaustive else prefilter.terminal_burst_bound(rulebook)
    if burst is not None:
        return store.burst_groups(span, burst.window_s, burst.max_count)
    terminal_hit = None if exhaustive else prefilter.terminal_filter(rulebook)
    return store.purchase_groups("terminal_id", span, _narrowing(terminal_hit, to_eur))


def _fraud_groups(
    store: EodStore, run_date: date, rulebook: Rulebook, to_eur: ToEur, labels: Mapping[str, str]
) -> FraudGroups:
    """The card and terminal groups holding the date's labelled fraud, whole over the rules'
    look-back: a rule's reach counts every purchase of the group, not only the fraud. Read
    as the scorecard walks them, one group at a time (cards, then terminals)."""
    fraud = sorted(fraud_labels(labels))

    def groups(key: str, days: int) -> Iterator[list[StagedTransaction]]:
        span = (run_date - timedelta(days=days), run_date)
        yield from store.groups_holding(key, span, fraud)

    cards = groups("card_token", rulebook.card_lookback_days)
    terminals = groups("terminal_id", rulebook.terminal_lookback_days)
    return FraudGroups(run_date, cards, terminals, to_eur)


def run_fraud(
    store: EodStore,
    run_date: date,
    rulebook: Rulebook,
    to_eur: ToEur,
    labels: Mapping[str, str] | None,
    *,
    flags: list[FraudFlag] | None = None,
) -> FraudOutcome:
    """Screen the date (unless `flags`, its screen made elsewhere, are given), decide, record,
    hold; score against `labels` when given."""
    if flags is None:
        flags = screen_day(store, run_date, rulebook, to_eur)
    decisions = decide(flags, rulebook)
    store.record_fraud(run_date, flags, decisions)
    held = sum(
        store.hold_decided(run_date, str(action), reason) for action, reason in FRAUD_HOLDS.items()
    )
    counts: dict[str, int] = {}
    for decision in decisions.values():
        counts[str(decision.action)] = counts.get(str(decision.action), 0) + 1
    scorecard = None
    if labels is not None:
        fraud = _fraud_groups(store, run_date, rulebook, to_eur, labels)
        population = store.purchase_ids(run_date)
        card = score_against_labels(decisions, labels, population, rulebook, fraud)
        scorecard = card.to_dict()
    return FraudOutcome(len(flags), counts, held, scorecard)
