"""Fraud screening inside a run: read purchases per card and per terminal from the store,
call the pure rules (settlement.domain.fraud), record flags and decisions, hold review and
decline; with labels, score the decisions.

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
    FraudDecision,
    FraudFlag,
    Rulebook,
    ToEur,
    decide,
    screen_card,
    screen_terminal,
)
from settlement.domain.fraud.reach import FraudGroups, Reach, reach_by_scenario
from settlement.domain.fraud.scorecard import LabelCensus, census_by_label, score_census
from settlement.domain.holds import FRAUD_HOLDS
from settlement.domain.transactions import StagedTransaction
from settlement.eod import prefilter
from settlement.eod.prefilter import Prefilter
from settlement.eod.store import EodStore


@dataclass(frozen=True, slots=True)
class FraudOutcome:
    flags: int
    decisions: dict[str, int]  # action -> purchases
    held: int
    decided: Mapping[str, FraudDecision]  # transaction id -> its decision (flagged ones)


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
    """Flags of the run date's purchases, the cards' then the terminals'; `exhaustive`
    screens every card and terminal instead of only those the pre-filter cannot rule out
    (same flags, slower)."""
    cards = screen_cards(store, run_date, rulebook, to_eur, exhaustive=exhaustive)
    return cards + screen_terminals(store, run_date, rulebook, to_eur, exhaustive=exhaustive)


def screen_cards(
    store: EodStore, run_date: date, rulebook: Rulebook, to_eur: ToEur, *, exhaustive: bool = False
) -> list[FraudFlag]:
    """The card rules' flags of the run date's purchases (`screen_day`'s first part)."""
    card_hit = None if exhaustive else prefilter.card_filter(rulebook)
    card_span = (run_date - timedelta(days=rulebook.card_lookback_days), run_date)
    return [
        flag
        for group in store.purchase_groups("card_token", card_span, _narrowing(card_hit, to_eur))
        for flag in screen_card(group, run_date, rulebook, to_eur)
    ]


def screen_terminals(
    store: EodStore, run_date: date, rulebook: Rulebook, to_eur: ToEur, *, exhaustive: bool = False
) -> list[FraudFlag]:
    """The terminal rules' flags of the run date's purchases (`screen_day`'s second part)."""
    if not rulebook.terminal_checks:
        return []
    terminal_span = (run_date - timedelta(days=rulebook.terminal_lookback_days), run_date)
    return [
        flag
        for group in _terminal_groups(store, terminal_span, rulebook, to_eur, exhaustive)
        for flag in screen_terminal(group, run_date, rulebook)
    ]


def _terminal_groups(
    store: EodStore, span: tuple[date, date], rulebook: Rulebook, to_eur: ToEur, exhaustive: bool
) -> Iterator[list[StagedTransaction]]:
    burst = None if exhaustive else prefilter.terminal_burst_bound(rulebook)
    if burst is not None:
        return store.burst_groups(span, burst.window_s, burst.max_count)
    terminal_hit = None if exhaustive else prefilter.terminal_filter(rulebook)
    return store.purchase_groups("terminal_id", span, _narrowing(terminal_hit, to_eur))


def fraud_reach(
    store: EodStore, run_date: date, rulebook: Rulebook, to_eur: ToEur, fraud: Mapping[str, str]
) -> Reach:
    """What the scorecard says each scenario's rules can catch at all (`reach_by_scenario`),
    judged in the card and terminal groups holding the date's labelled `fraud` (id ->
    scenario, `fraud_labels`), whole over the rules' look-back: a rule's reach counts every
    purchase of the group, not only the fraud. The groups are read as they are judged, one
    at a time (cards, then terminals)."""
    ids = sorted(fraud)

    def groups(key: str, days: int) -> Iterator[list[StagedTransaction]]:
        span = (run_date - timedelta(days=days), run_date)
        yield from store.groups_holding(key, span, ids)

    cards = groups("card_token", rulebook.card_lookback_days)
    terminals = groups("terminal_id", rulebook.terminal_lookback_days)
    return reach_by_scenario(FraudGroups(run_date, cards, terminals, to_eur), fraud, rulebook)


def run_fraud(
    store: EodStore, run_date: date, rulebook: Rulebook, flags: list[FraudFlag]
) -> FraudOutcome:
    """Decide the date's screened `flags`, record flags and decisions, hold review and
    decline."""
    decisions = decide(flags, rulebook)
    store.record_fraud(run_date, flags, decisions)
    held = sum(
        store.hold_decided(run_date, str(action), reason) for action, reason in FRAUD_HOLDS.items()
    )
    counts: dict[str, int] = {}
    for decision in decisions.values():
        counts[str(decision.action)] = counts.get(str(decision.action), 0) + 1
    return FraudOutcome(len(flags), counts, held, decisions)


def day_census(store: EodStore, run_date: date, labels: Mapping[str, str]) -> LabelCensus:
    """How many of the date's purchases (the screened population) carry each label."""
    return census_by_label(labels, store.purchase_ids(run_date))


def score_day(
    rulebook: Rulebook,
    labels: Mapping[str, str],
    decisions: Mapping[str, FraudDecision],
    reach: Reach,
    census: LabelCensus,
) -> dict[str, Any]:
    """The scorecard of a date's decisions against the simulator's `labels`, with the
    `reach` (`fraud_reach`) of its labelled fraud and the `census` (`day_census`) of its
    purchases."""
    return score_census(decisions, labels, census, rulebook, reach).to_dict()
