"""End-of-day tables: the journal, imported rates, runs and every result a run writes.

Results are keyed by `run_date` (the business date of the run that produced them), so a
re-run replaces one date's rows in one transaction and a date can never hold two payouts.
Staged rows stay immutable: what happened to a transaction is its reconciliation item.
They share `metadata` with the staging tables, so Alembic sees one schema (`schema`).
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from settlement.adapters.sql_render import literal
from settlement.adapters.tables import metadata
from settlement.domain.recon_classes import OPEN_OUTCOMES
from settlement.domain.run_status import RunStatus

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("transaction_id", String(64), primary_key=True),
    Column("terminal_id", String(32), nullable=False),
    Column("merchant_id", String(32), nullable=False),
    Column("transaction_type", String(8), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("local_time", DateTime(timezone=False), nullable=False),
    Column("utc_offset_min", Integer, nullable=False),
    Column("transacted_at", DateTime(timezone=False), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("card_last4", String(4), nullable=False),
    Column("original_transaction_id", String(64), nullable=True),
    Column("imported_at", DateTime(timezone=False), nullable=False),
    Index(None, "business_date"),  # not (merchant, last four): migration 0009
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("rate_date", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    # Decimal text, exact on every backend ("units per EUR").
    Column("units_per_eur", String(40), nullable=False),
    Column("imported_at", DateTime(timezone=False), nullable=False),
    # `ecb` read from one of the ECB's files, `imported` an operator's own CSV (fx.RATE_SOURCES).
    Column("source", String(10), nullable=False, server_default="imported"),
)

eod_runs = Table(
    "eod_runs",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("run_id", String(36), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("owner", String(128), nullable=False),
    Column("started_at", DateTime(timezone=False), nullable=False),
    Column("heartbeat_at", DateTime(timezone=False), nullable=False),
    Column("finished_at", DateTime(timezone=False), nullable=True),
    Column("counts_json", Text, nullable=True),
    Column("totals_json", Text, nullable=True),
    Column("timings_json", Text, nullable=True),
    Column("scorecard_json", Text, nullable=True),
    Column("message", Text, nullable=True),
    CheckConstraint(f"status IN ({', '.join(map(literal, RunStatus))})", name="status"),
)

_HAS_ORIGINAL = text("original_transaction_id IS NOT NULL")
_RESOLVED = text("resolved_on IS NOT NULL")
# An item still open (`recon_classes.OPEN_OUTCOMES`, not resolved): the one spelling of it.
# SQLite takes a partial index only for a WHERE that holds the index's terms as written, so
# the statements on open items (`eod_store`'s ageing) use this text itself. ORs, not IN:
# SQLite evaluates the condition for every item written, and an IN list there cost 0.65 s
# more a 1M day's inserts (2.1 -> 2.8 s; ORs: 2.2 s).
_IS_OPEN_OUTCOME = " OR ".join(f"outcome = {literal(outcome)}" for outcome in OPEN_OUTCOMES)
OPEN_ITEM_SQL = f"({_IS_OPEN_OUTCOME}) AND resolved_on IS NULL"
_OPEN_ITEM = text(OPEN_ITEM_SQL)

reconciliation_items = Table(
    "reconciliation_items",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("transaction_id", String(64), primary_key=True),
    Column("journal_transaction_id", String(64), nullable=True),
    Column("business_date", Date, nullable=False),
    Column("merchant_id", String(32), nullable=False),
    Column("terminal_id", String(32), nullable=False),
    Column("transaction_type", String(8), nullable=False),
    Column("original_transaction_id", String(64), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("staged_amount_minor", BigInteger, nullable=True),  # NULL: journal only
    Column("journal_amount_minor", BigInteger, nullable=True),  # NULL: not in the journal
    Column("recon_class", String(24), nullable=False),
    Column("match_method", String(8), nullable=True),
    Column("outcome", String(12), nullable=False),
    Column("reason", String(40), nullable=True),
    Column("age_business_days", Integer, nullable=False, server_default="0"),
    Column("resolved_on", Date, nullable=True),
    # What the reason alone cannot say, in one line: for `no_rate`, the currency and its
    # latest rate's date and age ("no rate for RUB within 5 days: latest is ...").
    Column("reason_detail", String(200), nullable=True),
    Index(None, "transaction_id"),
    Index(None, "run_date", "outcome"),
    # Refunds and reversals only (a few per cent of items): the refund and reversal rules
    # find a date's refunds and reversals, and a purchase's refunds on every date, by these.
    Index(
        None, "original_transaction_id", sqlite_where=_HAS_ORIGINAL, postgresql_where=_HAS_ORIGINAL
    ),
    Index(
        None,
        "run_date",
        "transaction_type",
        sqlite_where=_HAS_ORIGINAL,
        postgresql_where=_HAS_ORIGINAL,
    ),  # fmt: skip
    # The open items of every date (a 1M day leaves ~24k; they add up over the dates): each
    # run resolves the never-staged ones that arrived and ages the rest (migration 0011).
    Index(
        None,
        "outcome",
        "business_date",
        "run_date",
        sqlite_where=_OPEN_ITEM,
        postgresql_where=_OPEN_ITEM,
    ),  # fmt: skip
    # The resolved items of every date (a few never-staged ones a day): a re-run's reset
    # finds those it resolved by this, not by reading every item of every date (migration
    # 0012).
    Index(None, "resolved_on", sqlite_where=_RESOLVED, postgresql_where=_RESOLVED),
)

reconciliation_totals = Table(
    "reconciliation_totals",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("level", String(8), primary_key=True),  # terminal | merchant
    Column("key", String(32), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("journal_minor", BigInteger, nullable=False),
    Column("staged_minor", BigInteger, nullable=False),
    Column("difference_minor", BigInteger, nullable=False),
)

fraud_flags = Table(
    "fraud_flags",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("transaction_id", String(64), primary_key=True),
    Column("rule", String(40), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("reason", Text, nullable=False),
)

fraud_decisions = Table(
    "fraud_decisions",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("transaction_id", String(64), primary_key=True),
    Column("action", String(8), nullable=False),
    Column("score", Integer, nullable=False),
    Column("reasons", Text, nullable=False),
)

fx_conversions = Table(
    "fx_conversions",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("from_currency", String(3), primary_key=True),
    Column("to_currency", String(3), primary_key=True),
    Column("rate", String(40), nullable=False),
    # converted_minor = round_half_even(amount_minor * numerator / denominator), exactly.
    Column("minor_numerator", BigInteger, nullable=False),
    Column("minor_denominator", BigInteger, nullable=False),
    Column("rate_date", Date, nullable=False),
    Column("source", String(10), nullable=False),
)

settlement_lines = Table(
    "settlement_lines",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("transaction_id", String(64), primary_key=True),
    Column("merchant_id", String(32), nullable=False),
    Column("transaction_type", String(8), nullable=False),
    Column("original_amount_minor", BigInteger, nullable=False),
    Column("original_currency", String(3), nullable=False),
    Column("settlement_currency", String(3), nullable=False),
    Column("converted_amount_minor", BigInteger, nullable=False),
    Column("fee_minor", BigInteger, nullable=False),
    Column("fx_markup_minor", BigInteger, nullable=False),
    Column("rate", String(40), nullable=False),
    Column("rate_date", Date, nullable=False),
    Column("rate_source", String(10), nullable=False),
    # No index beyond the primary key: every read takes one run date (migration 0010).
)

payouts = Table(
    "payouts",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("merchant_id", String(32), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("purchases_minor", BigInteger, nullable=False),
    Column("refunds_minor", BigInteger, nullable=False),
    Column("fees_minor", BigInteger, nullable=False),
    Column("fx_markup_minor", BigInteger, nullable=False),
    Column("payout_minor", BigInteger, nullable=False),
    Column("direction", String(6), nullable=False),  # credit: we pay; debit: merchant owes
    Column("line_count", Integer, nullable=False),
    # A merchant debit taken in from the merchant's previous payout in this currency, and
    # the debit passed on to its next one (netting.CARRIED_OUT_MINOR), both >= 0.
    Column("carried_in_minor", BigInteger, nullable=False, server_default="0"),
    Column("carried_out_minor", BigInteger, nullable=False, server_default="0"),
    # The merchant's name and account as the run found them (merchants.csv may change
    # later): the bank file is written from these, so a restore writes the run's file.
    Column("payee_name", String(200), nullable=True),
    Column("iban", String(34), nullable=True),
    Column("bic", String(11), nullable=True),
    Index(None, "merchant_id", "currency", "run_date"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("entry_no", Integer, primary_key=True),
    Column("account", String(24), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("debit_minor", BigInteger, nullable=False),
    Column("credit_minor", BigInteger, nullable=False),
    Column("memo", String(80), nullable=False),
)

RESULT_TABLES = (
    reconciliation_items,
    reconciliation_totals,
    fraud_flags,
    fraud_decisions,
    fx_conversions,
    settlement_lines,
    payouts,
    ledger_entries,
)
