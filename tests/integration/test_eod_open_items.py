"""The run's closing step on open items (`SqlEodStore.age_open_items`), on both backends,
over several earlier dates: exactly the earlier never-staged items whose transaction today
stages are resolved, and every item still open is aged; on SQLite each statement reads the
open items' partial index (migration 0011), not one probe per item of the day (on
a 1M day before it: 1.46-1.48 s).

Each earlier item below differs from one that is resolved by one term of the statement, so
a term dropped or changed resolves or ages one item too many or too few."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, select

from settlement.adapters.eod_store import SqlEodStore
from settlement.adapters.eod_tables import reconciliation_items as items

DAY = date(2026, 3, 11)  # a Wednesday
MON, TUE, FRI, THU = date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 6), date(2026, 3, 12)
UNAGED = -1  # an age no run writes: the rows the run leaves alone keep it
BEFORE = date(2026, 3, 10)  # an earlier run's resolution

# (run date, transaction id, business date, outcome, staged amount or None, resolved on)
Row = tuple[date, str, date, str, int | None, date | None]
ROWS: list[Row] = [
    # today: four staged items (one of them held), one journal-only item
    (DAY, "T-arrived", DAY, "settled", 1000, None),
    (DAY, "T-also-arrived", DAY, "settled", 1000, None),
    (DAY, "T-held-elsewhere", DAY, "settled", 1000, None),
    (DAY, "T-was-resolved", DAY, "settled", 1000, None),
    (DAY, "T-held-today", DAY, "held", 1000, None),
    (DAY, "T-journal-again", DAY, "not_staged", None, None),
    # earlier dates
    (MON, "T-arrived", MON, "not_staged", None, None),  # resolved
    (FRI, "T-also-arrived", FRI, "not_staged", None, None),  # resolved, from another date
    (MON, "T-journal-again", MON, "not_staged", None, None),  # today not staged either
    (MON, "T-never", MON, "not_staged", None, None),  # not in today's items at all
    (TUE, "T-held-elsewhere", FRI, "held", 1000, None),  # open, but not a never-staged one
    (TUE, "T-arrived", TUE, "exception", 1000, None),  # likewise
    (FRI, "T-was-resolved", FRI, "not_staged", None, BEFORE),  # not resolved twice
    (TUE, "T-staged-monday", MON, "not_staged", None, None),  # staged on another date
    (MON, "T-staged-monday", MON, "settled", 1000, None),
    (FRI, "T-settled", FRI, "settled", 1000, None),  # closed: never aged
    (THU, "T-arrived", THU, "not_staged", None, None),  # a later date's run: left alone
]

# After the run: (run date, transaction id) -> (resolved on, age in business days)
EXPECTED = {
    (DAY, "T-arrived"): (None, UNAGED),
    (DAY, "T-also-arrived"): (None, UNAGED),
    (DAY, "T-held-elsewhere"): (None, UNAGED),
    (DAY, "T-was-resolved"): (None, UNAGED),
    (DAY, "T-held-today"): (None, 0),
    (DAY, "T-journal-again"): (None, 0),
    (MON, "T-arrived"): (DAY, UNAGED),
    (FRI, "T-also-arrived"): (DAY, UNAGED),
    (MON, "T-journal-again"): (None, 2),
    (MON, "T-never"): (None, 2),
    (TUE, "T-held-elsewhere"): (None, 3),
    (TUE, "T-arrived"): (None, 1),
    (FRI, "T-was-resolved"): (BEFORE, UNAGED),
    (TUE, "T-staged-monday"): (None, 2),
    (MON, "T-staged-monday"): (None, UNAGED),
    (FRI, "T-settled"): (None, UNAGED),
    (THU, "T-arrived"): (None, UNAGED),
}
OPEN_DATES = 4  # the business dates of the items still open: DAY, MON, TUE, FRI


def _row(row: Row) -> dict[str, Any]:
    run_date, tid, business, outcome, staged, resolved = row
    return {
        "run_date": run_date, "transaction_id": tid, "business_date": business,
        "merchant_id": "M1", "terminal_id": "T1", "transaction_type": "purchase",
        "currency": "EUR", "staged_amount_minor": staged, "journal_amount_minor": 1000,
        "recon_class": "matched", "outcome": outcome, "age_business_days": UNAGED,
        "resolved_on": resolved,
    }  # fmt: skip


Ran = list[tuple[str, Any]]  # the statements a step ran, with their driver parameters


@pytest.fixture
def aged(engine: Engine) -> Iterator[tuple[Engine, Ran]]:
    """The rows above after today's closing step, and the statements it ran."""
    ran: Ran = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        ran.append((statement, parameters))

    with engine.begin() as conn:
        conn.execute(insert(items), [_row(row) for row in ROWS])
    with engine.begin() as conn:
        event.listen(conn, "before_cursor_execute", record)
        SqlEodStore(conn).age_open_items(DAY)
        event.remove(conn, "before_cursor_execute", record)
    yield engine, ran


