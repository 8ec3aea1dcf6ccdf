"""The terminal screen's SQL pre-filter (`eod_sql.burst_terminals`) on SQLite and PostgreSQL:
it never misses a terminal the compromised-terminal rule can flag, at the window's exact
edge, across a bucket edge and with sub-second times, and the screen it feeds stores the
exhaustive screen's flags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from settlement.adapters import eod_sql, eod_store
from settlement.adapters.eod_store import SqlEodStore
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.domain.reconciliation import Tolerance
from settlement.domain.run_scope import Scope
from settlement.eod import fraud_step, fx_step, prefilter
from tests.support.hand_day import eod_database, load_hand_day
from tests.support.pgcluster import scratch_database
from tests.support.staging_builder import insert_staged, staged

DAY = date(2026, 3, 11)
WINDOW = timedelta(minutes=30)  # the shipped compromised_terminal: > 8 cards in 30 min
# 10:14:59.999999 UTC: 1800-second buckets start at :00 and :30, so a burst from here
# straddles a bucket edge, and its last purchase sits exactly one window later.
EDGE = datetime(2026, 3, 11, 10, 14, 59, 999_999)
Row = dict[str, Any]


def _burst(terminal: str, count: int, span: timedelta, start: datetime = EDGE) -> list[Row]:
    """`count` cards on one terminal, the first at `start`, the last exactly `span` later."""
    times = [start + timedelta(minutes=n) for n in range(count - 1)] + [start + span]
    return [
        staged(f"{terminal}-{n}", "12.00", business_date=start.date(), at=at,
               card=f"card-{terminal}-{n}", terminal_id=terminal)
        for n, at in enumerate(times)
    ]  # fmt: skip


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with eod_database(db_url, tmp_path) as ready:
        yield ready


@pytest.mark.parametrize("read_back", ["by_terminal", "one_pass"])
def test_burst_bound_keeps_every_terminal_the_rule_can_flag(
    setup: tuple[Engine, Settings], read_back: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = setup
    if read_back == "one_pass":  # as with very many candidates
        monkeypatch.setattr(eod_store, "CANDIDATE_TERMINALS", 1)
    rows = [
        *_burst("T-EXACT", 9, WINDOW),  # 9 cards within exactly 30 min: flagged
        *_burst("T-WIDE", 9, WINDOW + timedelta(microseconds=2)),  # just over: not flagged
        *_burst("T-EIGHT", 8, timedelta(minutes=5)),  # 8 cards: never
        *_burst("T-YDAY", 9, WINDOW, EDGE - timedelta(days=1)),  # history only, no purchase today
    ]
    insert_staged(engine, rows)
    rulebook = load_rulebook()
    bound = prefilter.terminal_burst_bound(rulebook)
    assert bound == prefilter.BurstBound(1800, 8)
    span = (DAY - timedelta(days=rulebook.terminal_lookback_days), DAY)
    with engine.connect() as conn:
        candidates = eod_sql.burst_terminals(conn, span, bound.window_s, bound.max_count)
        to_eur = fx_step.to_eur_converter(fx_step.quote_source(SqlEodStore(conn), DAY))
        quick = fraud_step.screen_day(SqlEodStore(conn), DAY, rulebook, to_eur)
        exhaustive = fraud_step.screen_day(
            SqlEodStore(conn), DAY, rulebook, to_eur, exhaustive=True
        )
    # a superset: T-WIDE may stay (whole seconds), T-EIGHT cannot
    assert {"T-EXACT", "T-YDAY"} <= set(candidates) and "T-EIGHT" not in candidates
    flagged = {f.transaction_id.split("-", 2)[1] for f in exhaustive}
    assert flagged == {"EXACT"}
    key = lambda f: (f.transaction_id, f.rule)  # noqa: E731
    assert sorted(quick, key=key) == sorted(exhaustive, key=key)


def test_other_terminal_rules_fall_back_to_the_python_bound() -> None:
    assert (
        prefilter.terminal_burst_bound(
            load_rulebook("[rules.compromised_terminal]\nenabled = false\n")
        )
        is None
    )


@pytest.mark.postgres
def test_the_run_plans_on_statistics_of_a_day_loaded_just_before_it(
    pg_server: str, tmp_path: Path
) -> None:
    """A day loaded just before the cutoff is not analyzed yet (autovacuum waits for its
    next round); planned on no statistics, the burst query's self-join was a nested loop of
    every bucket against every bucket, minutes at 100k purchases. The run's first step
    refreshes the statistics of the tables it reads, inside its own transaction. (SQLite's
    planner leans on indexes, not row counts.)"""
    counted = "SELECT relname, reltuples FROM pg_class WHERE relname IN" \
        " ('staged_transactions', 'journal_entries') ORDER BY relname"  # fmt: skip
    with scratch_database(pg_server) as url, eod_database(url, tmp_path) as (engine, settings):
        load_hand_day(engine, settings)
        with eod_store.run_transaction(engine) as store:
            assert [r[1] for r in store.conn.exec_driver_sql(counted)] == [-1, -1]  # never
            scope = Scope(DAY, datetime(2026, 3, 11, 22), DAY - timedelta(days=3), False)
            store.reconcile(scope, Tolerance(0, 0))
            tuples = dict(store.conn.exec_driver_sql(counted).all())
        assert tuples["staged_transactions"] > 0 and tuples["journal_entries"] > 0, tuples
