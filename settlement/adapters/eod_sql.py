"""The set-based half of the end-of-day run: reconciliation, settlement and netting in SQL.

Every statement works over a whole business date inside the run's transaction, so a day of a
million rows never passes through Python lists. The rules are not restated here:
the classification CASEs are built from the domain's precedences and checks
(`recon_classes.STAGED_PRECEDENCE`, `JOURNAL_ONLY_PRECEDENCE`, `originals.REFUND_CHECKS`,
`REVERSAL_MUST_EQUAL`), each named test rendered by an exhaustive mapping below, and the
line and payout arithmetic is rendered from `netting`'s formulas (`sql_render`); every
class, outcome and type literal comes from the domain's enums. Property tests hold SQL and
domain equal. Statements are plain SQL that SQLite and PostgreSQL both accept; the dialect
differences (seconds between two timestamps, epoch seconds, code-point order) are helpers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Date,
    DateTime,
    Engine,
    TextClause,
    bindparam,
    text,
)

from settlement.adapters.bulk import sqlite_value
from settlement.adapters.sql_render import (
    condition,
    expression,
    literal,
    precedence_case,
    value_case,
)
from settlement.domain import netting
from settlement.domain.ledger import CarryLink, SettledRefunds, Void
from settlement.domain.money import Money
from settlement.domain.originals import (
    REFUND_CHECKS,
    REVERSAL_MUST_EQUAL,
    OriginalCheck,
    TransactionFacts,
)
from settlement.domain.recon_classes import (
    JOURNAL_ONLY_OUTCOME,
    JOURNAL_ONLY_PRECEDENCE,
    STAGED_PRECEDENCE,
    JournalOnlyTest,
    MatchMethod,
    Outcome,
    ReconClass,
    StagedTest,
    outcome_of,
    reason_of,
)
from settlement.domain.run_scope import Scope
from settlement.domain.run_status import RunStatus
from settlement.domain.transactions import TransactionType

SETTLES = Outcome.SETTLED.value


def _sql(conn: Connection, statement: str, **params: Any) -> TextClause:
    clause = text(statement)
    typed: list[BindParameter[Any]] = []
    for name, value in params.items():
        if isinstance(value, datetime):
            typed.append(bindparam(name, value, type_=DateTime()))
        elif isinstance(value, date):
            typed.append(bindparam(name, value, type_=Date()))
        else:
            typed.append(bindparam(name, value))
    return clause.bindparams(*typed)


def run(conn: Connection, statement: str, **params: Any) -> int:
    result = conn.execute(_sql(conn, statement, **params))
    return int(result.rowcount or 0)


def rows(conn: Connection, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(_sql(conn, statement, **params))]


def day_has_input(engine: Engine, day: date) -> bool:
    """Whether a business date has anything to reconcile: a staged row or a journal line."""
    with engine.connect() as conn:
        for table in ("staged_transactions", "journal_entries"):
            found = rows(conn, f"SELECT 1 FROM {table} WHERE business_date = :d LIMIT 1", d=day)
            if found:
                return True
    return False


_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_cursor_numbers = itertools.count(1)


def stream(
    conn: Connection, statement: str, params: Mapping[str, Any], batch_rows: int = 5000
) -> Generator[tuple[Any, ...]]:
    """Rows of a large read straight from the driver, inside the run's transaction.

    Why not `conn.execute`: SQLAlchemy's per-row result processing cost several times the read
    itself over a million rows. PostgreSQL reads through a server-side cursor `batch_rows` at
    a time and SQLite's cursor is lazy, so memory stays one batch either way. Values are the
    driver's own: PostgreSQL returns dates and datetimes, SQLite the ISO text SQLAlchemy
    stored (see `bulk.sqlite_value`). `statement` uses `:name` parameters.
    """
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        name = f"eod_stream_{next(_cursor_numbers)}"
        with driver.cursor(name=name) as cursor:
            cursor.itersize = batch_rows
            cursor.execute(_NAMED.sub(r"%(\1)s", statement), params)
            yield from cursor
        return
    cursor = driver.cursor()
    try:
        cursor.arraysize = batch_rows
        cursor.execute(statement, {key: sqlite_value(value) for key, value in params.items()})
        while batch := cursor.fetchmany():
            yield from batch
    finally:
        cursor.close()


@contextmanager
def id_table(conn: Connection, ids: Iterable[str]) -> Iterator[str]:
    """A temporary table of `ids` (column `transaction_id`) for the block; yields its name.

    Why: a statement that needs thousands of ids joins them as a table, where as many bound
    parameters would break the backends' limits (SQLite 32,766, PostgreSQL 65,535). After a
    failure the table is left to the run's rollback, which undoes its creation."""
    name = f"eod_ids_{next(_cursor_numbers)}"
    run(conn, f"CREATE TEMPORARY TABLE {name} (transaction_id TEXT PRIMARY KEY)")
    cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with closing(cursor):
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {name} (transaction_id) FROM STDIN") as copy:
                for tid in ids:
                    copy.write_row((tid,))
        else:
            cursor.executemany(f"INSERT INTO {name} VALUES (?)", ((tid,) for tid in ids))
    refresh_statistics(conn, name)
    try:
        yield name
    except GeneratorExit:  # the reader stopped early: nothing failed
        run(conn, f"DROP TABLE {name}")
        raise
    run(conn, f"DROP TABLE {name}")


def _seconds_apart(conn: Connection, a: str, b: str) -> str:
    if conn.dialect.name == "postgresql":
        return f"ABS(EXTRACT(EPOCH FROM ({a} - {b})))"
    return f"ABS(julianday({a}) - julianday({b})) * 86400.0"


