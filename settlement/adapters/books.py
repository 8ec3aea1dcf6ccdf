"""Reads of a run's books that the end of day checks and the report shows alike.

One home for the payout identity's reads: the run checks it before committing and the
report shows it afterwards, from the same two queries, so the two can never disagree on
what "purchases - refunds - debits carried in + debits carried out = amounts due + fees +
FX markup" sums.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, literal_column, select

from settlement.adapters.eod_sql import due_sql, rows, through_primary_key
from settlement.adapters.eod_tables import payouts, settlement_lines
from settlement.domain.ledger import CarriedFlow, Paid, SettledFlow
from settlement.domain.transactions import TransactionType

sl, po = settlement_lines, payouts


def settled_flows(conn: Connection, run_date: date) -> list[SettledFlow]:
    """Settlement lines summed per (type, original currency, settlement currency): one scan
    feeds the postings, the settled side of conservation and the payout identity (three
    scans of a million lines cost ~15 s on SQLite). Ordered, because the postings are
    numbered in this order and a re-run must number them the same whatever the plan.
    Text SQL, because the scan names its index on SQLite (`eod_sql.through_primary_key`)."""
    keys = "transaction_type, original_currency, settlement_currency"
    lines = through_primary_key(conn, "settlement_lines")
    found = rows(
        conn,
        f"SELECT {keys}, SUM(original_amount_minor), SUM(converted_amount_minor),"
        f" SUM(fee_minor), SUM(fx_markup_minor) FROM {lines}"
        f" WHERE run_date = :d GROUP BY {keys} ORDER BY {keys}",
        d=run_date,
    )
    return [
        SettledFlow(TransactionType(kind), str(src), str(dst), int(a), int(b), int(c), int(d))
        for kind, src, dst, a, b, c, d in found
    ]


def paid_out(conn: Connection, run_date: date) -> dict[str, Paid]:
    """(amounts due, fees, fx markup, debits carried in, debits carried out) summed over the
    payout rows, per settlement currency; the amount due by `netting.DUE_MINOR`."""
    query = (
        select(
            po.c.currency,
            func.sum(literal_column(due_sql())),
            func.sum(po.c.fees_minor),
            func.sum(po.c.fx_markup_minor),
            func.sum(po.c.carried_in_minor),
            func.sum(po.c.carried_out_minor),
        )
        .where(po.c.run_date == run_date)
        .group_by(po.c.currency)
    )
    return {
        str(c): (int(a), int(b), int(m), int(i), int(o)) for c, a, b, m, i, o in conn.execute(query)
    }


def carried_flows(conn: Connection, run_date: date) -> list[CarriedFlow]:
    """Debits the date's payouts took in and passed on, per currency (the ledger's carry
    postings, numbered in this order)."""
    query = (
        select(po.c.currency, func.sum(po.c.carried_in_minor), func.sum(po.c.carried_out_minor))
        .where(po.c.run_date == run_date)
        .group_by(po.c.currency)
        .order_by(po.c.currency)
    )
    return [CarriedFlow(str(c), int(i), int(o)) for c, i, o in conn.execute(query)]
