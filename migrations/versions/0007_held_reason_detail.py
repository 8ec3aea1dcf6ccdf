"""reconciliation_items.reason_detail: what a hold's reason alone cannot say; fx_rates.source

An item held `no_rate` because its currency's latest rate is older than
CARDSETTLE_FX_MAX_RATE_AGE_DAYS says which currency and how old the rate is ("no rate for RUB
within 5 days: latest is 2022-03-01, 1688 days old"), so the report's held section and
reconciliation.csv show it beside the reason. NULL for every other item.

fx_rates.source: where an imported rate came from, `ecb` when read from one of the ECB's
files (history or daily CSV, XML, zip), `imported` from the operator's own
date,currency,units_per_eur CSV, so a report says the ECB's rate is the ECB's. Rows stored
before this revision were all read as operator rates: they default to `imported`.

Revision ID: 0007
Revises: 0006
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
    with op.batch_alter_table("fx_rates") as batch:
        batch.add_column(
            sa.Column("source", sa.String(10), nullable=False, server_default="imported")
        )


def downgrade() -> None:
    with op.batch_alter_table("fx_rates") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("reconciliation_items") as batch:
        batch.drop_column("reason_detail")