def _by_code_point(conn: Connection, column: str) -> str:
    """`column` ordered by code point, as Python and SQLite (BINARY) order text.

    Why: a tie between two refunds at the same instant is broken by transaction id, and the
    domain's reference order must be the SQL's on every backend. PostgreSQL orders text by
    the database's collation, which under a locale such as en_US.UTF-8 is not code-point
    order ("a-1" against "a1"); "C" is."""
    return f'{column} COLLATE "C"' if conn.dialect.name == "postgresql" else column


def _epoch_seconds(conn: Connection, column: str) -> str:
    """Whole seconds since 1970 (rounded down) of a naive-UTC timestamp column."""
    if conn.dialect.name == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def burst_terminals(
    conn: Connection, span: tuple[date, date], window_s: int, max_count: int
) -> list[str]:
    """Terminals whose purchases in `span` may put more than `max_count` in one window of
    `window_s`: a sound superset, computed without streaming the span out of the database.

    Why it is sound: purchases within `window_s` of each other are at most `window_s` whole
    seconds apart, so they fall in two consecutive fixed buckets of `window_s`; a terminal
    whose every pair of consecutive buckets holds at most `max_count` purchases has no such
    window. Fixed buckets alone would miss a burst across a bucket edge
    (`settlement.domain.fraud.window`).
    """
    bucket = f"{_epoch_seconds(conn, 'transacted_at')} / {int(window_s)}"
    statement = f"""
    WITH b AS (
      SELECT terminal_id, {bucket} AS k, COUNT(*) AS n FROM staged_transactions
      WHERE business_date BETWEEN :start AND :end
        AND transaction_type = {literal(TransactionType.PURCHASE)}
      GROUP BY terminal_id, {bucket})
    SELECT DISTINCT b1.terminal_id FROM b b1
    LEFT JOIN b b2 ON b2.terminal_id = b1.terminal_id AND b2.k = b1.k + 1
    WHERE b1.n + COALESCE(b2.n, 0) > {int(max_count)}
    ORDER BY b1.terminal_id
    """
    return [str(row[0]) for row in rows(conn, statement, start=span[0], end=span[1])]


_NOT_TAKEN = (
    "NOT EXISTS (SELECT 1 FROM reconciliation_items o WHERE o.transaction_id = s.transaction_id"
    " AND o.staged_amount_minor IS NOT NULL AND o.run_date <> :d)"
)


_COMPLETED = literal(RunStatus.COMPLETED)


def scope_cte(scope: Scope) -> str:
    """`scope`: staged rows of the run date not reported by another run, plus rows of recent
    dates that already have a completed run and that no run reported (late arrivals)."""
    own = "s.business_date = :d" + (f" AND {_NOT_TAKEN}" if scope.later_runs_exist else "")
    late = (
        "s.business_date >= :lookback AND s.business_date < :d AND s.business_date IN"
        f" (SELECT business_date FROM eod_runs WHERE status = {_COMPLETED}) AND " + _NOT_TAKEN
    )
    return (
        f"scope AS (SELECT s.* FROM staged_transactions s WHERE {own}"
        f" UNION ALL SELECT s.* FROM staged_transactions s WHERE {late})"
    )


def scope_params(scope: Scope) -> dict[str, Any]:
    return {"d": scope.run_date, "lookback": scope.lookback_start}


def refresh_statistics(conn: Connection, *tables: str) -> None:
    """Let PostgreSQL plan the next statements with what this transaction just wrote.

    Why: its statistics still describe the tables before the run, so a join against a
    freshly filled table of a million rows was planned as if it were empty (a hold of the
    fraud decisions took 27 s at 100k rows). ANALYZE inside the transaction samples its
    own rows. SQLite's planner leans on indexes, not row counts, and needs no refresh.
    """
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table}")


def delete_results(conn: Connection, run_date: date, tables: list[str]) -> None:
    for table in tables:
        run(conn, f"DELETE FROM {table} WHERE run_date = :d", d=run_date)


# Each named test of the staged precedence as a predicate over the row `s`, its journal line
# `j` (by id) and its original staged (`o`, any date) or journalled (`oj`).
STAGED_TEST_SQL: dict[StagedTest, str] = {
    StagedTest.ARRIVED_LATE: "s.business_date < :d OR s.sent_at >= :cutoff",
    StagedTest.ORIGINAL_NOWHERE: (
        f"s.transaction_type <> {literal(TransactionType.PURCHASE)}"
        " AND o.transaction_id IS NULL AND oj.transaction_id IS NULL"
    ),
    StagedTest.NOT_IN_JOURNAL: "j.transaction_id IS NULL",
    StagedTest.JOURNAL_DIFFERS: "j.amount_minor <> s.amount_minor OR j.currency <> s.currency",
}
# ... and of the journal-only one over a never-staged journal line `j2`.
JOURNAL_ONLY_TEST_SQL: dict[JournalOnlyTest, str] = {
    JournalOnlyTest.ORIGINAL_NOWHERE: (
        f"j2.transaction_type <> {literal(TransactionType.PURCHASE)}"
        " AND NOT EXISTS (SELECT 1 FROM staged_transactions o"
        " WHERE o.transaction_id = j2.original_transaction_id)"
        " AND NOT EXISTS (SELECT 1 FROM journal_entries oj"
        " WHERE oj.transaction_id = j2.original_transaction_id)"
    ),
}


def _outcome_case(column: str, classes: Iterable[ReconClass]) -> str:
    return value_case(column, ((c, outcome_of(c)) for c in classes))


def _reason_case(column: str, classes: Iterable[ReconClass]) -> str:
    """`reason_of` over `column`: NULL for the classes that carry none, else the class."""
    listed = list(classes)
    if any(reason_of(c) not in (None, c.value) for c in listed):
        raise ValueError("a reason other than the class itself needs its own CASE")
    silent = ", ".join(literal(c) for c in listed if reason_of(c) is None)
    return f"CASE WHEN {column} IN ({silent}) THEN NULL ELSE {column} END" if silent else column


