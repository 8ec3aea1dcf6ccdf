"""staged_transactions and journal_entries: drop the three indexes on random keys the loads paid for

- `staged_transactions (card_token, transacted_at)` and `(merchant_id, business_date)`: the
  end of day reads a span's purchases by business date and sorts them by card (SQLite's plan
  even with the index), and nothing looks staged rows up by merchant. The one read that
  used the card index on SQLite, the cards holding labelled fraud, now scans the look-back
  span (~0.8 -> 1.5 s on a one-day database).
- `journal_entries (merchant_id, card_last4)`: only the tolerant match used it, and it now
  pairs the day's few thousand unexpected and missing rows, read by their ids.

Each insert into an index on a random key lands on a random leaf, so a 1M-row day's load
touched most of those indexes' pages in every transaction: on the 2-core development machine
the bare inserts of a 1M day's staged rows took 49.8 -> 16.0 s without the two, and the
journal's 27.3 -> 9.4 s without its one (docs/storage.md, "Indexes on random keys").

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = (
    ("staged_transactions", ("card_token", "transacted_at")),
    ("staged_transactions", ("merchant_id", "business_date")),
    ("journal_entries", ("merchant_id", "card_last4")),
)


def _name(table: str, columns: tuple[str, ...]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, columns in _DROPPED:
        op.drop_index(op.f(_name(table, columns)), table_name=table)


def downgrade() -> None:
    for table, columns in _DROPPED:
        op.create_index(op.f(_name(table, columns)), table, list(columns), unique=False)
