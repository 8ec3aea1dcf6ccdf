"""Hostile stored results for a settled day: text a spreadsheet or a CSV reader would trip
on in every text column the report shows, amounts of every ISO 4217 exponent far past 2**53
either way, currency pairs and dates that no generated day has. Used by the report's
differential tests (the CSV writer, the page's tallies)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, select, update

from settlement.adapters.eod_tables import (
    fraud_decisions,
    fraud_flags,
    ledger_entries,
    payouts,
    reconciliation_items,
    settlement_lines,
)
from settlement.adapters.tables import merchants

# Each list is cycled over the rows it changes, so every value lands somewhere.
HOSTILE = [
    '=HYPERLINK("http://evil.example","Click")', "\uff1dfull", 'say "hi", then\nleave', "+1+1",
    "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1+1", "\u00a0@x", "\ufe62small", "a,b", "\n",
    "-12.50", "'=already", "plain",
]  # fmt: skip
AMOUNTS = [0, -1, 99, -(2**62), 2**62 + 7, 123_456_789_012_345, -5]  # 7: prime to 6
CURRENCIES = ["JPY", "KWD", "CLF", "EUR", "USD", "BHD"]


def make_hostile(engine: Engine, day: date) -> None:
    """Hostile text, amounts, currencies and dates over the day's stored results: each
    column on its own rows (a column the writer forgot to check would show alone)."""
    ri, sl, ff, fd, po, le = (
        reconciliation_items, settlement_lines, fraud_flags, fraud_decisions, payouts,
        ledger_entries,
    )  # fmt: skip
    texts = {
        ri: ("terminal_id", "journal_transaction_id", "original_transaction_id",
             "reason_detail", "reason", "match_method", "merchant_id",
             "outcome", "transaction_type"),
        sl: ("rate", "rate_source", "merchant_id", "transaction_type"),
        ff: ("reason", "rule"), fd: ("action",), merchants: ("name",),
        po: ("direction",), le: ("memo", "account"),
    }  # fmt: skip
    keys = {ri: ri.c.transaction_id, sl: sl.c.transaction_id, ff: ff.c.transaction_id,
            fd: fd.c.transaction_id, merchants: merchants.c.merchant_id,
            po: po.c.merchant_id, le: le.c.entry_no}  # fmt: skip
    with engine.begin() as conn:
        for table, columns in texts.items():
            for offset, name in enumerate(columns):
                # In chunks of 7 rows, a chunk holds one column's text at most.
                _cycle(conn, keys[table], 7 * offset + 3, 7 * len(columns),
                       partial(_text_of, name, offset, _width(table.c[name])))  # fmt: skip
        _cycle(conn, ri.c.transaction_id, 0, 3, lambda n: {
            "currency": CURRENCIES[n % len(CURRENCIES)],
            "staged_amount_minor": AMOUNTS[n % len(AMOUNTS)],
            "journal_amount_minor": AMOUNTS[(n + 3) % len(AMOUNTS)],
            "business_date": day - timedelta(days=n % 4),
        })  # fmt: skip
        _cycle(conn, sl.c.transaction_id, 1, 2, lambda n: {
            "rate_date": day - timedelta(days=n % 6),
            "original_currency": CURRENCIES[n % len(CURRENCIES)],
            "settlement_currency": CURRENCIES[(n + 1) % len(CURRENCIES)],
            "original_amount_minor": AMOUNTS[n % len(AMOUNTS)],
            "fee_minor": AMOUNTS[(n + 2) % len(AMOUNTS)],
            "fx_markup_minor": AMOUNTS[(n + 4) % len(AMOUNTS)],
        })  # fmt: skip
        _cycle(conn, po.c.merchant_id, 0, 2, lambda n: {"payout_minor": AMOUNTS[n % 7]})
        _cycle(conn, le.c.entry_no, 0, 1, lambda n: {"debit_minor": AMOUNTS[n % 7]})


def _cycle(conn: Any, key: Any, start: int, every: int, values: Any) -> None:
    """Every `every`-th row of the key's table from the `start`-th (by `key`, the rows
    there are) gets `values(n)`, n counting them."""
    keys = [row[0] for row in conn.execute(select(key).distinct().order_by(key))]
    assert keys, key
    for n, value in enumerate(keys[start % len(keys) :: every]):
        conn.execute(update(key.table).where(key == value).values(**values(n)))


def _text_of(name: str, shift: int, width: int | None, n: int) -> dict[str, str]:
    """The `n`-th hostile text for column `name` (shifted, so columns differ), cut to fit."""
    return {name: HOSTILE[(n + shift) % len(HOSTILE)][:width]}


def _width(column: Any) -> int | None:
    return getattr(column.type, "length", None)  # String(n): n; Text: None
