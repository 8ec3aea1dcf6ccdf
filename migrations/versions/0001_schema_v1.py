"""schema v1: merchants, staged_transactions, rejected_messages

Revision ID: 0001
Revises:
Create Date: 2026-11-28 15:16:18.873503
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merchants",
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mcc", sa.String(length=4), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("settlement_currency", sa.String(length=3), nullable=False),
        sa.Column("mdr_bps", sa.Integer(), nullable=False),
        sa.Column("fee_fixed_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "fee_fixed_minor >= 0", name=op.f("ck_merchants_fee_fixed_non_negative")
        ),
        sa.CheckConstraint(
            "mdr_bps >= 0 AND mdr_bps <= 10000", name=op.f("ck_merchants_mdr_bps_range")
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_merchants")),
    )
    op.create_table(
        "rejected_messages",
        sa.Column("reject_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("reject_id", name=op.f("pk_rejected_messages")),
        sa.UniqueConstraint(
            "body_sha256", "reason_code", name=op.f("uq_rejected_messages_body_sha256_reason_code")
        ),
    )
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rejected_messages_reason_code"), ["reason_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rejected_messages_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "staged_transactions",
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_type", sa.String(length=8), nullable=False),
        sa.Column("original_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("card_token", sa.String(length=64), nullable=False),
        sa.Column("card_bin", sa.String(length=6), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("card_brand", sa.String(length=16), nullable=False),
        sa.Column("card_country", sa.String(length=2), nullable=False),
        sa.Column("merchant_country", sa.String(length=2), nullable=False),
        sa.Column("mcc", sa.String(length=4), nullable=False),
        sa.Column("entry_mode", sa.String(length=12), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("local_time", sa.DateTime(), nullable=False),
        sa.Column("utc_offset_min", sa.Integer(), nullable=False),
        sa.Column("transacted_at", sa.DateTime(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("staged_at", sa.DateTime(), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="staged", nullable=False),
        sa.CheckConstraint(
            "status IN ('staged', 'settled', 'held', 'exception')",
            name=op.f("ck_staged_transactions_status"),
        ),
        sa.CheckConstraint(
            "transaction_type = 'purchase' OR original_transaction_id IS NOT NULL",
            name=op.f("ck_staged_transactions_original_required"),
        ),
        sa.CheckConstraint(
            "transaction_type IN ('purchase', 'refund', 'reversal')",
            name=op.f("ck_staged_transactions_transaction_type"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_staged_transactions_amount_positive")),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_staged_transactions")),
    )
    with op.batch_alter_table("staged_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staged_transactions_business_date"), ["business_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staged_transactions_card_token_transacted_at"),
            ["card_token", "transacted_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_staged_transactions_merchant_id_business_date"),
            ["merchant_id", "business_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_staged_transactions_original_transaction_id"),
            ["original_transaction_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("staged_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staged_transactions_original_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_staged_transactions_merchant_id_business_date"))
        batch_op.drop_index(batch_op.f("ix_staged_transactions_card_token_transacted_at"))
        batch_op.drop_index(batch_op.f("ix_staged_transactions_business_date"))

    op.drop_table("staged_transactions")
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_messages_received_at"))
        batch_op.drop_index(batch_op.f("ix_rejected_messages_reason_code"))

    op.drop_table("rejected_messages")
    op.drop_table("merchants")
