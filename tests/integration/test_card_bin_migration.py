"""Migration 0005 widens staged_transactions.card_bin to eight digits on both backends:
rows staged before keep their six, new rows hold eight, a downgrade cuts back to six."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import create_engine, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from settlement.adapters import database
from settlement.adapters.tables import staged_transactions
from tests.support.staging_builder import staged

DAY = date(2026, 11, 27)


def _bins(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        columns = staged_transactions.c
        rows = conn.execute(select(columns.transaction_id, columns.card_bin))
        return {transaction_id: card_bin for transaction_id, card_bin in rows}


def test_card_bin_widens_to_eight_and_keeps_old_rows(db_url: str) -> None:
    database.upgrade(db_url, "0004")
    engine = create_engine(db_url)
    try:
        old = staged("old", "1.00", business_date=DAY, at=datetime(2026, 11, 27, 9))
        with engine.begin() as conn:  # a row staged before the change: six digits
            conn.execute(insert(staged_transactions), [old])
        database.upgrade(db_url)
        new = staged("new", "1.00", business_date=DAY, at=datetime(2026, 11, 27, 10))
        with engine.begin() as conn:
            conn.execute(insert(staged_transactions), [new | {"card_bin": "42424242"}])
        assert _bins(engine) == {"old": "424242", "new": "42424242"}
        database.downgrade(db_url, "0004")
        assert _bins(engine) == {"old": "424242", "new": "424242"}
        if engine.dialect.name == "postgresql":  # the narrow column is back (SQLite: no widths)
            with pytest.raises(DBAPIError, match=r"character varying\(6\)"), engine.begin() as conn:
                conn.execute(update(staged_transactions).values(card_bin="42424242"))
    finally:
        engine.dispose()