def classify_staged(conn: Connection, scope: Scope) -> int:
    """One item per staged row in scope, classed by `STAGED_PRECEDENCE` (tolerant matching
    and reversal pairing refine it afterwards)."""
    statement = f"""
    WITH {scope_cte(scope)},
    classified AS (
      SELECT s.transaction_id, s.business_date, s.merchant_id, s.terminal_id,
             s.transaction_type, s.original_transaction_id, s.currency, s.amount_minor,
             j.transaction_id AS jid, j.amount_minor AS jamount,
             {precedence_case(STAGED_PRECEDENCE, STAGED_TEST_SQL)} AS cls
      FROM scope s
      LEFT JOIN journal_entries j ON j.transaction_id = s.transaction_id
      LEFT JOIN staged_transactions o ON o.transaction_id = s.original_transaction_id
      LEFT JOIN journal_entries oj ON oj.transaction_id = s.original_transaction_id
    )
    INSERT INTO reconciliation_items (
      run_date, transaction_id, journal_transaction_id, business_date, merchant_id,
      terminal_id, transaction_type, original_transaction_id, currency, staged_amount_minor,
      journal_amount_minor, recon_class, match_method, outcome, reason, age_business_days)
    SELECT :d, transaction_id, jid, business_date, merchant_id, terminal_id, transaction_type,
           original_transaction_id, currency, amount_minor, jamount, cls,
           CASE WHEN jid IS NULL THEN NULL ELSE {literal(MatchMethod.ID)} END,
           {_outcome_case("cls", STAGED_PRECEDENCE.classes)},
           {_reason_case("cls", STAGED_PRECEDENCE.classes)}, 0
    FROM classified
    """
    return run(conn, statement, cutoff=scope.cutoff_utc, **scope_params(scope))


def classify_journal_only(conn: Connection, run_date: date) -> int:
    """Journal rows of the date never staged, classed by `JOURNAL_ONLY_PRECEDENCE`
    (missing_in_staging, or orphan_refund when the original is nowhere). No money reached
    us, so the outcome is `JOURNAL_ONLY_OUTCOME`."""
    statement = f"""
    INSERT INTO reconciliation_items (
      run_date, transaction_id, journal_transaction_id, business_date, merchant_id,
      terminal_id, transaction_type, original_transaction_id, currency, staged_amount_minor,
      journal_amount_minor, recon_class, match_method, outcome, reason, age_business_days)
    SELECT :d, j.transaction_id, j.transaction_id, j.business_date, j.merchant_id,
           j.terminal_id, j.transaction_type, j.original_transaction_id, j.currency, NULL,
           j.amount_minor, c.cls, NULL, {literal(JOURNAL_ONLY_OUTCOME)},
           {_reason_case("c.cls", JOURNAL_ONLY_PRECEDENCE.classes)}, 0
    FROM journal_entries j
    JOIN (
      SELECT j2.transaction_id,
             {precedence_case(JOURNAL_ONLY_PRECEDENCE, JOURNAL_ONLY_TEST_SQL)} AS cls
      FROM journal_entries j2
      WHERE j2.business_date = :d
        AND NOT EXISTS (SELECT 1 FROM staged_transactions s
                        WHERE s.transaction_id = j2.transaction_id)
    ) c ON c.transaction_id = j.transaction_id
    """
    return run(conn, statement, d=run_date)


def tolerant_pairs(
    conn: Connection, run_date: date, tolerance_minor: int, window_s: int
) -> list[tuple[str, str, int]]:
    """(staged id, journal id, journal amount) pairs that are each other's closest candidate
    among the date's unexpected staged rows and never-staged journal rows.

    Why the never-staged rows are copied into a temporary table with its own index: pairing
    them with the unexpected ones by (merchant, last four, currency) needs an index on that
    key, and the journal's own index on it, kept for this query alone, was most of the
    journal import's cost (migration 0009). The copy is a few thousand rows of a million;
    without its index SQLite pairs the two lists by a nested scan (20,000 x 4,500 rows:
    6 s, measured). After a failure the table is left to the run's rollback."""
    missing = f"eod_missing_{next(_cursor_numbers)}"
    run(conn, f"""
    CREATE TEMPORARY TABLE {missing} AS
    SELECT t.transaction_id, t.merchant_id, t.card_last4, t.currency, t.amount_minor,
           t.transacted_at
    FROM reconciliation_items i JOIN journal_entries t ON t.transaction_id = i.transaction_id
    WHERE i.run_date = :d AND i.recon_class = {literal(ReconClass.MISSING_IN_STAGING)}
    """, d=run_date)  # fmt: skip
    run(conn, f"CREATE INDEX {missing}_key ON {missing} (merchant_id, card_last4, currency)")
    refresh_statistics(conn, missing)
    seconds = _seconds_apart(conn, "s.transacted_at", "j.transacted_at")
    jid, sid = _by_code_point(conn, "jid"), _by_code_point(conn, "sid")
    statement = f"""
    WITH s AS MATERIALIZED (
      SELECT t.transaction_id, t.merchant_id, t.card_last4, t.currency, t.amount_minor,
             t.transacted_at
      FROM reconciliation_items i JOIN staged_transactions t ON t.transaction_id = i.transaction_id
      WHERE i.run_date = :d AND i.recon_class = {literal(ReconClass.UNEXPECTED_IN_STAGING)}),
    cand AS (
      SELECT s.transaction_id AS sid, j.transaction_id AS jid, j.amount_minor AS jamount,
             ABS(s.amount_minor - j.amount_minor) AS gap, {seconds} AS apart
      FROM s JOIN {missing} j ON j.merchant_id = s.merchant_id
        AND j.card_last4 = s.card_last4 AND j.currency = s.currency),
    ranked AS (
      SELECT sid, jid, jamount,
             ROW_NUMBER() OVER (PARTITION BY sid ORDER BY gap, apart, {jid}) AS rs,
             ROW_NUMBER() OVER (PARTITION BY jid ORDER BY gap, apart, {sid}) AS rj
      FROM cand WHERE gap <= :tolerance AND apart <= :window)
    SELECT sid, jid, jamount FROM ranked WHERE rs = 1 AND rj = 1 ORDER BY sid
    """
    found = rows(conn, statement, d=run_date, tolerance=tolerance_minor, window=window_s)
    run(conn, f"DROP TABLE {missing}")
    return [(str(sid), str(jid), int(amount)) for sid, jid, amount in found]


