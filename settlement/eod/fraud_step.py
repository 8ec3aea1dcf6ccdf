"""Fraud screening inside a run: stream staged rows per card and per terminal, call the pure
rules (settlement.domain.fraud), store flags and decisions, hold review and decline.

Memory stays one card's (one terminal's) history: rows arrive ordered by (key, time) and
are grouped on the fly. Over a million purchases, read twice (by card, by terminal), the
per-row Python work was most of the run, so: the reads bypass SQLAlchemy's result
processing (`eod_sql.stream`); they first carry only the columns the pre-filter needs
(`prefilter`: a card or terminal no enabled rule can flag is skipped, provably); only the
groups it cannot rule out are re-read whole, by primary key, built into
`StagedTransaction`s and screened. The terminal pass, whose only shipped rule looks for
bursts, finds its few candidates in SQL instead (`eod_sql.burst_terminals`), so it need not
stream every purchase out by terminal. `exhaustive=True` screens every group (same flags)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from settlement.adapters import eod_sql
from settlement.adapters.bulk import bulk_insert, sqlite_value
from settlement.adapters.eod_tables import fraud_decisions, fraud_flags
from settlement.adapters.tables import staged_transactions as st
from settlement.domain.fraud import (
    FraudDecision,
    FraudFlag,
    Rulebook,
    ToEur,
    decide,
    score_against_labels,
    screen_card,
    screen_terminal,
)
from settlement.domain.transactions import StagedTransaction
from settlement.eod import prefilter
from settlement.eod.prefilter import Prefilter
from settlement.eod.purchase_rows import DAY, FIELDS, ID, Raw, builder, time_parser

CANDIDATE_ROWS = 2000  # whole rows are re-read by primary key in batches of about this many
CANDIDATE_TERMINALS = 500  # more burst candidates than this: one filtered pass over the span


@dataclass(frozen=True, slots=True)
class FraudOutcome:
    flags: int
    decisions: dict[str, int]
    held: int
    scorecard: dict[str, Any] | None


def _projection(columns: frozenset[str] | None) -> str:
    """FIELDS in order; NULL for a column not in `columns` (None: every column)."""
    return ", ".join(n if columns is None or n in columns else "NULL" for n in FIELDS)


def _purchases(
    conn: Connection, key: str, span: tuple[date, date], columns: frozenset[str] | None
) -> Iterator[Raw]:
    """Raw purchases of [start, end] ordered by (`key`, time); only keys with a purchase on
    `end` when there is any history at all (the others are never screened)."""
    start, end = span
    where = "business_date BETWEEN :start AND :end AND transaction_type = 'purchase'"
    if start < end and eod_sql.rows(
        conn,
        "SELECT 1 FROM staged_transactions WHERE business_date >= :start"
        " AND business_date < :end AND transaction_type = 'purchase' LIMIT 1",
        start=start,
        end=end,
    ):
        where += (
            f" AND {key} IN (SELECT {key} FROM staged_transactions"
            " WHERE business_date = :end AND transaction_type = 'purchase')"
        )
    statement = (
        f"SELECT {_projection(columns)} FROM staged_transactions WHERE {where}"
        f" ORDER BY {key}, transacted_at, transaction_id"
    )
    return eod_sql.stream(conn, statement, {"start": start, "end": end})


def _whole_rows(conn: Connection, key: str, ids: list[str]) -> Iterator[Raw]:
    """Every column of the purchases `ids` (by primary key), in the screen's order."""
    marks = ", ".join(f":t{i}" for i in range(len(ids)))
    statement = (
        f"SELECT {_projection(None)} FROM staged_transactions WHERE transaction_id IN ({marks})"
        f" ORDER BY {key}, transacted_at, transaction_id"
    )
    return eod_sql.stream(conn, statement, {f"t{i}": tid for i, tid in enumerate(ids)})


def _today_groups(
    rows: Iterable[Raw], index: int, today: object
) -> Iterator[tuple[list[Raw], list[bool]]]:
    for _, grouped in groupby(rows, key=lambda row: row[index]):
        raw = list(grouped)
        is_today = [row[DAY] == today for row in raw]
        if any(is_today):
            yield raw, is_today


def _candidates(
    conn: Connection, key: str, span: tuple[date, date], to_eur: ToEur, chosen: Prefilter
) -> Iterator[list[str]]:
    """Ids of the groups `chosen` cannot rule out, whole groups, about CANDIDATE_ROWS a batch."""
    dialect = conn.dialect.name
    parse_time = time_parser(dialect)
    today = sqlite_value(span[1]) if dialect == "sqlite" else span[1]
    narrow = _purchases(conn, key, span, chosen.columns | {key})
    batch: list[str] = []
    for raw, is_today in _today_groups(narrow, FIELDS.index(key), today):
        if chosen.may_hit(prefilter.RawGroup(raw, is_today, to_eur, parse_time)):
            batch.extend(row[ID] for row in raw)
            if len(batch) >= CANDIDATE_ROWS:
                yield batch
                batch = []
    if batch:
        yield batch


