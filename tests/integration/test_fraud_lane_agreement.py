"""The asynchronous fraud lane agrees with the end of day on a generated day: the simulator's
day (its fraud scenarios included) staged through the gateway, replayed through the lane in
arrival order and in a shuffled order, gives exactly the flags and decisions of the batch's
screen, pre-filtered and exhaustive, on the SQL store and on the in-memory store; on SQLite
and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pos_simulator.generate import generate_day
from pos_simulator.writer import LABELS
from settlement.adapters.database import upgrade
from settlement.cli.demo import DemoPlan, import_inputs, ingest
from settlement.cli.report import migrated_engine
from settlement.compare.lane_replay import eur_converter, replay_lane, screen_batch
from settlement.config import load_settings
from settlement.domain.fraud import decide, load_rulebook
from settlement.domain.fraud.lane import FraudLane
from settlement.eod.fraud_step import screen_day
from settlement.eod.labels import read_labels
from tests.support.eod_stores import memory_store_of
from tests.support.lane_cases import flag_set
from tests.support.reports import silent_board

DAY = date(2026, 10, 14)
TRANSACTIONS = 3_000


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_the_lane_ends_with_the_batchs_verdict_on_a_generated_day(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(db_url)  # PostgreSQL is migrated explicitly, as in real mode
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    settings = load_settings()
    plan = DemoPlan(DAY, TRANSACTIONS, 42, "direct", False, tmp_path / "demo")
    generate_day(plan.config(settings), plan.day_dir)
    rulebook = load_rulebook(None)
    with migrated_engine(settings) as engine:
        import_inputs(engine, settings, plan, silent_board())
        ingest(settings, plan, lambda _n: None)
        to_eur = eur_converter(engine, DAY, settings.fx_max_rate_age_days)
        lane_run = replay_lane(engine, DAY, rulebook, to_eur)
        batch = screen_batch(engine, DAY, rulebook, to_eur)
        memory = memory_store_of(engine)
    lane = lane_run.lane
    assert len(lane_run.arrivals) > 2_500

    # the day exercises the rules: several scenarios held, more than a handful of holds
    labels = read_labels(plan.day_dir / LABELS)
    held = {tid for tid, decision in batch.decisions.items() if decision.held}
    assert len(held) > 20
    assert len(Counter(labels[tid] for tid in held) - Counter(legit=len(held))) >= 4

    assert flag_set(lane.flags) == flag_set(batch.flags)
    assert lane.decisions == batch.decisions
    assert set(lane.held_at) == held

    exhaustive = screen_day(memory, DAY, rulebook, to_eur, exhaustive=True)
    assert flag_set(exhaustive) == flag_set(batch.flags)
    assert decide(exhaustive, rulebook) == lane.decisions

    shuffled = list(lane_run.arrivals)
    random.Random(7).shuffle(shuffled)
    again = FraudLane(DAY, rulebook, to_eur, use_bounds=False)
    for tx, sent_at in shuffled:
        again.observe(tx, sent_at)
    assert flag_set(again.flags) == flag_set(batch.flags)
    assert again.decisions == batch.decisions