def apply_tolerant_pairs(
    conn: Connection, run_date: date, pairs: list[tuple[str, str, int]]
) -> None:
    matched = ReconClass.MATCHED
    for sid, jid, amount in pairs:
        run(
            conn,
            f"UPDATE reconciliation_items SET recon_class = {literal(matched)},"
            f" match_method = {literal(MatchMethod.TOLERANT)},"
            " journal_transaction_id = :jid, journal_amount_minor = :amount,"
            f" outcome = {literal(outcome_of(matched))}, reason = {literal(reason_of(matched))}"
            " WHERE run_date = :d AND transaction_id = :sid",
            d=run_date,
            sid=sid,
            jid=jid,
            amount=amount,
        )
        run(
            conn,
            "DELETE FROM reconciliation_items WHERE run_date = :d AND transaction_id = :jid"
            " AND staged_amount_minor IS NULL",
            d=run_date,
            jid=jid,
        )


def _original_join(named: str = "r.original_transaction_id") -> str:
    """Join the original a refund or reversal names: `o` staged (any date), else `oj`."""
    return (
        f" LEFT JOIN staged_transactions o ON o.transaction_id = {named}"
        f" LEFT JOIN journal_entries oj ON o.transaction_id IS NULL AND oj.transaction_id = {named}"
    )


def _original(column: str) -> str:
    """The named original's column: the staged row (any date), else its journal line."""
    return f"COALESCE(o.{column}, oj.{column})"


def _judge(conn: Connection, run_date: date, verdicts: str) -> None:
    """Write (transaction_id, recon_class) `verdicts` (a query over CTEs) onto the date's items,
    with the outcome and reason each class leads to; a set-based UPDATE ... FROM."""
    run(
        conn,
        f"{verdicts} UPDATE reconciliation_items SET recon_class = v.cls,"
        f" outcome = {_outcome_case('v.cls', ReconClass)},"
        f" reason = {_reason_case('v.cls', ReconClass)}"
        " FROM verdicts v WHERE reconciliation_items.run_date = :d"
        " AND reconciliation_items.transaction_id = v.transaction_id",
        d=run_date,
    )


# Each check a refund or reversal `r` is held to, as the predicate that it FAILS against the
# original it names (staged `o`, else journalled `oj`).
ORIGINAL_CHECK_FAILS_SQL: dict[OriginalCheck, str] = {
    OriginalCheck.IS_PURCHASE: (
        f"{_original('transaction_type')} <> {literal(TransactionType.PURCHASE)}"
    ),
    OriginalCheck.SAME_MERCHANT: f"{_original('merchant_id')} <> r.merchant_id",
    OriginalCheck.SAME_TERMINAL: f"{_original('terminal_id')} <> r.terminal_id",
    OriginalCheck.SAME_CURRENCY: f"{_original('currency')} <> r.currency",
    OriginalCheck.SAME_AMOUNT: f"{_original('amount_minor')} <> r.staged_amount_minor",
}


def reversal_differs_sql() -> str:
    """A reversal fails `REVERSAL_MUST_EQUAL`: any of its checks fails."""
    return " OR ".join(ORIGINAL_CHECK_FAILS_SQL[check] for check in REVERSAL_MUST_EQUAL)


def refund_mismatch_sql() -> str:
    """`originals.refund_mismatch`: the class of the first of `REFUND_CHECKS` that fails,
    else NULL."""
    whens = " ".join(
        f"WHEN {ORIGINAL_CHECK_FAILS_SQL[check]} THEN {literal(recon_class)}"
        for recon_class, check in REFUND_CHECKS
    )
    return f"CASE {whens} END"


# A refund of the named original that another run settled (the partial index on
# original_transaction_id finds it): such a purchase is no longer voided.
_REFUNDED_ELSEWHERE = (
    "SELECT 1 FROM reconciliation_items e WHERE e.original_transaction_id ="
    " r.original_transaction_id AND e.original_transaction_id IS NOT NULL AND e.run_date <> :d"
    f" AND e.outcome = '{SETTLES}' AND e.transaction_type = '{TransactionType.REFUND}'"
)


