"""The staging schema as SQLAlchemy Core tables; Alembic in `migrations/` evolves it.

`metadata` is defined here and the end-of-day tables (`eod_tables`) are built on it too;
`schema.metadata` is the whole schema, both modules' tables, for Alembic.

Column names use the payments vocabulary. Money columns are integer minor units beside
their ISO 4217 currency. No column can hold a full PAN: cards are a keyed token, the BIN
and the last four digits.
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from settlement.adapters.sql_render import literal
from settlement.domain.transactions import TransactionType

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# The transaction types a staged row may carry, from the domain's enum (the migration that
# created the constraint keeps its own text: it is the schema's history, not a rule's home).
_TRANSACTION_TYPES_SQL = ", ".join(literal(kind) for kind in TransactionType)

merchants = Table(
    "merchants",
    metadata,
    Column("merchant_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("mcc", String(4), nullable=False),
    Column("country", String(2), nullable=False),
    Column("city", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("settlement_currency", String(3), nullable=False),
    Column("mdr_bps", Integer, nullable=False),
    Column("fee_fixed_minor", BigInteger, nullable=False),
    # The payout's account (electronic format); NULL: no account, paid by no transfer.
    Column("iban", String(34), nullable=True),
    Column("bic", String(11), nullable=True),
    CheckConstraint("mdr_bps >= 0 AND mdr_bps <= 10000", name="mdr_bps_range"),
    CheckConstraint("fee_fixed_minor >= 0", name="fee_fixed_non_negative"),
)

staged_transactions = Table(
    "staged_transactions",
    metadata,
    Column("transaction_id", String(64), primary_key=True),
    Column("transaction_type", String(8), nullable=False),
    Column("original_transaction_id", String(64), nullable=True),
    Column("merchant_id", String(32), nullable=False),
    Column("terminal_id", String(32), nullable=False),
    Column("card_token", String(64), nullable=False),
    Column("card_bin", String(8), nullable=False),  # 8 for 16+ digit PANs: cards.card_bin
    Column("card_last4", String(4), nullable=False),
    Column("card_brand", String(16), nullable=False),
    Column("card_country", String(2), nullable=False),
    Column("merchant_country", String(2), nullable=False),
    Column("mcc", String(4), nullable=False),
    Column("entry_mode", String(12), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # Wall-clock time at the terminal and its UTC offset, so the original is reproducible;
    # transacted_at is the same instant in UTC, the one all time windows use.
    Column("local_time", DateTime(timezone=False), nullable=False),
    Column("utc_offset_min", Integer, nullable=False),
    Column("transacted_at", DateTime(timezone=False), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("sent_at", DateTime(timezone=False), nullable=False),
    Column("received_at", DateTime(timezone=False), nullable=False),
    Column("staged_at", DateTime(timezone=False), nullable=False),
    Column("message_id", String(128), nullable=True),
    # SHA-256 of the message's business content: a redelivery with another content is a conflict.
    Column("content_hash", String(64), nullable=False),
    Column("status", String(12), nullable=False, server_default="staged"),
    CheckConstraint(f"transaction_type IN ({_TRANSACTION_TYPES_SQL})", name="transaction_type"),
    CheckConstraint("status IN ('staged', 'settled', 'held', 'exception')", name="status"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint(
        f"transaction_type = {literal(TransactionType.PURCHASE)}"
        " OR original_transaction_id IS NOT NULL",
        name="original_required",
    ),
    # Only what the run and the reports look rows up by (migration 0009 says why not more).
    Index(None, "business_date"),
    Index(None, "original_transaction_id"),
)

rejected_messages = Table(
    "rejected_messages",
    metadata,
    Column("reject_id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(128), nullable=False),
    Column("transaction_id", String(64), nullable=True),
    Column("received_at", DateTime(timezone=False), nullable=False),
    Column("reason_code", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("body", Text, nullable=False),  # PAN masked before it gets here
    # SHA-256 of the body as received: a redelivered or replayed bad message is recorded once.
    Column("body_sha256", String(64), nullable=False),
    UniqueConstraint("body_sha256", "reason_code"),
    Index(None, "received_at"),
    Index(None, "reason_code"),
)

# One row per batch the gateway handled (SQS poller, Lambda, direct ingest), written in the
# same transaction as the batch's staged rows and rejects, so a count never outlives its rows.
# A redelivered batch is a new row: its messages are counted again, as duplicates. The live
# dashboard reads it for per-consumer batches; the report for the day's gateway counts.
gateway_batches = Table(
    "gateway_batches",
    metadata,
    Column("batch_id", String(36), primary_key=True),  # a uuid4, 36 characters
    # Who handled it: "<host>:<pid>:<thread>" (poller), "lambda:<function>" (Lambda), "direct".
    Column("consumer", String(128), nullable=False),
    Column("max_batch", Integer, nullable=False),  # the consumer's batch size: 1 = async
    Column("started_at", DateTime(timezone=False), nullable=False),
    Column("finished_at", DateTime(timezone=False), nullable=False),
    Column("received", Integer, nullable=False),
    Column("staged", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("failed", Integer, nullable=False),  # left for redelivery
    # staged_at - sent_at over the batch's staged rows (a row sent "later" counts as 0).
    Column("latency_ms_sum", BigInteger, nullable=False),
    Column("latency_ms_max", Integer, nullable=False),
    CheckConstraint(
        "max_batch >= 1 AND received >= 0 AND staged >= 0 AND duplicates >= 0"
        " AND rejected >= 0 AND failed >= 0 AND latency_ms_sum >= 0 AND latency_ms_max >= 0",
        name="counts_non_negative",
    ),
    Index(None, "finished_at"),
)
