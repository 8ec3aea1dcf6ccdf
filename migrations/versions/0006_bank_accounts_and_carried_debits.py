"""merchants: iban and bic; payouts: the merchant debit carried in and out

A merchant's payout is sent by SEPA credit transfer to its IBAN (the BIC is optional in
SEPA), so the merchant master data gains both, nullable: a merchant without an account is
still settled, its payout listed as `no_bank_account`. A negative net (a merchant debit) is
no longer left in the payout file: it is carried to the merchant's next payout in the same
currency, so each payout row records the debit it took in from the merchant's previous
payout and the debit it passes on; the next row is found by (merchant, currency, date),
hence the index. Each payout row also keeps the merchant's name and account as the run
found them, so the date's bank file, rewritten later, pays the account the run paid.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CARRY_INDEX = "ix_payouts_merchant_id_currency_run_date"


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch.add_column(sa.Column("bic", sa.String(length=11), nullable=True))
    with op.batch_alter_table("payouts") as batch:
        for name in ("carried_in_minor", "carried_out_minor"):
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("payee_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch.add_column(sa.Column("bic", sa.String(length=11), nullable=True))
    op.create_index(CARRY_INDEX, "payouts", ["merchant_id", "currency", "run_date"])


def downgrade() -> None:
    op.drop_index(CARRY_INDEX, table_name="payouts")
    with op.batch_alter_table("payouts") as batch:
        batch.drop_column("bic")
        batch.drop_column("iban")
        batch.drop_column("payee_name")
        batch.drop_column("carried_out_minor")
        batch.drop_column("carried_in_minor")
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("bic")
        batch.drop_column("iban")