def pair_reversals(conn: Connection, run_date: date) -> None:
    """`originals.reversal_equals` in SQL: a matched reversal equal to its original (a
    purchase; merchant, terminal, currency, amount) voids it when that purchase is matched
    in this run and no other run settled a refund of it, the earliest (transacted_at,
    transaction_id) of several equal ones; the others are duplicates; a reversal that
    differs voids nothing (reversal_mismatch).

    Every matched reversal and the purchases they void are judged in one statement, on the
    statistics of the freshly classified items: marking purchases and reversals in separate
    passes made PostgreSQL take the just-marked rows for none (25 s at 100k rows).
    """
    tie = _by_code_point(conn, "transaction_id")
    verdicts = f"""
    WITH rv AS (
      SELECT r.transaction_id, r.original_transaction_id AS oid, s.transacted_at,
             CASE WHEN {reversal_differs_sql()} THEN '{ReconClass.REVERSAL_MISMATCH}'
                  WHEN p.transaction_id IS NULL OR EXISTS ({_REFUNDED_ELSEWHERE})
                    THEN '{ReconClass.UNPAIRED_REVERSAL}'
                  ELSE '{ReconClass.REVERSED}' END AS cls
      FROM reconciliation_items r
      JOIN staged_transactions s ON s.transaction_id = r.transaction_id {_original_join()}
      LEFT JOIN reconciliation_items p ON p.run_date = r.run_date
       AND p.transaction_id = r.original_transaction_id AND p.recon_class = '{ReconClass.MATCHED}'
      WHERE r.original_transaction_id IS NOT NULL AND r.run_date = :d
        AND r.recon_class = '{ReconClass.MATCHED}'
        AND r.transaction_type = '{TransactionType.REVERSAL}'),
    ranked AS (
      SELECT transaction_id, oid, CASE WHEN cls = '{ReconClass.REVERSED}' AND ROW_NUMBER()
               OVER (PARTITION BY oid, cls ORDER BY transacted_at, {tie}) > 1
             THEN '{ReconClass.REVERSAL_DUPLICATE}' ELSE cls END AS cls
      FROM rv),
    verdicts AS (
      SELECT transaction_id, cls FROM ranked
      UNION ALL SELECT oid, cls FROM ranked WHERE cls = '{ReconClass.REVERSED}')"""
    _judge(conn, run_date, verdicts)


def judge_refunds(conn: Connection, run_date: date) -> None:
    """`originals.refund_mismatch` and `refunds_over` in SQL, after reversal pairing: a
    matched refund must name a purchase (staged on any date, else in the journal) of its
    merchant and currency, and fit, in (transacted_at, transaction_id) order after the
    refunds other runs settled, within the purchase's amount (nothing once it is voided)."""
    tie = _by_code_point(conn, "rf.transaction_id")
    verdicts = f"""
    WITH rf AS (
      SELECT r.transaction_id, r.original_transaction_id AS oid, r.staged_amount_minor AS amount,
             s.transacted_at,
             {refund_mismatch_sql()} AS cls,
             CASE WHEN EXISTS (SELECT 1 FROM reconciliation_items v
                               WHERE v.transaction_id = r.original_transaction_id
                                 AND v.recon_class = '{ReconClass.REVERSED}') THEN 0
                  ELSE {_original("amount_minor")} END AS budget
      FROM reconciliation_items r
      JOIN staged_transactions s ON s.transaction_id = r.transaction_id {_original_join()}
      WHERE r.original_transaction_id IS NOT NULL AND r.run_date = :d
        AND r.recon_class = '{ReconClass.MATCHED}'
        AND r.transaction_type = '{TransactionType.REFUND}'),
    earlier AS (
      SELECT e.original_transaction_id AS oid, SUM(e.staged_amount_minor) AS refunded
      FROM reconciliation_items e
      WHERE e.original_transaction_id IN (SELECT oid FROM rf WHERE cls IS NULL)
        AND e.original_transaction_id IS NOT NULL AND e.run_date <> :d
        AND e.outcome = '{SETTLES}' AND e.transaction_type = '{TransactionType.REFUND}'
      GROUP BY e.original_transaction_id),
    running AS (
      SELECT rf.transaction_id, rf.budget, COALESCE(earlier.refunded, 0) + SUM(rf.amount)
               OVER (PARTITION BY rf.oid ORDER BY rf.transacted_at, {tie}
                     ROWS UNBOUNDED PRECEDING) AS total
      FROM rf LEFT JOIN earlier ON earlier.oid = rf.oid WHERE rf.cls IS NULL),
    verdicts AS (
      SELECT transaction_id, cls FROM rf WHERE cls IS NOT NULL
      UNION ALL SELECT transaction_id, '{ReconClass.REFUND_EXCEEDS_ORIGINAL}' FROM running
      WHERE total > budget)"""
    _judge(conn, run_date, verdicts)


_FACTS = ("transaction_type", "merchant_id", "terminal_id", "amount_minor", "currency")
_ORIGINAL_FACTS = ", ".join(_original(column) for column in _FACTS)


def _facts(row: Sequence[Any]) -> TransactionFacts | None:
    """(id, type, merchant, terminal, amount, currency) -> facts; None when the id is None
    or nothing was found under it."""
    tid, kind, merchant, terminal, amount, currency = row
    if tid is None or kind is None:
        return None
    return TransactionFacts(
        str(tid), TransactionType(kind), str(merchant), str(terminal), Money(int(amount), currency)
    )


def settled_refunds(conn: Connection, run_date: date) -> list[SettledRefunds]:
    """The date's refund lines per original, merchant and currency, read from the lines and
    the staged rows (not from the classification), with what other runs settled."""
    statement = f"""
    SELECT g.*,
      CASE WHEN EXISTS (SELECT 1 FROM reconciliation_items v WHERE v.transaction_id = g.oid
                        AND v.recon_class = '{ReconClass.REVERSED}') THEN 1 ELSE 0 END,
      (SELECT COALESCE(SUM(e.staged_amount_minor), 0) FROM reconciliation_items e
       WHERE e.original_transaction_id = g.oid AND e.original_transaction_id IS NOT NULL
         AND e.run_date <> :d AND e.outcome = '{SETTLES}'
         AND e.transaction_type = '{TransactionType.REFUND}')
    FROM (
      SELECT MIN(l.transaction_id) AS first_id, s.original_transaction_id AS oid,
             l.merchant_id, l.original_currency, SUM(l.original_amount_minor) AS amount,
             {_ORIGINAL_FACTS}
      FROM settlement_lines l JOIN staged_transactions s ON s.transaction_id = l.transaction_id
      {_original_join("s.original_transaction_id")}
      WHERE l.run_date = :d AND l.transaction_type = '{TransactionType.REFUND}'
      GROUP BY s.original_transaction_id, l.merchant_id, l.original_currency, {_ORIGINAL_FACTS}
    ) g"""
    return [
        SettledRefunds(str(first), oid, str(merchant), str(currency), int(amount),
                       _facts((oid, *original)), bool(voided), int(earlier))
        for first, oid, merchant, currency, amount, *original, voided, earlier
        in rows(conn, statement, d=run_date)
    ]  # fmt: skip


