"""gateway_batches: one row per batch the gateway handled

Written by the gateway in the same transaction as the batch's staged rows and rejects (one
INSERT a batch): who handled it (consumer), its configured batch size (1 = asynchronous),
when it started and finished, and what became of its messages (received, staged,
duplicates, rejected, failed = left for redelivery) with the staging latency of its staged
rows. The live dashboard reads it for per-consumer batches, the report for the gateway's
day. Batches handled before this revision were not recorded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_batches",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("consumer", sa.String(length=128), nullable=False),
        sa.Column("max_batch", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("staged", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("latency_ms_sum", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms_max", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "max_batch >= 1 AND received >= 0 AND staged >= 0 AND duplicates >= 0"
            " AND rejected >= 0 AND failed >= 0 AND latency_ms_sum >= 0 AND latency_ms_max >= 0",
            name=op.f("ck_gateway_batches_counts_non_negative"),
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_gateway_batches")),
    )
    op.create_index(
        op.f("ix_gateway_batches_finished_at"), "gateway_batches", ["finished_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_batches_finished_at"), table_name="gateway_batches")
    op.drop_table("gateway_batches")
