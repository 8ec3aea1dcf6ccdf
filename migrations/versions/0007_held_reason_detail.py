"""reconciliation_items.reason_detail: what a hold's reason alone cannot say

An item held `no_rate` because its currency's latest rate is older than
CARDSETTLE_FX_MAX_RATE_AGE_DAYS says which currency and how old the rate is ("no rate for RUB
within 5 days: latest is 2022-03-01, 1688 days old"), so the report's held section and
reconciliation.csv show it beside the reason. NULL for every other item.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reconciliation_items") as batch:
        batch.add_column(sa.Column("reason_detail", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_items") as batch:
        batch.drop_column("reason_detail")