def voids(conn: Connection, run_date: date) -> tuple[list[Void], list[tuple[str, str]]]:
    """The date's reversed reversals with the staged facts of both sides, and the items
    marked reversed that no reversed reversal of the date names."""
    reversed_ = f"outcome = '{Outcome.REVERSED}'"
    statement = f"""
    SELECT r.transaction_id, s.transaction_type, s.merchant_id, s.terminal_id, s.amount_minor,
           s.currency, r.original_transaction_id, {_ORIGINAL_FACTS},
           CASE WHEN p.{reversed_} THEN 1 ELSE 0 END,
           (SELECT COALESCE(SUM(e.staged_amount_minor), 0) FROM reconciliation_items e
            WHERE e.original_transaction_id = r.original_transaction_id
              AND e.original_transaction_id IS NOT NULL AND e.run_date <> :d
              AND e.outcome = '{SETTLES}' AND e.transaction_type = '{TransactionType.REFUND}')
    FROM reconciliation_items r JOIN staged_transactions s ON s.transaction_id = r.transaction_id
    {_original_join()}
    LEFT JOIN reconciliation_items p ON p.run_date = r.run_date
     AND p.transaction_id = r.original_transaction_id
    WHERE r.run_date = :d AND r.{reversed_} AND r.transaction_type = '{TransactionType.REVERSAL}'
    """
    found = []
    for tid, kind, merchant, terminal, amount, currency, *original, voided, refunded in rows(
        conn, statement, d=run_date
    ):
        reversal = TransactionFacts(
            tid, TransactionType(kind), merchant, terminal, Money(int(amount), currency)
        )
        found.append(Void(reversal, original[0], _facts(original), bool(voided), int(refunded)))
    # An uncorrelated NOT IN and no ORDER BY (sorted here): a correlated NOT EXISTS made
    # SQLite scan the date's reversed items once per item (4.5 s at 100k rows), and an
    # ORDER BY made it walk every item of the date in key order instead of the reversed ones.
    unvoided = f"""
    SELECT p.transaction_id, p.currency FROM reconciliation_items p
    WHERE p.run_date = :d AND p.{reversed_} AND p.transaction_type <> '{TransactionType.REVERSAL}'
      AND p.transaction_id NOT IN (
        SELECT r.original_transaction_id FROM reconciliation_items r
        WHERE r.run_date = :d AND r.{reversed_}
          AND r.transaction_type = '{TransactionType.REVERSAL}'
          AND r.original_transaction_id IS NOT NULL)"""
    return found, sorted((str(t), str(c)) for t, c in rows(conn, unvoided, d=run_date))


def hold(
    conn: Connection,
    run_date: date,
    where: str,
    reason: str,
    detail: str | None = None,
    *,
    by_id: bool = False,
    **params: Any,
) -> int:
    """Move settling items matching `where` to held with `reason` (and its `detail`);
    `by_id`: `where` names few items by transaction id, so look them up by primary key."""
    items = through_primary_key(conn, "reconciliation_items") if by_id else "reconciliation_items"
    return run(
        conn,
        f"UPDATE {items} SET outcome = {literal(Outcome.HELD)}, reason = :reason,"
        f" reason_detail = :detail WHERE run_date = :d AND outcome = '{SETTLES}' AND ({where})",
        d=run_date,
        reason=reason,
        detail=detail,
        **params,
    )  # fmt: skip


def currency_pairs(conn: Connection, run_date: date) -> list[tuple[str, str | None, int]]:
    """(transaction currency, settlement currency or None, max amount) over settling items."""
    found = rows(
        conn,
        "SELECT i.currency, m.settlement_currency, MAX(i.amount)"
        f" FROM ({_settling_by_merchant(conn)}) i"
        " LEFT JOIN merchants m ON m.merchant_id = i.merchant_id"
        " GROUP BY i.currency, m.settlement_currency",
        d=run_date,
    )
    return [(str(a), None if b is None else str(b), int(c)) for a, b, c in found]


def _settling_by_merchant(conn: Connection) -> str:
    """The date's settling items' (currency, merchant_id, amount); on SQLite only the largest
    amount of each merchant and currency. Why: SQLite looked a merchant up for each of a 1M
    day's 966k settling items, then sorted them all for the pairs (1.8-1.9 s); grouped by
    merchant first it sorts them once and looks up ~49,000 merchants (1.05-1.1 s, the same 26
    pairs). PostgreSQL hash-joins the items to the merchants in parallel, and grouping first
    only added work there (same day, three loads: 0.29-0.45 s joined, 0.37-0.77 s grouped),
    so it reads them whole: a subquery it folds into the join, the plan of before."""
    settling = f"FROM reconciliation_items WHERE run_date = :d AND outcome = '{SETTLES}'"
    if conn.dialect.name == "sqlite":
        return (
            f"SELECT currency, merchant_id, MAX(staged_amount_minor) AS amount {settling}"
            " GROUP BY merchant_id, currency"
        )
    return f"SELECT currency, merchant_id, staged_amount_minor AS amount {settling}"


