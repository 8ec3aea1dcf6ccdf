"""settlement_lines: drop the index on (run_date, merchant_id)

Every read of the lines takes one run date through the primary key (run_date,
transaction_id): the ledger's sums and the payouts' grouping (through the primary key on
SQLite, `eod_sql.through_primary_key`), the report's rows and count, a re-run's delete. No
statement looks lines up by merchant, and the index cost its upkeep on every line the end of
day writes: one INSERT ... SELECT of a 1M day's 966k lines into an empty table, SQLite,
2.3-2.7 s without it against 4.6-5.4 s with it (docs/end-of-day.md, "Scale").

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_settlement_lines_run_date_merchant_id"), table_name="settlement_lines")


def downgrade() -> None:
    op.create_index(
        op.f("ix_settlement_lines_run_date_merchant_id"),
        "settlement_lines",
        ["run_date", "merchant_id"],
        unique=False,
    )
