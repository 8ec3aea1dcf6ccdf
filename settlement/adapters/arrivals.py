"""Staged purchases in the order they arrived, for replaying a day through the fraud lane.

Why `sent_at`: it is when the terminal transmitted the purchase, in the day's own
(simulated) business time, so a replay shows when an asynchronous lane would have seen each
purchase; `staged_at` is when this machine wrote the row, which measures the demo's
machine, not the business day.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, select

from settlement.adapters.purchase_rows import FIELDS
from settlement.adapters.tables import staged_transactions
from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType

_TYPE, _MODE = FIELDS.index("transaction_type"), FIELDS.index("entry_mode")


def staged_arrivals(
    engine: Engine, first_date: date, last_date: date
) -> list[tuple[StagedTransaction, datetime]]:
    """(purchase, sent_at) of the business dates first..last, in arrival order."""
    table = staged_transactions
    query = (
        select(*(table.c[name] for name in FIELDS), table.c.sent_at)
        .where(table.c.business_date.between(first_date, last_date))
        .where(table.c.transaction_type == TransactionType.PURCHASE.value)
        .order_by(table.c.sent_at, table.c.transaction_id)
    )
    found = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            values = list(row[:-1])
            values[_TYPE] = TransactionType(values[_TYPE])
            values[_MODE] = EntryMode(values[_MODE])
            found.append((StagedTransaction(*values), row[-1]))
    return found