def insert_settlement_lines(conn: Connection, run_date: date, fx_markup_bps: int) -> int:
    """One line per settling item, priced by `netting`'s formulas rendered to SQL."""
    converted = expression(netting.CONVERTED_MINOR, {
        netting.AMOUNT_MINOR.name: "i.staged_amount_minor",
        netting.RATE_NUMERATOR.name: "f.minor_numerator",
        netting.RATE_DENOMINATOR.name: "f.minor_denominator",
    })  # fmt: skip
    priced = {
        netting.CONVERTED.name: "x.converted", netting.MDR_BPS.name: "x.mdr_bps",
        netting.FEE_FIXED_MINOR.name: "x.fee_fixed_minor",
        netting.FX_MARKUP_BPS.name: str(int(fx_markup_bps)),  # the run's setting
        netting.TRANSACTION_TYPE.name: "x.transaction_type", netting.CURRENCY.name: "x.currency",
        netting.SETTLEMENT_CURRENCY.name: "x.settlement_currency",
    }  # fmt: skip
    statement = f"""
    WITH x AS {_materialized(conn)} (
      SELECT i.run_date, i.transaction_id, i.merchant_id, i.transaction_type,
             i.staged_amount_minor AS amount, i.currency, m.settlement_currency, m.mdr_bps,
             m.fee_fixed_minor, f.rate, f.rate_date, f.source, {converted} AS converted
      FROM reconciliation_items i
      JOIN merchants m ON m.merchant_id = i.merchant_id
      JOIN fx_conversions f ON f.run_date = i.run_date AND f.from_currency = i.currency
       AND f.to_currency = m.settlement_currency
      WHERE i.run_date = :d AND i.outcome = '{SETTLES}'
    )
    INSERT INTO settlement_lines (
      run_date, transaction_id, merchant_id, transaction_type, original_amount_minor,
      original_currency, settlement_currency, converted_amount_minor, fee_minor,
      fx_markup_minor, rate, rate_date, rate_source)
    SELECT x.run_date, x.transaction_id, x.merchant_id, x.transaction_type, x.amount,
           x.currency, x.settlement_currency, x.converted,
           {expression(netting.FEE_MINOR, priced)},
           {expression(netting.FX_MARKUP_MINOR, priced)},
           x.rate, x.rate_date, x.source
    FROM x
    """
    return run(conn, statement, d=run_date)


def _materialized(conn: Connection) -> str:
    """SQLite: the line's converted amount computed once a line. Why: SQLite folds a
    subquery (or CTE) into the outer query, writing its `converted` expression out in each
    of the fee and markup formulas' many uses of it, all evaluated (1M day: 12.0 -> 9.1 s
    of CPU for the insert, the same lines). PostgreSQL inlines a CTE used once, as before."""
    return "MATERIALIZED" if conn.dialect.name == "sqlite" else ""


# The settlement_lines columns that feed `netting.LINE_SHARES`.
_LINE_COLUMNS = {
    netting.TRANSACTION_TYPE.name: "transaction_type",
    netting.CONVERTED.name: "converted_amount_minor",
    netting.LINE_FEE_MINOR.name: "fee_minor",
    netting.LINE_FX_MARKUP_MINOR.name: "fx_markup_minor",
}


def insert_payouts(conn: Connection, run_date: date) -> int:
    """Net the date's lines per merchant and settlement currency by `netting`'s formulas."""
    shares = netting.LINE_SHARES.items()
    totals = {total: f"SUM({expression(share, _LINE_COLUMNS)})" for total, share in shares}
    net = expression(netting.PAYOUT_MINOR, totals)
    debit, credit = netting.PayoutDirection.DEBIT, netting.PayoutDirection.CREDIT
    direction = (
        f"CASE WHEN {condition(netting.IS_DEBIT, totals)} THEN {literal(debit)}"
        f" ELSE {literal(credit)} END"
    )
    statement = f"""
    INSERT INTO payouts (run_date, merchant_id, currency, purchases_minor, refunds_minor,
                         fees_minor, fx_markup_minor, payout_minor, direction, line_count)
    SELECT :d, merchant_id, settlement_currency, {totals[netting.PURCHASES_MINOR.name]},
           {totals[netting.REFUNDS_MINOR.name]}, {totals[netting.FEES_MINOR.name]},
           {totals[netting.FX_MARKUPS_MINOR.name]},
           {net}, {direction}, COUNT(*)
    FROM {through_primary_key(conn, "settlement_lines")} WHERE run_date = :d
    GROUP BY merchant_id, settlement_currency
    """
    return run(conn, statement, d=run_date)


def through_primary_key(conn: Connection, table: str) -> str:
    """`table` as a statement's FROM (or UPDATE target) that SQLite reads through its
    primary key, (run_date, transaction_id) in the end of day's tables.

    Why: SQLite plans without statistics, and for `run_date = :d` it takes another index
    that starts with run_date as readily. Two cases measured on a 1M day (warm cache):
    - the scans of a day's settlement lines (the ledger's sums, the payouts' grouping): the
      (run_date, merchant_id) index visits them in merchant order, each a jump to another
      page of the table; the primary key visits them in transaction id order, which for
      time-ordered ids is the order they were written in: 3.4 -> 1.4 s and 2.5 -> 1.2 s
      of CPU (migration 0010 has since dropped that index; the name keeps the plan should
      another index on run_date come back);
    - holding the fraud decisions' items: (run_date, outcome) reads every settling item of
      the day to test it against the ~10,000 decided ids; the primary key looks those up:
      0.6-0.9 -> 0.07 s a hold.
    The rows a statement reads or changes, and the order GROUP BY and ORDER BY give them,
    do not depend on the index; tests/integration/test_eod_line_scans.py holds the plans.
    PostgreSQL plans its own way."""
    if conn.dialect.name == "sqlite":
        return f"{table} INDEXED BY sqlite_autoindex_{table}_1"
    return table


