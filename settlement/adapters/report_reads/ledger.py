"""Payouts, FX, the ledger's trial balance and what the run's invariants are checked on.

The payout identity's reads have one home (`settlement.adapters.books`) and the refund and
void facts theirs (`settlement.adapters.eod_sql`): the run checks them before it commits and
the report re-checks them from the same queries, so the two never disagree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Select, func, select

from settlement.adapters import books, eod_sql
from settlement.adapters.eod_tables import (
    fx_conversions,
    ledger_entries,
    payouts,
    reconciliation_items,
    settlement_lines,
)
from settlement.adapters.report_reads.records import FxRate, MerchantPayout, columns_of
from settlement.adapters.tables import merchants
from settlement.domain.holds import HoldReason
from settlement.domain.ledger import Paid, SettledRefunds, Void
from settlement.domain.recon_classes import Outcome

sl, po, fx, le = settlement_lines, payouts, fx_conversions, ledger_entries
PAYOUT = columns_of(po, MerchantPayout._fields[:-1])  # the last, name, is the merchant's


def payouts_with_names(day: date) -> Select[tuple[object, ...]]:
    """The date's payouts, each with its merchant's name (None: not in the master data)."""
    return (
        select(*PAYOUT, merchants.c.name)
        .select_from(po.outerjoin(merchants, merchants.c.merchant_id == po.c.merchant_id))
        .where(po.c.run_date == day)
    )


class LedgerReads:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def payouts(self, day: date) -> list[MerchantPayout]:
        """By currency, the largest payout first, then by merchant. Fetched all at once:
        iterating the result fetches a row at a time (a 1M day's 49,000 payouts: 0.58 s of
        `fetchone` under the profiler)."""
        query = payouts_with_names(day).order_by(
            po.c.currency, po.c.payout_minor.desc(), po.c.merchant_id
        )
        return list(map(MerchantPayout._make, self._conn.execute(query).all()))

    def fx_rates(self, day: date) -> list[FxRate]:
        """Every rate of the run, by currency pair. The lines converted through each are
        counted by the report as settlement.csv streams them (`reports.tallies`)."""
        query = (
            select(*columns_of(fx, FxRate._fields))
            .where(fx.c.run_date == day)
            .order_by(fx.c.from_currency, fx.c.to_currency)
        )
        return [
            FxRate(r.from_currency, r.to_currency, r.rate, int(r.minor_numerator),
                   int(r.minor_denominator), r.rate_date, r.source)
            for r in self._conn.execute(query)
        ]  # fmt: skip

    def no_rate_holds(self, day: date, limit: int) -> list[tuple[str, int, str]]:
        """(currency, items, detail) of the date's items held `no_rate`, by currency: at
        most a few per currency (one detail a pair), `limit` bounds the report's list."""
        ri = reconciliation_items
        query = (
            select(ri.c.currency, func.count(), func.coalesce(ri.c.reason_detail, ""))
            .where(ri.c.run_date == day, ri.c.outcome == Outcome.HELD.value,
                   ri.c.reason == HoldReason.NO_RATE.value)
            .group_by(ri.c.currency, ri.c.reason_detail)
            .order_by(ri.c.currency, ri.c.reason_detail)
            .limit(limit)
        )  # fmt: skip
        return [(str(c), int(n), str(d)) for c, n, d in self._conn.execute(query)]

    def trial_balance(self, day: date) -> list[tuple[str, str, int, int]]:
        """(currency, account, debits, credits) of the date's ledger, in that order."""
        query = (
            select(le.c.currency, le.c.account, func.sum(le.c.debit_minor),
                   func.sum(le.c.credit_minor))
            .where(le.c.run_date == day)
            .group_by(le.c.currency, le.c.account)
            .order_by(le.c.currency, le.c.account)
        )  # fmt: skip
        return [(str(c), str(a), int(d), int(k)) for c, a, d, k in self._conn.execute(query)]

    def settlement_line_count(self, day: date) -> int:
        query = select(func.count()).select_from(sl).where(sl.c.run_date == day)
        return int(self._conn.execute(query).scalar_one())

    def paid_out(self, day: date) -> dict[str, Paid]:
        return books.paid_out(self._conn, day)

    def settled_refunds(self, day: date) -> list[SettledRefunds]:
        return eod_sql.settled_refunds(self._conn, day)

    def voids(self, day: date) -> tuple[list[Void], list[tuple[str, str]]]:
        return eod_sql.voids(self._conn, day)
