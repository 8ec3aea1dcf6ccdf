"""The scorecard's "catchable" on both backends: the SQL store reads the labelled fraud
purchases back as the memory store does, and the settled day's report says, per scenario,
how many of its transactions its rules can catch at all."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from pos_simulator.dayfiles import read_labels
from settlement.adapters.eod_memory import MemoryEodStore
from settlement.adapters.eod_store import run_transaction
from tests.support.eod_stores import memory_store_of
from tests.support.reports import settled_generated_day, write_day_reports

DAY = date(2026, 10, 14)


def test_labelled_purchases_read_back_and_scored(db_url: str, tmp_path: Path) -> None:
    with settled_generated_day(db_url, tmp_path, DAY, profile="fraud-heavy") as (engine, settings):
        labels = read_labels(tmp_path / "day")
        fraud = sorted(tid for tid, label in labels.items() if label != "legit")
        asked = [*fraud, "no-such-id"]
        with run_transaction(engine) as store:
            from_sql = {tx.transaction_id: tx for tx in store.purchases_by_id(DAY, asked)}
        memory = memory_store_of(engine)
        assert from_sql == {tx.transaction_id: tx for tx in memory.purchases_by_id(DAY, asked)}
        assert len(from_sql) >= 0.9 * len(fraud)  # a few were lost or malformed on purpose
        with run_transaction(engine) as store:
            assert list(store.purchases_by_id(date(2026, 10, 15), fraud)) == []
        _groups_holding_agree(engine, memory, [*fraud[::3], "no-such-id", "x" * 80])
        written = write_day_reports(engine, settings, DAY, tmp_path / "out")
    summary = json.loads((written.html.parent / "summary.json").read_text("utf-8"))
    catchable = summary["fraud_scorecard"]["catchable"]
    assert sum(row["transactions"] for row in catchable.values()) == len(from_sql)
    for row in catchable.values():
        assert row["catchable"] + sum(row["not_catchable"].values()) == row["transactions"]
    night = catchable["high_risk_mcc_night"]
    assert night["transactions"] > 0 and night["catchable"] == night["transactions"]
    assert "catchable" in written.html.read_text("utf-8")


def _groups_holding_agree(engine: Engine, memory: MemoryEodStore, ids: list[str]) -> None:
    """The SQL store's groups holding `ids` (read through a table of them) are the memory
    store's, whole, in the same order; the table is gone after, even when read halfway."""
    for key, days in (("card_token", 7), ("terminal_id", 1), ("terminal_id", 0)):
        span = (DAY - timedelta(days=days), DAY)
        expected = list(memory.groups_holding(key, span, ids))
        with run_transaction(engine) as store:
            assert list(store.groups_holding(key, span, ids)) == expected
            assert expected and list(store.groups_holding(key, span, [])) == []
            halfway = store.groups_holding(key, span, ids)
            next(halfway)
            halfway.close()
            assert list(store.groups_holding(key, span, ids)) == expected  # nothing left locked