# The payouts columns that feed the carry's formulas.
_CARRY_COLUMNS = {
    netting.PAYOUT.name: "payout_minor",
    netting.CARRIED_IN.name: "carried_in_minor",
    netting.CARRIED_OUT.name: "carried_out_minor",
}
# The latest earlier payout of a payout's merchant and currency (the carry index's order).
_PREVIOUS_PAYOUT = """
    SELECT p.{column} FROM payouts p
    WHERE p.merchant_id = {outer}.merchant_id AND p.currency = {outer}.currency
      AND p.run_date {before} :d
    ORDER BY p.run_date DESC LIMIT 1"""


def snapshot_payees(conn: Connection, run_date: date) -> None:
    """Each of the date's payouts keeps its merchant's name and account as they are now:
    the bank file is written from them, so a restore after a merchants.csv re-import
    writes the run's file, not one paying another account under another message id."""
    payee = "SELECT m.{column} FROM merchants m WHERE m.merchant_id = payouts.merchant_id"
    columns = {"payee_name": "name", "iban": "iban", "bic": "bic"}
    assignments = ", ".join(
        f"{mine} = ({payee.format(column=theirs)})" for mine, theirs in columns.items()
    )
    run(conn, f"UPDATE payouts SET {assignments} WHERE run_date = :d", d=run_date)


def carry_debits(conn: Connection, run_date: date) -> None:
    """Each of the date's payouts takes in the debit its merchant's previous payout in the
    currency passed on, and passes on what it does not cover (`netting`'s formulas)."""
    previous = _PREVIOUS_PAYOUT.format(column="carried_out_minor", outer="payouts", before="<")
    run(
        conn,
        f"UPDATE payouts SET carried_in_minor = COALESCE(({previous}), 0) WHERE run_date = :d",
        d=run_date,
    )
    carried_out = expression(netting.CARRIED_OUT_MINOR, _CARRY_COLUMNS)
    run(
        conn,
        f"UPDATE payouts SET carried_out_minor = {carried_out} WHERE run_date = :d",
        d=run_date,
    )


def due_sql() -> str:
    """A payout row's amount due (`netting.DUE_MINOR`) over the payouts columns."""
    return expression(netting.DUE_MINOR, _CARRY_COLUMNS)


def carry_links(conn: Connection, run_date: date) -> list[CarryLink]:
    """For each merchant and currency paid after the date: what its latest payout up to the
    date passes on, and what its first later payout took in. Nothing to read on a run of
    the latest date: the range `run_date > :d` of the primary key is empty."""
    passed = _PREVIOUS_PAYOUT.format(column="carried_out_minor", outer="n", before="<=")
    statement = f"""
    SELECT n.merchant_id, n.currency, COALESCE(({passed}), 0), n.carried_in_minor, n.run_date
    FROM payouts n
    WHERE n.run_date > :d AND n.run_date = (
      SELECT MIN(x.run_date) FROM payouts x
      WHERE x.merchant_id = n.merchant_id AND x.currency = n.currency AND x.run_date > :d)
    ORDER BY n.merchant_id, n.currency"""
    return [
        CarryLink(str(m), str(c), int(out), int(taken), str(day)[:10])
        for m, c, out, taken, day in rows(conn, statement, d=run_date)
    ]


def insert_totals(conn: Connection, run_date: date) -> None:
    """Journal vs staged per terminal and per merchant, with the difference.

    Why in two stages: both sides summed once by (merchant, terminal, currency) into a
    temporary table, then each level summed from it, read the two million-row inputs once
    instead of once a level (1M day on SQLite: 5.5 -> 3.3 s of CPU). Integer sums regroup
    exactly, so the totals are the same. After a failure the table is left to the run's
    rollback, which undoes its creation."""
    name = f"eod_totals_{next(_cursor_numbers)}"
    run(conn, f"CREATE TEMPORARY TABLE {name} (merchant_id TEXT, terminal_id TEXT,"
              " currency TEXT, jm BIGINT, sm BIGINT)")  # fmt: skip
    statement = f"""
    INSERT INTO {name} (merchant_id, terminal_id, currency, jm, sm)
    SELECT merchant_id, terminal_id, currency, SUM(jm), SUM(sm) FROM (
      SELECT merchant_id, terminal_id, currency, 0 AS jm, staged_amount_minor AS sm
      FROM reconciliation_items WHERE run_date = :d AND staged_amount_minor IS NOT NULL
      UNION ALL
      SELECT merchant_id, terminal_id, currency, amount_minor AS jm, 0 AS sm
      FROM journal_entries WHERE business_date = :d
    ) t GROUP BY merchant_id, terminal_id, currency
    """
    run(conn, statement, d=run_date)
    for level, column in (("terminal", "terminal_id"), ("merchant", "merchant_id")):
        statement = f"""
        INSERT INTO reconciliation_totals (run_date, level, key, currency, journal_minor,
                                           staged_minor, difference_minor)
        SELECT :d, '{level}', {column}, currency, SUM(jm), SUM(sm), SUM(jm) - SUM(sm)
        FROM {name} GROUP BY {column}, currency
        """
        run(conn, statement, d=run_date)
    run(conn, f"DROP TABLE {name}")


def int_map(found: list[tuple[Any, ...]]) -> dict[tuple[str, ...], list[int]]:
    """Rows of (keys..., sums...) with `len(keys)` inferred from string columns."""
    result: dict[tuple[str, ...], list[int]] = {}
    for row in found:
        keys = tuple(str(v) for v in row if isinstance(v, str))
        result[keys] = [int(v or 0) for v in row if not isinstance(v, str)]
    return result


def mapping(found: list[tuple[Any, ...]]) -> Mapping[str, int]:
    return {str(key): int(value or 0) for key, value in found}
