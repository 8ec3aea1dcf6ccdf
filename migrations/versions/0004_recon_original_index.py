"""reconciliation_items: a partial index on original_transaction_id

The refund rule sums, for each purchase a day's refunds name, the refunds other runs settled
against it (every business date counts), and the reversal invariant looks up the reversal
of each voided purchase. Without an index both scan every item of every date. Only refunds
and reversals carry an original (a few per cent of items), so the index is partial and
costs little on a million inserts a day.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_reconciliation_items_original_transaction_id"
WHERE = "original_transaction_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        NAME,
        "reconciliation_items",
        ["original_transaction_id"],
        unique=False,
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="reconciliation_items")
