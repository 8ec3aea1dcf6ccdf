"""The end of day's SQL store: `settlement.eod.store.EodStore` over one database transaction.

It calls the set-based statements of `eod_sql` and the books' reads of `books`, and holds
the few statements the run needed beside them (scope, reset, holds, ageing, counts, the
fraud screen's reads). Literals come from the domain's enums.

The fraud screen's reads bypass SQLAlchemy's result processing (`eod_sql.stream`): over a
million purchases read twice (by card, by terminal), per-row Python work was most of the
run. They first carry only the columns the pre-filter needs (`Narrowing`); only the groups
it cannot rule out are re-read whole, by primary key, and built into `StagedTransaction`s.
The terminal pass finds its few burst candidates in SQL (`eod_sql.burst_terminals`) rather
than stream every purchase out by terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime
from fractions import Fraction
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from settlement.adapters import books, eod_sql, run_guard
from settlement.adapters.bulk import bulk_insert, sqlite_value
from settlement.adapters.eod_tables import (
    OPEN_ITEM_SQL,
    RESULT_TABLES,
    fraud_decisions,
    fraud_flags,
    fx_conversions,
    ledger_entries,
    payouts,
)
from settlement.adapters.purchase_rows import DAY, FIELDS, ID, Narrowing, Raw, builder, time_parser
from settlement.adapters.rates import (
    History,
    StoredRates,
    ecb_currencies,
    ecb_history,
    imported_histories,
)
from settlement.adapters.sql_render import literal
from settlement.domain.calendar import business_days_between
from settlement.domain.fraud import FraudDecision, FraudFlag
from settlement.domain.fx import CrossRate
from settlement.domain.ledger import (
    CarriedFlow,
    CarryLink,
    Paid,
    Posting,
    SettledFlow,
    SettledRefunds,
    SuspenseFlow,
    Void,
)
from settlement.domain.netting import PayoutDirection
from settlement.domain.recon_classes import Outcome
from settlement.domain.reconciliation import Tolerance
from settlement.domain.run_scope import Scope
from settlement.domain.transactions import StagedTransaction, TransactionType

CANDIDATE_ROWS = 2000  # whole rows are re-read by primary key in batches of about this many
CANDIDATE_TERMINALS = 500  # more burst candidates than this: joined as a table of their ids

_PURCHASE = f"transaction_type = '{TransactionType.PURCHASE}'"
_OPEN = OPEN_ITEM_SQL  # as written in the open items' partial index, which SQLite needs
_SETTLING = f"outcome = '{Outcome.SETTLED}'"
Span = tuple[date, date]


@contextmanager
def run_transaction(engine: Engine) -> Iterator[SqlEodStore]:
    """A store over one new transaction, committed when the block ends without error."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        # One snapshot for every statement, so conservation compares like with like.
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    with conn, conn.begin():
        yield SqlEodStore(conn)


_SNAPSHOT_ID = re.compile(r"[0-9A-F]{1,16}(?:-[0-9A-F]{1,16}){1,2}")


