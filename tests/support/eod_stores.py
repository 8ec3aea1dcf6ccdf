"""The two end-of-day stores side by side: a memory store loaded with a database's input,
and each store's results in one shape (the result tables' rows, sorted) to compare."""

from __future__ import annotations

from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from settlement.adapters.eod_memory import MemoryEodStore, StagedRow
from settlement.adapters.eod_tables import (
    fraud_decisions,
    fraud_flags,
    fx_conversions,
    fx_rates,
    journal_entries,
    ledger_entries,
    payouts,
    reconciliation_items,
    reconciliation_totals,
    settlement_lines,
)
from settlement.adapters.tables import merchants, staged_transactions
from settlement.domain.money import Money
from settlement.domain.netting import MerchantTerms
from settlement.domain.reconciliation import JournalEntry
from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType

Tables = dict[str, list[tuple[Any, ...]]]
_FIELDS = StagedTransaction.__dataclass_fields__


def memory_store_of(engine: Engine) -> MemoryEodStore:
    """A memory store holding what `engine`'s database holds as input (no results)."""
    with engine.connect() as conn:
        staged = [_staged(r) for r in conn.execute(select(staged_transactions))]
        journal = [_journal(r) for r in conn.execute(select(journal_entries))]
        terms = [
            MerchantTerms(r.merchant_id, r.settlement_currency, r.mdr_bps, r.fee_fixed_minor)
            for r in conn.execute(select(merchants))
        ]
        rates: dict[str, list[tuple[date, Decimal, str]]] = {}
        for r in conn.execute(select(fx_rates)):
            rates.setdefault(r.currency, []).append(
                (r.rate_date, Decimal(r.units_per_eur), r.source)
            )
    return MemoryEodStore(staged, journal, terms, rates)


def _staged(row: Any) -> StagedRow:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["transaction_type"] = TransactionType(values["transaction_type"])
    values["entry_mode"] = EntryMode(values["entry_mode"])
    return StagedRow(StagedTransaction(**values), row.sent_at)


def _journal(row: Any) -> JournalEntry:
    zone = timezone(timedelta(minutes=row.utc_offset_min))
    return JournalEntry(
        row.transaction_id, row.terminal_id, row.merchant_id,
        TransactionType(row.transaction_type), Money(row.amount_minor, row.currency),
        row.local_time.replace(tzinfo=zone), row.card_last4, row.original_transaction_id,
        row.business_date,
    )  # fmt: skip


_COMPARED = {
    "reconciliation_items": reconciliation_items,
    "settlement_lines": settlement_lines,
    "payouts": payouts,
    "ledger_entries": ledger_entries,
    "fraud_flags": fraud_flags,
    "fraud_decisions": fraud_decisions,
    "fx_conversions": fx_conversions,
    "reconciliation_totals": reconciliation_totals,
}
_RATE_COLUMNS = ("run_date", "from_currency", "to_currency", "rate", "rate_date", "source")
# The payee a payout row keeps for the bank file: master data copied by the SQL store, not a
# settlement result (the memory store has no bank file).
_PAYEE_COLUMNS = ("payee_name", "iban", "bic")


def _compared(name: str, column: Any) -> bool:
    if name == "fx_conversions":
        return column.name in _RATE_COLUMNS
    return name != "payouts" or column.name not in _PAYEE_COLUMNS


def sql_tables(engine: Engine) -> Tables:
    """Every result row of the database, per table, sorted."""
    found: Tables = {}
    with engine.connect() as conn:
        for name, table in _COMPARED.items():
            columns = [c for c in table.c if _compared(name, c)]
            found[name] = sorted(tuple(row) for row in conn.execute(select(*columns)))
    return found


def memory_tables(store: MemoryEodStore) -> Tables:
    """The memory store's results in the shape of `sql_tables`."""
    found: Tables = {name: [] for name in _COMPARED}
    for day, r in store.results.items():
        found["reconciliation_items"] += [
            (day, i.transaction_id, i.journal_transaction_id, i.business_date, i.merchant_id,
             i.terminal_id, str(i.transaction_type), i.original_transaction_id, i.currency,
             i.staged_amount_minor, i.journal_amount_minor, str(i.recon_class), i.match_method,
             str(i.outcome), i.reason, i.age_business_days, i.resolved_on, i.reason_detail)
            for i in r.items.values()
        ]  # fmt: skip
        found["settlement_lines"] += [
            (day, x.transaction_id, x.merchant_id, str(x.transaction_type),
             x.original.amount_minor, x.original.currency, x.converted.currency,
             x.converted.amount_minor, x.fee.amount_minor, x.fx_markup.amount_minor,
             x.rate.text, x.rate.rate_date, x.rate.source)
            for x in r.lines
        ]  # fmt: skip
        found["payouts"] += [
            (day, m, c, p.purchases_minor, p.refunds_minor, p.fees_minor, p.fx_markup_minor,
             p.payout_minor, "debit" if p.is_debit else "credit", p.line_count,
             p.carried_in_minor, p.carried_out_minor)
            for (m, c), p in r.payouts.items()
        ]  # fmt: skip
        found["ledger_entries"] += [
            (day, n, str(p.account), p.currency, p.debit_minor, p.credit_minor, p.memo[:80])
            for n, p in enumerate(r.ledger, start=1)
        ]
        found["fraud_flags"] += [
            (day, f.transaction_id, f.rule, f.score, f.reason) for f in r.flags
        ]
        found["fraud_decisions"] += [
            (day, d.transaction_id, str(d.action), d.score, ",".join(d.reasons))
            for d in r.decisions.values()
        ]
        found["fx_conversions"] += [
            (day, x.from_currency, x.to_currency, x.text, x.rate_date, x.source)
            for x in r.rates.values()
        ]
        found["reconciliation_totals"] += [(day, *t) for t in r.totals]
    return {name: sorted(rows) for name, rows in found.items()}  # keys first: never a None
