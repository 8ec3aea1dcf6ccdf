"""The currency pairs the run needs rates for (`eod_sql.currency_pairs`), on both backends:
each transaction currency with each settlement currency its settling items' merchants take,
and the largest amount among them. SQLite groups the items by merchant before it joins the
merchants (1.8-1.9 -> 1.05-1.1 s on a 1M day); the pairs must be those of the join itself."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, insert

from settlement.adapters import eod_sql
from settlement.adapters.eod_tables import reconciliation_items as items
from settlement.adapters.tables import merchants

DAY = date(2026, 3, 11)

# (merchant, settlement currency); M-GONE settles items but is not among the merchants
MERCHANTS = [("M-EUR", "EUR"), ("M-USD", "USD"), ("M-EUR-2", "EUR")]
# (run date, transaction id, merchant, currency, amount, outcome)
Item = tuple[date, str, str, str, int, str]
ITEMS: list[Item] = [
    (DAY, "T1", "M-EUR", "EUR", 300, "settled"),
    (DAY, "T2", "M-EUR", "EUR", 100, "settled"),
    (DAY, "T3", "M-EUR-2", "EUR", 250, "settled"),
    (DAY, "T4", "M-USD", "EUR", 500, "settled"),  # EUR paid out in USD: a pair of its own
    (DAY, "T5", "M-USD", "USD", 200, "settled"),
    (DAY, "T6", "M-EUR", "GBP", 40, "settled"),  # one merchant, a second currency
    (DAY, "T7", "M-GONE", "GBP", 700, "settled"),  # no merchant: no settlement currency
    (DAY, "T8", "M-GONE", "GBP", 50, "settled"),
    (DAY, "T9", "M-EUR", "EUR", 9_999, "held"),  # not settling
    (DAY, "T10", "M-USD", "JPY", 9_999, "exception"),
    (date(2026, 3, 10), "T1", "M-EUR", "EUR", 9_999, "settled"),  # another date
]
EXPECTED = [
    ("EUR", "EUR", 300),
    ("EUR", "USD", 500),
    ("GBP", None, 700),
    ("GBP", "EUR", 40),
    ("USD", "USD", 200),
]


def _merchant(merchant_id: str, currency: str) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id, "name": merchant_id, "mcc": "5411", "country": "DE",
        "city": "Berlin", "timezone": "Europe/Berlin", "settlement_currency": currency,
        "mdr_bps": 150, "fee_fixed_minor": 10,
    }  # fmt: skip


def _item(row: Item) -> dict[str, Any]:
    run_date, tid, merchant, currency, amount, outcome = row
    return {
        "run_date": run_date, "transaction_id": tid, "business_date": run_date,
        "merchant_id": merchant, "terminal_id": "T1", "transaction_type": "purchase",
        "currency": currency, "staged_amount_minor": amount, "journal_amount_minor": amount,
        "recon_class": "matched", "outcome": outcome,
    }  # fmt: skip


def test_each_currency_with_each_settlement_currency_and_its_largest_amount(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(merchants), [_merchant(*row) for row in MERCHANTS])
        conn.execute(insert(items), [_item(row) for row in ITEMS])
    with engine.connect() as conn:
        pairs = eod_sql.currency_pairs(conn, DAY)
    assert sorted(pairs, key=lambda pair: (pair[0], pair[1] or "")) == EXPECTED  # None first
