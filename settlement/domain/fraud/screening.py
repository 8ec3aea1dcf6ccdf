"""Run the rulebook over one card's or one terminal's purchases; flags for the business date only.

Streaming shape: the EOD run reads transactions ordered by (card_token, transacted_at) and
calls `screen_card` once per card with its look-back history and the business date's
transactions, then reads them ordered by (terminal_id, transacted_at) and calls
`screen_terminal` once per terminal. Memory is one card's (one terminal's) history.
This is the hot path of the batch (a million calls a night), hence the flat loops.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from settlement.domain.fraud.activity import ToEur, card_activity, terminal_activity
from settlement.domain.fraud.model import FraudFlag, Hit
from settlement.domain.fraud.rulebook import Rulebook
from settlement.domain.transactions import StagedTransaction


def _flags(rule: str, score: int, hits: Sequence[Hit], business_date: date) -> list[FraudFlag]:
    """One flag per transaction and rule; history is context, never flagged again."""
    flags: dict[str, FraudFlag] = {}
    for tx, reason in hits:
        if tx.business_date == business_date and tx.transaction_id not in flags:
            flags[tx.transaction_id] = FraudFlag(tx.transaction_id, rule, score, reason)
    return list(flags.values())


def screen_card(
    card_transactions: Sequence[StagedTransaction],
    business_date: date,
    rulebook: Rulebook,
    to_eur: ToEur,
) -> list[FraudFlag]:
    """Flags on one card's business-date purchases; input is that card's, oldest first."""
    card = card_activity(card_transactions, business_date, to_eur)
    flags: list[FraudFlag] = []
    for rule, score, check, params in rulebook.card_checks:
        hits = check(card, params)
        if hits:
            flags.extend(_flags(rule, score, hits, business_date))
    return flags


def screen_terminal(
    terminal_transactions: Sequence[StagedTransaction],
    business_date: date,
    rulebook: Rulebook,
) -> list[FraudFlag]:
    """Flags on one terminal's business-date purchases; input is that terminal's, oldest first."""
    terminal = terminal_activity(terminal_transactions, business_date)
    flags: list[FraudFlag] = []
    for rule, score, check, params in rulebook.terminal_checks:
        hits = check(terminal, params)
        if hits:
            flags.extend(_flags(rule, score, hits, business_date))
    return flags