def test_resolves_the_earlier_never_staged_items_today_stages_and_ages_the_open_ones(
    aged: tuple[Engine, Ran],
) -> None:
    engine, _ = aged
    query = select(items.c.run_date, items.c.transaction_id, items.c.resolved_on,
                   items.c.age_business_days)  # fmt: skip
    with engine.connect() as conn:
        found = {(r, t): (resolved, age) for r, t, resolved, age in conn.execute(query)}
    assert found == EXPECTED


def _plan(conn: Connection, statement: str, parameters: Any) -> str:
    planned = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    return " ".join(str(row[-1]) for row in planned)


def test_sqlite_reads_the_open_items_through_their_index(
    db_url: str, aged: tuple[Engine, Ran]
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's planner only: PostgreSQL chooses its own scan")
    engine, ran = aged
    assert len(ran) == 2 + OPEN_DATES  # resolve, find the open dates, age each date's items
    with engine.connect() as conn:
        plans = [_plan(conn, statement, parameters) for statement, parameters in ran]
    index = "ix_reconciliation_items_outcome_business_date_run_date"
    assert all(f"USING INDEX {index}" in plan for plan in plans), plans
    # Each open never-staged item looks up today's by primary key; before, each of today's
    # items was looked up among the earlier ones by transaction id.
    assert "sqlite_autoindex_reconciliation_items_1 (run_date=? AND transaction_id=?)" in plans[0]
    assert all("ix_reconciliation_items_transaction_id" not in plan for plan in plans), plans


def test_a_reset_takes_back_only_what_a_run_of_its_date_resolved(
    db_url: str, aged: tuple[Engine, Ran]
) -> None:
    """A re-run's reset deletes its date's items and un-resolves what that date resolved,
    and nothing another date resolved; on SQLite through the resolved items' index
    (migration 0012), not a read of every item of every date."""
    engine, _ = aged
    ran: Ran = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        ran.append((statement, parameters))

    with engine.begin() as conn:
        event.listen(conn, "before_cursor_execute", record)
        SqlEodStore(conn).reset(DAY)
        event.remove(conn, "before_cursor_execute", record)
    query = select(items.c.run_date, items.c.transaction_id, items.c.resolved_on)
    with engine.connect() as conn:
        found = {(r, t): resolved for r, t, resolved in conn.execute(query)}
    assert found == {key: None if resolved == DAY else resolved
                     for key, (resolved, _) in EXPECTED.items() if key[0] != DAY}  # fmt: skip
    assert found[(FRI, "T-was-resolved")] == BEFORE
    if db_url.startswith("sqlite"):
        [(update, parameters)] = [(s, p) for s, p in ran if "SET resolved_on = NULL" in s]
        with engine.connect() as conn:
            plan = _plan(conn, update, parameters)
        assert "USING INDEX ix_reconciliation_items_resolved_on (resolved_on=?)" in plan, plan
