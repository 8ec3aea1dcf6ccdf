"""Fraud screening inside a run: stream staged rows per card and per terminal, call the pure
rules (settlement.domain.fraud), store flags and decisions, hold review and decline.

Memory stays one card's (one terminal's) history: rows arrive ordered by (key, time) and
are grouped on the fly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Row, select

from settlement.adapters import eod_sql
from settlement.adapters.bulk import bulk_insert
from settlement.adapters.eod_tables import fraud_decisions, fraud_flags
from settlement.adapters.tables import staged_transactions as st
from settlement.domain.fraud import (
    FraudDecision,
    FraudFlag,
    Rulebook,
    decide,
    score_against_labels,
    screen_card,
    screen_terminal,
)
from settlement.domain.money import Money
from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType

_FIELDS = (
    "transaction_id", "transaction_type", "original_transaction_id", "merchant_id",
    "terminal_id", "card_token", "card_bin", "card_last4", "card_brand", "card_country",
    "merchant_country", "mcc", "entry_mode", "amount_minor", "currency", "local_time",
    "utc_offset_min", "transacted_at", "business_date",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FraudOutcome:
    flags: int
    decisions: dict[str, int]
    held: int
    scorecard: dict[str, Any] | None


def _staged(row: Row[Any]) -> StagedTransaction:
    values = dict(zip(_FIELDS, row, strict=True))
    values["transaction_type"] = TransactionType(values["transaction_type"])
    values["entry_mode"] = EntryMode(values["entry_mode"])
    return StagedTransaction(**values)


def _groups(
    conn: Connection, key: str, start: date, end: date
) -> Iterator[list[StagedTransaction]]:
    """Purchases of [start, end] grouped by `key`, each group oldest first."""
    column = st.c[key]
    query = (
        select(*(st.c[name] for name in _FIELDS))
        .where(st.c.business_date.between(start, end), st.c.transaction_type == "purchase")
        .order_by(column, st.c.transacted_at, st.c.transaction_id)
    )
    result = conn.execute(query, execution_options={"stream_results": True, "yield_per": 5000})
    index = _FIELDS.index(key)
    for _, rows in groupby(result, key=lambda row: row[index]):
        group = [_staged(row) for row in rows]
        if any(tx.business_date == end for tx in group):
            yield group


def screen_day(
    conn: Connection, run_date: date, rulebook: Rulebook, to_eur: Callable[[Money], Money | None]
) -> list[FraudFlag]:
    card_start = run_date - timedelta(days=rulebook.card_lookback_days)
    flags = [
        flag
        for group in _groups(conn, "card_token", card_start, run_date)
        for flag in screen_card(group, run_date, rulebook, to_eur)
    ]
    terminal_start = run_date - timedelta(days=rulebook.terminal_lookback_days)
    flags += [
        flag
        for group in _groups(conn, "terminal_id", terminal_start, run_date)
        for flag in screen_terminal(group, run_date, rulebook)
    ]
    return flags


def _store(
    conn: Connection, run_date: date, flags: list[FraudFlag], decisions: dict[str, FraudDecision]
) -> None:
    bulk_insert(
        conn,
        fraud_flags,
        ["run_date", "transaction_id", "rule", "score", "reason"],
        ((run_date, f.transaction_id, f.rule, f.score, f.reason) for f in flags),
    )
    bulk_insert(
        conn,
        fraud_decisions,
        ["run_date", "transaction_id", "action", "score", "reasons"],
        (
            (run_date, d.transaction_id, str(d.action), d.score, ",".join(d.reasons))
            for d in decisions.values()
        ),
    )


def _population(conn: Connection, run_date: date) -> Iterable[str]:
    query = select(st.c.transaction_id).where(
        st.c.business_date == run_date, st.c.transaction_type == "purchase"
    )
    options = {"stream_results": True, "yield_per": 10_000}
    for row in conn.execute(query, execution_options=options):
        yield row[0]


def run_fraud(
    conn: Connection,
    run_date: date,
    rulebook: Rulebook,
    to_eur: Callable[[Money], Money | None],
    labels: Mapping[str, str] | None,
) -> FraudOutcome:
    flags = screen_day(conn, run_date, rulebook, to_eur)
    decisions = decide(flags, rulebook)
    _store(conn, run_date, flags, decisions)
    held = 0
    for action in ("review", "decline"):
        held += eod_sql.hold(
            conn, run_date, "transaction_id IN (SELECT transaction_id FROM fraud_decisions"
            " WHERE run_date = :d AND action = :action)", f"fraud_{action}", action=action,
        )  # fmt: skip
    counts: dict[str, int] = {}
    for decision in decisions.values():
        counts[str(decision.action)] = counts.get(str(decision.action), 0) + 1
    scorecard = None
    if labels is not None:
        card = score_against_labels(decisions, labels, _population(conn, run_date), rulebook)
        scorecard = card.to_dict()
    return FraudOutcome(len(flags), counts, held, scorecard)
