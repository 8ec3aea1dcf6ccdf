"""reconciliation_items: partial indexes of the items that name an original

The refund rule sums, for each purchase a day's refunds name, the refunds other runs settled
against it (every business date counts): without an index on original_transaction_id that
scans every item of every date. The refund and reversal rules also pick the date's matched
refunds and reversals: through (run_date, transaction_type) instead of walking all of the
date's settling items (about twice as fast at 200k rows on SQLite). Only refunds and
reversals carry an original (a few per cent of items), so both indexes are partial and cost
little on a million inserts a day.

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

WHERE = "original_transaction_id IS NOT NULL"
INDEXES = {
    "ix_reconciliation_items_original_transaction_id": ["original_transaction_id"],
    "ix_reconciliation_items_run_date_transaction_type": ["run_date", "transaction_type"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(
            name, "reconciliation_items", columns, unique=False,
            sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE),
        )  # fmt: skip


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="reconciliation_items")
