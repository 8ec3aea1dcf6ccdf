"""end of day: journal, imported rates, runs and their results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:30:59.993479
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eod_runs",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("counts_json", sa.Text(), nullable=True),
        sa.Column("totals_json", sa.Text(), nullable=True),
        sa.Column("timings_json", sa.Text(), nullable=True),
        sa.Column("scorecard_json", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'failed')", name=op.f("ck_eod_runs_status")
        ),
        sa.PrimaryKeyConstraint("business_date", name=op.f("pk_eod_runs")),
    )
    op.create_table(
        "fraud_decisions",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_date", "transaction_id", name=op.f("pk_fraud_decisions")),
    )
    op.create_table(
        "fraud_flags",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_date", "transaction_id", "rule", name=op.f("pk_fraud_flags")),
    )
    op.create_table(
        "fx_conversions",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("from_currency", sa.String(length=3), nullable=False),
        sa.Column("to_currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("minor_numerator", sa.BigInteger(), nullable=False),
        sa.Column("minor_denominator", sa.BigInteger(), nullable=False),
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint(
            "run_date", "from_currency", "to_currency", name=op.f("pk_fx_conversions")
        ),
    )
    op.create_table(
        "fx_rates",
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("units_per_eur", sa.String(length=40), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rate_date", "currency", name=op.f("pk_fx_rates")),
    )
    op.create_table(
        "journal_entries",
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("transaction_type", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("local_time", sa.DateTime(), nullable=False),
        sa.Column("utc_offset_min", sa.Integer(), nullable=False),
        sa.Column("transacted_at", sa.DateTime(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("original_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_journal_entries")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_entries_business_date"), ["business_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_entries_merchant_id_card_last4"),
            ["merchant_id", "card_last4"],
            unique=False,
        )

    op.create_table(
        "ledger_entries",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("entry_no", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debit_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit_minor", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("run_date", "entry_no", name=op.f("pk_ledger_entries")),
    )
    op.create_table(
        "payouts",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("purchases_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunds_minor", sa.BigInteger(), nullable=False),
        sa.Column("fees_minor", sa.BigInteger(), nullable=False),
        sa.Column("fx_markup_minor", sa.BigInteger(), nullable=False),
        sa.Column("payout_minor", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_date", "merchant_id", "currency", name=op.f("pk_payouts")),
    )
    op.create_table(
        "reconciliation_items",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("journal_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("transaction_type", sa.String(length=8), nullable=False),
        sa.Column("original_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("staged_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("journal_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("recon_class", sa.String(length=24), nullable=False),
        sa.Column("match_method", sa.String(length=8), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("age_business_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("run_date", "transaction_id", name=op.f("pk_reconciliation_items")),
    )
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reconciliation_items_journal_transaction_id"),
            ["journal_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reconciliation_items_run_date_outcome"),
            ["run_date", "outcome"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reconciliation_items_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "reconciliation_totals",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("journal_minor", sa.BigInteger(), nullable=False),
        sa.Column("staged_minor", sa.BigInteger(), nullable=False),
        sa.Column("difference_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "run_date", "level", "key", "currency", name=op.f("pk_reconciliation_totals")
        ),
    )
    op.create_table(
        "settlement_lines",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("transaction_type", sa.String(length=8), nullable=False),
        sa.Column("original_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("original_currency", sa.String(length=3), nullable=False),
        sa.Column("settlement_currency", sa.String(length=3), nullable=False),
        sa.Column("converted_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("fx_markup_minor", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("rate_source", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("run_date", "transaction_id", name=op.f("pk_settlement_lines")),
    )
    with op.batch_alter_table("settlement_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlement_lines_run_date_merchant_id"),
            ["run_date", "merchant_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("settlement_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_lines_run_date_merchant_id"))

    op.drop_table("settlement_lines")
    op.drop_table("reconciliation_totals")
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_items_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_reconciliation_items_run_date_outcome"))
        batch_op.drop_index(batch_op.f("ix_reconciliation_items_journal_transaction_id"))

    op.drop_table("reconciliation_items")
    op.drop_table("payouts")
    op.drop_table("ledger_entries")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_merchant_id_card_last4"))
        batch_op.drop_index(batch_op.f("ix_journal_entries_business_date"))

    op.drop_table("journal_entries")
    op.drop_table("fx_rates")
    op.drop_table("fx_conversions")
    op.drop_table("fraud_flags")
    op.drop_table("fraud_decisions")
    op.drop_table("eod_runs")