def _groups(
    conn: Connection, key: str, span: tuple[date, date], to_eur: ToEur, chosen: Prefilter | None
) -> Iterator[list[StagedTransaction]]:
    """Purchases of [start, end] grouped by `key`, each group oldest first; only groups with
    a purchase on `end` that `chosen` cannot rule out (None: every such group)."""
    dialect = conn.dialect.name
    build, index = builder(dialect), FIELDS.index(key)
    today = sqlite_value(span[1]) if dialect == "sqlite" else span[1]
    if chosen is None:
        for raw, _ in _today_groups(_purchases(conn, key, span, None), index, today):
            yield [build(row) for row in raw]
        return
    for ids in _candidates(conn, key, span, to_eur, chosen):
        for _, rows in groupby(_whole_rows(conn, key, ids), key=lambda row: row[index]):
            yield [build(row) for row in rows]


def screen_day(
    conn: Connection,
    run_date: date,
    rulebook: Rulebook,
    to_eur: ToEur,
    *,
    exhaustive: bool = False,
) -> list[FraudFlag]:
    """Flags of the run date's purchases; `exhaustive` screens every card and terminal
    instead of only those the pre-filter cannot rule out (same flags, slower)."""
    card_hit = None if exhaustive else prefilter.card_filter(rulebook)
    terminal_hit = None if exhaustive else prefilter.terminal_filter(rulebook)
    card_span = (run_date - timedelta(days=rulebook.card_lookback_days), run_date)
    flags = [
        flag
        for group in _groups(conn, "card_token", card_span, to_eur, card_hit)
        for flag in screen_card(group, run_date, rulebook, to_eur)
    ]
    if not rulebook.terminal_checks:
        return flags
    terminal_span = (run_date - timedelta(days=rulebook.terminal_lookback_days), run_date)
    burst = None if exhaustive else prefilter.terminal_burst_bound(rulebook)
    terminals = (
        _burst_groups(conn, terminal_span, burst)
        if burst is not None
        else _groups(conn, "terminal_id", terminal_span, to_eur, terminal_hit)
    )
    flags += [flag for group in terminals for flag in screen_terminal(group, run_date, rulebook)]
    return flags


def _burst_groups(
    conn: Connection, span: tuple[date, date], bound: prefilter.BurstBound
) -> Iterator[list[StagedTransaction]]:
    """Purchases of [start, end] of the terminals `bound` cannot rule out, grouped by
    terminal, oldest first; only terminals with a purchase on `end`.

    Why: on a normal day a handful of a million purchases' terminals can burst, and finding
    them in SQL spares streaming every purchase out sorted by terminal (no index has that
    order). Candidates are read back by terminal id, or, when there are very many (an
    aggressive rulebook), by one pass over the span that keeps only theirs.
    """
    candidates = eod_sql.burst_terminals(conn, span, bound.window_s, bound.max_count)
    if not candidates:
        return
    dialect = conn.dialect.name
    build, index = builder(dialect), FIELDS.index("terminal_id")
    today = sqlite_value(span[1]) if dialect == "sqlite" else span[1]
    if len(candidates) <= CANDIDATE_TERMINALS:
        rows = _terminal_rows(conn, span, candidates)
    else:
        wanted = set(candidates)
        rows = (row for row in _purchases(conn, "terminal_id", span, None) if row[index] in wanted)
    for raw, _ in _today_groups(rows, index, today):
        yield [build(row) for row in raw]


def _terminal_rows(
    conn: Connection, span: tuple[date, date], terminals: list[str]
) -> Iterator[Raw]:
    marks = ", ".join(f":t{i}" for i in range(len(terminals)))
    statement = (
        f"SELECT {_projection(None)} FROM staged_transactions"
        " WHERE business_date BETWEEN :start AND :end AND transaction_type = 'purchase'"
        f" AND terminal_id IN ({marks}) ORDER BY terminal_id, transacted_at, transaction_id"
    )
    params: dict[str, Any] = {f"t{i}": terminal for i, terminal in enumerate(terminals)}
    return eod_sql.stream(conn, statement, {"start": span[0], "end": span[1], **params})


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
    to_eur: ToEur,
    labels: Mapping[str, str] | None,
) -> FraudOutcome:
    flags = screen_day(conn, run_date, rulebook, to_eur)
    decisions = decide(flags, rulebook)
    _store(conn, run_date, flags, decisions)
    eod_sql.refresh_statistics(conn, "fraud_decisions")
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
