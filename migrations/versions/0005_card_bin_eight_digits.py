"""staged_transactions.card_bin: eight digits

The schemes moved to 8-digit BINs (Mastercard from April 2022, Visa alike), and PCI DSS
(FAQ 1091) allows the first eight and the last four digits of a PAN of 16 digits or more to
be kept beside its token: the gateway now stores eight there (settlement.domain.cards.card_bin;
six below 16 digits). Rows staged before keep their six digits: the other two are gone.
Downgrading cuts the BINs back to six, which the narrower column can hold.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch: SQLite alters a column's type only by copying the table (PostgreSQL alters it).
    with op.batch_alter_table("staged_transactions", schema=None) as batch_op:
        batch_op.alter_column(
            "card_bin", existing_type=sa.String(length=6), type_=sa.String(length=8),
            existing_nullable=False,
        )  # fmt: skip


def downgrade() -> None:
    op.execute("UPDATE staged_transactions SET card_bin = substr(card_bin, 1, 6)")
    with op.batch_alter_table("staged_transactions", schema=None) as batch_op:
        batch_op.alter_column(
            "card_bin", existing_type=sa.String(length=8), type_=sa.String(length=6),
            existing_nullable=False,
        )  # fmt: skip