@contextmanager
def snapshot_store(engine: Engine, snapshot: str | None) -> Iterator[SqlEodStore]:
    """A store over a read-only transaction that sees what a running end of day sees, for a
    second process that screens its purchases (`settlement.eod.fraud_aside`).

    PostgreSQL: the run's exported snapshot (`SqlEodStore.exported_snapshot`), imported
    first thing in a REPEATABLE READ transaction. SQLite (`snapshot` None): what is
    committed. The run holds SQLite's write lock from its first statement (its reset) to
    its commit, so nothing is committed in between, and the run does not write the staged
    purchases, the rates or the merchants this store reads; if the run fails and lets the
    lock go, what this process read is thrown away with it."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    with conn, conn.begin() as transaction:
        if snapshot is not None:
            if not _SNAPSHOT_ID.fullmatch(snapshot):  # inlined: SET takes no parameters
                raise ValueError(f"not an exported snapshot id: {snapshot[:40]!r}")
            conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        yield SqlEodStore(conn)
        transaction.rollback()  # it wrote nothing; nothing to commit


def read_payouts(engine: Engine, run_date: date) -> list[Any]:
    """The date's committed payout rows, by merchant and currency (the payout file's lines),
    each with its merchant's name, iban and bic as the run found them (None for a merchant
    it did not know), not as merchants.csv holds them now (`eod_sql.snapshot_payees`)."""
    query = (
        select(payouts, payouts.c.payee_name.label("name"))
        .where(payouts.c.run_date == run_date)
        .order_by(payouts.c.merchant_id, payouts.c.currency)
    )
    with engine.connect() as conn:
        return list(conn.execute(query))


class SqlEodStore:
    """`EodStore` on the run's connection `conn` (tests' step hooks receive it)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- the run's own results -----------------------------------------------------------
    def reset(self, run_date: date) -> None:
        eod_sql.delete_results(self.conn, run_date, [table.name for table in RESULT_TABLES])
        eod_sql.run(
            self.conn,
            "UPDATE reconciliation_items SET resolved_on = NULL WHERE resolved_on = :d",
            d=run_date,
        )

    def scope(self, run_date: date, cutoff_utc: datetime, lookback_start: date) -> Scope:
        later = eod_sql.rows(
            self.conn, "SELECT COUNT(*) FROM eod_runs WHERE business_date > :d", d=run_date
        )
        return Scope(run_date, cutoff_utc, lookback_start, int(later[0][0]) > 0)

    def reconcile(self, scope: Scope, tolerance: Tolerance) -> None:
        conn, day = self.conn, scope.run_date
        # A day loaded just before the cutoff may not be analyzed yet: the burst query's
        # self-join was then planned as a nested loop (44,000 buckets squared, minutes at 100k).
        eod_sql.refresh_statistics(conn, "staged_transactions", "journal_entries")
        eod_sql.classify_staged(conn, scope)
        eod_sql.classify_journal_only(conn, day)
        eod_sql.refresh_statistics(conn, "reconciliation_items")
        pairs = eod_sql.tolerant_pairs(conn, day, tolerance.amount_minor, tolerance.window_s)
        eod_sql.apply_tolerant_pairs(conn, day, pairs)
        eod_sql.pair_reversals(conn, day)
        eod_sql.judge_refunds(conn, day)

    # --- fraud screen --------------------------------------------------------------------
    def purchase_groups(
        self, key: str, span: Span, narrowing: Narrowing | None
    ) -> Iterator[list[StagedTransaction]]:
        build, index = builder(self._dialect), FIELDS.index(key)
        if narrowing is None:
            for raw, _ in _today_groups(self._purchases(key, span, None), index, self._day(span)):
                yield [build(row) for row in raw]
            return
        for ids in self._candidates(key, span, narrowing):
            for _, rows in groupby(self._whole_rows(key, ids), key=lambda row: row[index]):
                yield [build(row) for row in rows]

    def burst_groups(
        self, span: Span, window_s: int, max_count: int
    ) -> Iterator[list[StagedTransaction]]:
        """Why: on a normal day a few thousand of a million purchases' terminals can burst,
        and finding them in SQL spares streaming every purchase out sorted by terminal (no
        index has that order). Candidates are read back by terminal id, bound as parameters,
        or when there are many, joined as a temporary table of their ids (a 1M day's 1,876
        candidates: 0.9 s of CPU, where sorting and streaming the whole span to keep theirs
        took 4.0 s)."""
        candidates = eod_sql.burst_terminals(self.conn, span, window_s, max_count)
        if not candidates:
            return
        if len(candidates) <= CANDIDATE_TERMINALS:
            params = {f"t{i}": terminal for i, terminal in enumerate(candidates)}
            yield from self._terminal_groups(
                span, f"({', '.join(f':{p}' for p in params)})", params
            )
            return
        with eod_sql.id_table(self.conn, candidates) as wanted:
            yield from self._terminal_groups(span, f"(SELECT transaction_id FROM {wanted})", {})

    def groups_holding(
        self, key: str, span: Span, ids: Sequence[str]
    ) -> Iterator[list[StagedTransaction]]:
        """Why: the labelled fraud is ~1 % of a day, in a few thousand cards and terminals;
        finding their groups through a table of the ids reads those groups alone, where
        sorting every purchase of the span by card and by terminal read them all."""
        build, index = builder(self._dialect), FIELDS.index(key)
        with eod_sql.id_table(self.conn, ids) as wanted:
            statement = (
                f"SELECT {_projection(None)} FROM staged_transactions"
                f" WHERE business_date BETWEEN :start AND :end AND {_PURCHASE}"
                f" AND {key} IN (SELECT {key} FROM staged_transactions WHERE business_date = :end"
                f" AND {_PURCHASE} AND transaction_id IN (SELECT transaction_id FROM {wanted}))"
                f" ORDER BY {key}, transacted_at, transaction_id"
            )
            rows = eod_sql.stream(self.conn, statement, {"start": span[0], "end": span[1]})
            with closing(rows):  # its cursor ends before the table is dropped
                for _, grouped in groupby(rows, key=lambda row: row[index]):
                    yield [build(row) for row in grouped]

    def record_fraud(
        self, run_date: date, flags: list[FraudFlag], decisions: Mapping[str, FraudDecision]
    ) -> None:
        bulk_insert(
            self.conn,
            fraud_flags,
            ["run_date", "transaction_id", "rule", "score", "reason"],
            ((run_date, f.transaction_id, f.rule, f.score, f.reason) for f in flags),
        )
        bulk_insert(
            self.conn,
            fraud_decisions,
            ["run_date", "transaction_id", "action", "score", "reasons"],
            (
                (run_date, d.transaction_id, str(d.action), d.score, ",".join(d.reasons))
                for d in decisions.values()
            ),
        )
        eod_sql.refresh_statistics(self.conn, "fraud_decisions")

    def hold_decided(self, run_date: date, action: str, reason: str) -> int:
        return eod_sql.hold(
            self.conn, run_date, "transaction_id IN (SELECT transaction_id FROM fraud_decisions"
            " WHERE run_date = :d AND action = :action)", reason, action=action, by_id=True,
        )  # fmt: skip

    def exported_snapshot(self) -> str | None:
        if self._dialect != "postgresql":
            return None  # SQLite: the run's write lock keeps what is committed the run's view
        return str(eod_sql.rows(self.conn, "SELECT pg_export_snapshot()")[0][0])

    def purchases_at_least(self, run_date: date, count: int) -> bool:
        statement = (
            f"SELECT 1 FROM staged_transactions WHERE business_date = :d AND {_PURCHASE}"
            " LIMIT 1 OFFSET :skip"
        )
        return bool(eod_sql.rows(self.conn, statement, d=run_date, skip=max(count - 1, 0)))

    def purchase_ids(self, run_date: date) -> Iterable[str]:
        statement = (
            f"SELECT transaction_id FROM staged_transactions WHERE business_date = :d"
            f" AND {_PURCHASE}"
        )
        for row in eod_sql.stream(self.conn, statement, {"d": run_date}):
            yield row[0]

    def purchases_by_id(self, run_date: date, ids: Sequence[str]) -> Iterator[StagedTransaction]:
        build = builder(self._dialect)
        for start in range(0, len(ids), CANDIDATE_ROWS):
            for row in self._whole_rows(
                "transaction_id", list(ids[start : start + CANDIDATE_ROWS])
            ):
                tx = build(row)
                if tx.business_date == run_date and tx.transaction_type is TransactionType.PURCHASE:
                    yield tx

    # --- FX ------------------------------------------------------------------------------
    def imported_rates(self, until: date) -> dict[str, StoredRates]:
        return imported_histories(self.conn, None, until)

    def published_rates(self, currency: str) -> History:
        return ecb_history(currency)

    def published_currencies(self) -> tuple[str, ...]:
        return ecb_currencies()

    def currency_pairs(self, run_date: date) -> list[tuple[str, str | None, int]]:
        return eod_sql.currency_pairs(self.conn, run_date)

    def hold_unknown_merchant(self, run_date: date, currency: str, reason: str) -> int:
        return eod_sql.hold(
            self.conn, run_date, "currency = :c AND merchant_id NOT IN "
            "(SELECT merchant_id FROM merchants)", reason, c=currency,
        )  # fmt: skip

    def hold_no_rate(
        self, run_date: date, currency: str, settlement_currency: str, reason: str, detail: str
    ) -> int:
        return eod_sql.hold(
            self.conn, run_date, "currency = :c AND merchant_id IN (SELECT merchant_id FROM"
            " merchants WHERE settlement_currency = :s)", reason, detail, c=currency,
            s=settlement_currency,
        )  # fmt: skip

    def record_rate(self, run_date: date, rate: CrossRate, minor_rate: Fraction) -> None:
        self.conn.execute(
            insert(fx_conversions).values(
                run_date=run_date, from_currency=rate.from_currency,
                to_currency=rate.to_currency, rate=rate.text,
                minor_numerator=minor_rate.numerator, minor_denominator=minor_rate.denominator,
                rate_date=rate.rate_date, source=rate.source,
            )
        )  # fmt: skip

    # --- settle --------------------------------------------------------------------------
    def settle(self, run_date: date, fx_markup_bps: int) -> None:
        eod_sql.insert_settlement_lines(self.conn, run_date, fx_markup_bps)
        eod_sql.refresh_statistics(self.conn, "settlement_lines")
        eod_sql.insert_payouts(self.conn, run_date)
        eod_sql.snapshot_payees(self.conn, run_date)
        eod_sql.carry_debits(self.conn, run_date)
        eod_sql.insert_totals(self.conn, run_date)

    # --- the ledger and its checks -------------------------------------------------------
    def settled_flows(self, run_date: date) -> list[SettledFlow]:
        return books.settled_flows(self.conn, run_date)

    def paid_out(self, run_date: date) -> dict[str, Paid]:
        return books.paid_out(self.conn, run_date)

    def carried_flows(self, run_date: date) -> list[CarriedFlow]:
        return books.carried_flows(self.conn, run_date)

    def carry_links(self, run_date: date) -> list[CarryLink]:
        return eod_sql.carry_links(self.conn, run_date)

    def parked_flows(self, run_date: date) -> list[SuspenseFlow]:
        found = eod_sql.rows(
            self.conn,
            "SELECT outcome, transaction_type, currency, SUM(staged_amount_minor)"
            " FROM reconciliation_items WHERE run_date = :d AND staged_amount_minor IS NOT NULL"
            f" AND outcome IN ('{Outcome.HELD}', '{Outcome.EXCEPTION}')"
            " GROUP BY outcome, transaction_type, currency"
            " ORDER BY outcome, transaction_type, currency",  # entry_no follows this order
            d=run_date,
        )
        return [
            SuspenseFlow(outcome, TransactionType(kind), currency, int(total))
            for outcome, kind, currency, total in found
        ]

    def staged_by_currency(self, scope: Scope) -> dict[str, int]:
        found = eod_sql.rows(
            self.conn,
            f"WITH {eod_sql.scope_cte(scope)} SELECT currency, SUM(amount_minor) FROM scope"
            " GROUP BY currency",
            **eod_sql.scope_params(scope),
        )
        return {str(currency): int(total) for currency, total in found}

    def unsettled_by_currency(self, run_date: date) -> list[tuple[str, str, int]]:
        found = eod_sql.rows(
            self.conn,
            "SELECT currency, outcome, SUM(staged_amount_minor) FROM reconciliation_items"
            " WHERE run_date = :d AND staged_amount_minor IS NOT NULL"
            f" AND outcome <> '{Outcome.SETTLED}' GROUP BY currency, outcome",
            d=run_date,
        )
        return [(str(currency), str(outcome), int(total)) for currency, outcome, total in found]

    def settled_refunds(self, run_date: date) -> list[SettledRefunds]:
        return eod_sql.settled_refunds(self.conn, run_date)

    def voids(self, run_date: date) -> tuple[list[Void], list[tuple[str, str]]]:
        return eod_sql.voids(self.conn, run_date)

    def write_ledger(self, run_date: date, postings: list[Posting]) -> None:
        bulk_insert(
            self.conn,
            ledger_entries,
            ["run_date", "entry_no", "account", "currency", "debit_minor", "credit_minor", "memo"],
            (
                (run_date, number, str(p.account), p.currency, p.debit_minor, p.credit_minor,
                 p.memo[:80])
                for number, p in enumerate(postings, start=1)
            ),
        )  # fmt: skip

    # --- closing -------------------------------------------------------------------------
    def age_open_items(self, run_date: date) -> None:
        # From the earlier dates' open never-staged items (the open items' index, migration
        # 0011), each looking its transaction up among today's items by primary key. With
        # `transaction_id IN (today's staged items)` SQLite probed the earlier items once for
        # each of a 1M day's ~995,000 (1.46-1.48 s with none open; 0.10-0.16 s this way with
        # five earlier days of open items, 9,705 of them resolved).
        eod_sql.run(
            self.conn,
            f"UPDATE reconciliation_items SET resolved_on = :d WHERE run_date < :d AND {_OPEN}"
            f" AND outcome = '{Outcome.NOT_STAGED}' AND EXISTS (SELECT 1 FROM"
            " reconciliation_items today WHERE today.run_date = :d"
            " AND today.transaction_id = reconciliation_items.transaction_id"
            " AND today.staged_amount_minor IS NOT NULL)",
            d=run_date,
        )
        dates = eod_sql.rows(
            self.conn,
            "SELECT DISTINCT business_date FROM reconciliation_items"
            f" WHERE run_date <= :d AND {_OPEN}",
            d=run_date,
        )
        for (business_date,) in dates:
            opened = (
                business_date
                if isinstance(business_date, date)
                else date.fromisoformat(business_date)
            )
            eod_sql.run(
                self.conn,
                "UPDATE reconciliation_items SET age_business_days = :age"
                f" WHERE run_date <= :d AND business_date = :bd AND {_OPEN}",
                d=run_date,
                bd=opened,
                age=business_days_between(opened, run_date),
            )

    def counts(self, run_date: date) -> dict[str, Any]:
        conn = self.conn
        # One scan of the date's million items for both tallies (two took 1.2 s on a 1M day)
        found = eod_sql.rows(
            conn,
            "SELECT recon_class, outcome, reason, COUNT(*) FROM reconciliation_items"
            " WHERE run_date = :d GROUP BY recon_class, outcome, reason",
            d=run_date,
        )
        classes: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        settled = {Outcome.HELD, Outcome.SETTLED, Outcome.REVERSED}
        for recon_class, outcome, reason, count in found:
            classes[str(recon_class)] += int(count)
            if outcome in settled:
                outcomes[str(reason if reason is not None else outcome)] += int(count)
        lines = eod_sql.rows(
            conn, "SELECT COUNT(*) FROM settlement_lines WHERE run_date = :d", d=run_date
        )
        paid = eod_sql.rows(conn, "SELECT COUNT(*) FROM payouts WHERE run_date = :d", d=run_date)
        return {
            "classes": dict(sorted(classes.items())),
            "outcomes": dict(sorted(outcomes.items())),
            "settlement_lines": int(lines[0][0]),
            "payouts": int(paid[0][0]),
        }

    def payout_totals(self, run_date: date) -> dict[str, dict[str, int]]:
        found = eod_sql.rows(
            self.conn,
            "SELECT currency, SUM(payout_minor), SUM(fees_minor), SUM(fx_markup_minor),"
            f" SUM(CASE WHEN direction = {literal(PayoutDirection.DEBIT)} THEN 1 ELSE 0 END),"
            " SUM(carried_in_minor), SUM(carried_out_minor)"
            " FROM payouts WHERE run_date = :d GROUP BY currency ORDER BY currency",
            d=run_date,
        )
        return {
            str(c): {"payout_minor": int(p), "fees_minor": int(f), "fx_markup_minor": int(m),
                     "merchant_debits": int(n), "carried_in_minor": int(i),
                     "carried_out_minor": int(o)}
            for c, p, f, m, n, i, o in found
        }  # fmt: skip

    def complete(self, run_date: date, run_id: str, now: datetime, summary: dict[str, Any]) -> bool:
        done = self.conn.execute(run_guard.completion(run_date, run_id, now, summary))
        return done.rowcount == 1

    # --- the fraud screen's reads --------------------------------------------------------
    @property
    def _dialect(self) -> str:
        return self.conn.dialect.name

    def _day(self, span: Span) -> object:
        """The span's last date as the driver returns it (SQLite: ISO text)."""
        return sqlite_value(span[1]) if self._dialect == "sqlite" else span[1]

    def _purchases(self, key: str, span: Span, columns: frozenset[str] | None) -> Iterator[Raw]:
        """Raw purchases of [start, end] ordered by (`key`, time); only keys with a purchase
        on `end` when there is any history at all (the others are never screened)."""
        start, end = span
        where = f"business_date BETWEEN :start AND :end AND {_PURCHASE}"
        if start < end and eod_sql.rows(
            self.conn,
            "SELECT 1 FROM staged_transactions WHERE business_date >= :start"
            f" AND business_date < :end AND {_PURCHASE} LIMIT 1",
            start=start,
            end=end,
        ):
            where += (
                f" AND {key} IN (SELECT {key} FROM staged_transactions"
                f" WHERE business_date = :end AND {_PURCHASE})"
            )
        statement = (
            f"SELECT {_projection(columns)} FROM staged_transactions WHERE {where}"
            f" ORDER BY {key}, transacted_at, transaction_id"
        )
        return eod_sql.stream(self.conn, statement, {"start": start, "end": end})

    def _whole_rows(self, key: str, ids: list[str]) -> Iterator[Raw]:
        """Every column of the purchases `ids` (by primary key), in the screen's order."""
        marks = ", ".join(f":t{i}" for i in range(len(ids)))
        statement = (
            f"SELECT {_projection(None)} FROM staged_transactions WHERE transaction_id IN"
            f" ({marks}) ORDER BY {key}, transacted_at, transaction_id"
        )
        return eod_sql.stream(self.conn, statement, {f"t{i}": tid for i, tid in enumerate(ids)})

    def _terminal_groups(
        self, span: Span, among: str, params: Mapping[str, Any]
    ) -> Iterator[list[StagedTransaction]]:
        """The span's purchases at the terminals `among` (an SQL list of bound ids, or a
        subquery of an `id_table`), a terminal's a group: those with a purchase on the
        span's last day (the run's day)."""
        statement = (
            f"SELECT {_projection(None)} FROM staged_transactions"
            f" WHERE business_date BETWEEN :start AND :end AND {_PURCHASE}"
            f" AND terminal_id IN {among} ORDER BY terminal_id, transacted_at, transaction_id"
        )
        build, index = builder(self._dialect), FIELDS.index("terminal_id")
        rows = eod_sql.stream(self.conn, statement, {"start": span[0], "end": span[1], **params})
        with closing(rows):  # its cursor ends before an id table is dropped
            for raw, _ in _today_groups(rows, index, self._day(span)):
                yield [build(row) for row in raw]

    def _candidates(self, key: str, span: Span, narrowing: Narrowing) -> Iterator[list[str]]:
        """Ids of the groups `narrowing` cannot rule out, whole groups, about CANDIDATE_ROWS
        a batch."""
        parse_time = time_parser(self._dialect)
        narrow = self._purchases(key, span, narrowing.columns | {key})
        batch: list[str] = []
        for raw, is_today in _today_groups(narrow, FIELDS.index(key), self._day(span)):
            if narrowing.may_hit(raw, is_today, parse_time):
                batch.extend(row[ID] for row in raw)
                if len(batch) >= CANDIDATE_ROWS:
                    yield batch
                    batch = []
        if batch:
            yield batch


def _projection(columns: frozenset[str] | None) -> str:
    """FIELDS in order; NULL for a column not in `columns` (None: every column)."""
    return ", ".join(n if columns is None or n in columns else "NULL" for n in FIELDS)


def _today_groups(
    rows: Iterable[Raw], index: int, today: object
) -> Iterator[tuple[list[Raw], list[bool]]]:
    for _, grouped in groupby(rows, key=lambda row: row[index]):
        raw = list(grouped)
        is_today = [row[DAY] == today for row in raw]
        if any(is_today):
            yield raw, is_today
