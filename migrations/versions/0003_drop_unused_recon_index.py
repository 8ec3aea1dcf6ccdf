"""reconciliation_items: drop the index on journal_transaction_id

No statement of the run or the reports looks items up by their journal id; the index only
cost its upkeep on about a million inserts a day (end of day on PostgreSQL is bound by
these writes).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_items_journal_transaction_id"))


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reconciliation_items_journal_transaction_id"),
            ["journal_transaction_id"],
            unique=False,
        )
