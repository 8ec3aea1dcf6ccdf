"""PostgreSQL plans every statement of the product with its parameters, never once for all
(settlement/adapters/database.py, `NO_PREPARE`).

Why it is tested: psycopg prepares a statement on the server from its fifth run on a
connection, and the generic plan PostgreSQL then keeps compared every row with every key of
an `IN (...)` list, on a table it planned while small. A first import of 50,000 merchants
spent 48.6 s in its deletes that way (0.7 s planned per run). Only PostgreSQL prepares, so
these tests have no SQLite half.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, delete, text

from settlement.adapters.bulk import CHUNK_ROWS
from settlement.adapters.database import create_db_engine, upgrade
from settlement.adapters.imports import import_merchants
from settlement.adapters.tables import merchants
from tests.support.pgcluster import scratch_database
from tests.support.staging_builder import MERCHANTS_HEADER, merchant_line

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(pg_server: str) -> Iterator[Engine]:
    with scratch_database(pg_server) as url:
        upgrade(url)
        engine = create_db_engine(url, write_lock_on_begin=True)
        try:
            yield engine
        finally:
            engine.dispose()


def _prepared(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def test_a_statement_run_many_times_is_never_prepared_on_the_server(pg_engine: Engine) -> None:
    keys = [f"M{index:06d}" for index in range(500)]
    with pg_engine.begin() as conn:
        for _ in range(12):  # psycopg's default prepares from the fifth run
            conn.execute(delete(merchants).where(merchants.c.merchant_id.in_(keys)))
        assert _prepared(conn) == []


def test_a_first_import_of_several_chunks_leaves_no_prepared_delete(pg_engine: Engine) -> None:
    count = 2 * CHUNK_ROWS + 5  # 41 deletes of up to 500 keys in one transaction
    lines = [MERCHANTS_HEADER] + [
        merchant_line(f"M{index:06d}", "EUR", 150, "0.10") for index in range(count)
    ]
    report = import_merchants(pg_engine, lines)
    assert (report.written, report.rejected) == (count, 0)
    with pg_engine.connect() as conn:  # the pool's one connection: the import's
        assert conn.execute(text("SELECT count(*) FROM merchants")).scalar_one() == count
        assert _prepared(conn) == []
