"""reconciliation_items: a partial index of the open items

Every run resolves the earlier dates' open never-staged items whose transaction it stages,
then ages every open item (exception, held, not staged; not resolved): ~24,000 of a 1M day's
items, adding up over the dates. Without an index of them SQLite planned the first statement
from today's side, `transaction_id IN (today's staged items)` probing the transaction-id
index once for each of ~995,000, and read every item of every date for the other two. On
copies of the 1M day after its run (stdlib sqlite3, the product's pragmas, rolled back):

| | resolve | the open dates | their ages |
|---|---:|---:|---:|
| the day alone, before | 1.46-1.48 s | 0.15 s | 0.16 s |
| the day alone, with this index | 0.001 s | 0.004 s | 0.023 s |
| five earlier days of open items added, before | 1.49-1.53 s | 0.19-0.21 s | 1.19-1.23 s |
| the same, with this index | 0.11-0.16 s | 0.026 s | 0.12-0.13 s |

(the resolve as an EXISTS on today's item by primary key; the same rows either way). The
end of day's complete step went from 5.1-5.6 to 3.3-3.5 s.

Open items are ~2 % of a day, but SQLite evaluates the condition for every item written: as
`outcome IN (...)` it cost a 1M day's inserts 0.65 s (2.1 -> 2.8 s), as ORs 0.07 s. The
condition is `eod_tables.OPEN_ITEM_SQL` as it reads today: SQLite uses a partial index only
for a statement whose WHERE holds the index's terms as written.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_reconciliation_items_outcome_business_date_run_date"
WHERE = (
    "(outcome = 'exception' OR outcome = 'held' OR outcome = 'not_staged') AND resolved_on IS NULL"
)


def upgrade() -> None:
    op.create_index(
        NAME, "reconciliation_items", ["outcome", "business_date", "run_date"], unique=False,
        sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index(NAME, table_name="reconciliation_items")
