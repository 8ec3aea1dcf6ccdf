"""The scans of one run date's settlement lines (`eod_sql.lines_of_one_date`), on SQLite and
PostgreSQL: the ledger's sums and the payouts are those of a plain scan of the table, and on
SQLite the scan goes through the primary key, not the (run_date, merchant_id) index that
visits a million lines in merchant order (3.4 -> 1.4 s of CPU for the ledger's sums)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from settlement.adapters import books, eod_sql
from settlement.adapters.eod_tables import payouts, settlement_lines
from settlement.config import Settings
from settlement.domain.ledger import SettledFlow
from settlement.domain.transactions import TransactionType
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.hand_day import DAY, NOW, eod_database, load_hand_day

sl = settlement_lines


@pytest.fixture
def closed(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """The hand-computed day, closed."""
    with eod_database(db_url, tmp_path) as (engine, settings):
        _close(engine, settings)
        yield engine


def _close(engine: Engine, settings: Settings) -> None:
    load_hand_day(engine, settings)
    report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    assert report.status == "completed", report.message


def _plain_flows(conn: Connection) -> list[SettledFlow]:
    """The sums as they were read before the scan named its index (SQLAlchemy Core)."""
    keys = (sl.c.transaction_type, sl.c.original_currency, sl.c.settlement_currency)
    sums = (sl.c.original_amount_minor, sl.c.converted_amount_minor, sl.c.fee_minor,
            sl.c.fx_markup_minor)  # fmt: skip
    query = (
        select(*keys, *(func.sum(column) for column in sums))
        .where(sl.c.run_date == DAY)
        .group_by(*keys)
        .order_by(*keys)
    )
    return [
        SettledFlow(TransactionType(kind), str(src), str(dst), int(a), int(b), int(c), int(d))
        for kind, src, dst, a, b, c, d in conn.execute(query)
    ]


def test_the_ledger_sums_are_a_plain_scans(closed: Engine) -> None:
    with closed.connect() as conn:
        flows = books.settled_flows(conn, DAY)
        assert flows and flows == _plain_flows(conn)


def test_each_payout_nets_its_lines(closed: Engine) -> None:
    """Purchases and line counts per merchant and currency, re-summed from the lines."""
    query = (
        select(sl.c.merchant_id, sl.c.settlement_currency, func.count(), func.sum(sl.c.fee_minor))
        .where(sl.c.run_date == DAY)
        .group_by(sl.c.merchant_id, sl.c.settlement_currency)
    )
    paid = select(payouts.c.merchant_id, payouts.c.currency, payouts.c.line_count,
                  payouts.c.fees_minor).where(payouts.c.run_date == DAY)  # fmt: skip
    with closed.connect() as conn:
        expected = sorted(tuple(row) for row in conn.execute(query))
        assert expected and sorted(tuple(row) for row in conn.execute(paid)) == expected


def test_sqlite_scans_the_lines_by_primary_key(db_url: str, closed: Engine) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's planner only: PostgreSQL chooses its own scan")
    with closed.connect() as conn:
        plan = eod_sql.rows(
            conn,
            f"EXPLAIN QUERY PLAN SELECT SUM(fee_minor) FROM {eod_sql.lines_of_one_date(conn)}"
            " WHERE run_date = :d GROUP BY merchant_id",
            d=DAY,
        )
        unnamed = eod_sql.rows(
            conn,
            "EXPLAIN QUERY PLAN SELECT SUM(fee_minor) FROM settlement_lines"
            " WHERE run_date = :d GROUP BY merchant_id",
            d=DAY,
        )
    steps = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX sqlite_autoindex_settlement_lines_1 (run_date=?)" in steps, steps
    # Why the name is needed: left alone, SQLite takes the merchant index (if this stops
    # holding, the hint may go)
    assert "ix_settlement_lines_run_date_merchant_id" in " ".join(str(r[-1]) for r in unnamed)
