"""Run guard and crash safety: idempotent re-run, --rerun, concurrency refusal, crashes and
broken invariants leave nothing half-written; weekend rate fallback."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select, text, update

from settlement.adapters.eod_tables import RESULT_TABLES, eod_runs, fx_conversions, payouts
from settlement.config import Settings
from settlement.eod.ledger_step import InvariantBroken
from settlement.eod.run import RunRequest, RunSuperseded, run_end_of_day
from tests.support.hand_day import DAY, NOW, eod_database, load_hand_day
from tests.support.staging_builder import (
    MERCHANTS_HEADER,
    claim_running,
    insert_staged,
    merchant_line,
    staged,
)

Setup = tuple[Engine, Settings]


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    with eod_database(db_url, tmp_path) as ready:
        yield ready


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(select(table)))
            for table in RESULT_TABLES
        }


def test_rerun_is_refused_unless_asked_and_replaces_atomically(setup: Setup) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)
    first = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    before = snapshot(engine)
    again = run_end_of_day(engine, settings, RunRequest(DAY, NOW + timedelta(hours=1)))
    assert again.status == "already_completed"
    assert "already completed; use --rerun" in again.message
    assert snapshot(engine) == before
    rerun = run_end_of_day(engine, settings, RunRequest(DAY, NOW, rerun=True))
    assert rerun.status == "completed" and rerun.run_id != first.run_id
    assert snapshot(engine) == before  # replaced, never a second payout
    with engine.connect() as conn:
        assert conn.execute(select(eod_runs.c.attempt)).scalar_one() == 2
        assert len(list(conn.execute(select(payouts)))) == 3


def test_concurrent_run_is_refused_and_a_stale_one_taken_over(setup: Setup) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)
    claim_running(engine, DAY, NOW)
    refused = run_end_of_day(engine, settings, RunRequest(DAY, NOW + timedelta(minutes=5)))
    assert refused.status == "refused"
    assert "already running" in refused.message and "host-b:42" in refused.message
    assert all(not rows for rows in snapshot(engine).values())
    later = NOW + timedelta(seconds=settings.eod_stale_run_s + 1)
    taken = run_end_of_day(engine, settings, RunRequest(DAY, later))
    assert taken.status == "completed"


def test_concurrent_run_refused_while_the_first_is_inside_its_transaction(setup: Setup) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)
    seen: list[str] = []

    def second_run(step: str, _conn: Connection) -> None:
        if step == "reconcile":
            seen.append(run_end_of_day(engine, settings, RunRequest(DAY, NOW)).message)

    run_end_of_day(engine, settings, RunRequest(DAY, NOW, after_step=second_run))
    assert len(seen) == 1 and "already running" in seen[0]


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("step", ["reconcile", "fraud", "fx", "settle", "ledger", "complete"])
def test_crash_between_steps_leaves_the_date_rerunnable(setup: Setup, step: str) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)

    def crash(name: str, _conn: Connection) -> None:
        if name == step:
            raise Crash(name)

    with pytest.raises(Crash):
        run_end_of_day(engine, settings, RunRequest(DAY, NOW, after_step=crash))
    assert all(not rows for rows in snapshot(engine).values())
    with engine.connect() as conn:
        status, message = conn.execute(select(eod_runs.c.status, eod_runs.c.message)).one()
    assert status == "failed" and "Crash" in message
    assert run_end_of_day(engine, settings, RunRequest(DAY, NOW)).status == "completed"
    crashed_then_run = snapshot(engine)
    clean = run_end_of_day(engine, settings, RunRequest(DAY, NOW, rerun=True))
    assert clean.status == "completed"
    assert snapshot(engine) == crashed_then_run


def test_failed_rerun_keeps_the_previous_results(setup: Setup) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)
    run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    before = snapshot(engine)

    def crash(name: str, _conn: Connection) -> None:
        if name == "settle":
            raise Crash(name)

    with pytest.raises(Crash):
        run_end_of_day(engine, settings, RunRequest(DAY, NOW, rerun=True, after_step=crash))
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(eod_runs.c.status)).scalar_one() == "completed"


def test_broken_invariant_aborts_with_the_numbers(setup: Setup) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)

    def lose_a_line(name: str, conn: Connection) -> None:
        if name == "settle":  # a bug that drops a settlement line after netting
            conn.execute(text("DELETE FROM settlement_lines WHERE transaction_id = 'P6'"))

    with pytest.raises(InvariantBroken) as caught:
        run_end_of_day(engine, settings, RunRequest(DAY, NOW, after_step=lose_a_line))
    message = str(caught.value)
    assert "conservation [GBP]: staged 1000 != settled 0" in message
    assert "payout_identity [JPY]" in message
    assert all(not rows for rows in snapshot(engine).values())


def test_a_run_taken_over_mid_way_rolls_back_instead_of_completing(setup: Setup) -> None:
    """Another host took the date over while this run still ran (its heartbeat had gone
    stale): at completion the guard row names the other run, so this one writes nothing."""
    engine, settings = setup
    load_hand_day(engine, settings)

    def taken_over(name: str, conn: Connection) -> None:
        if name == "ledger":  # as the other run's committed claim would leave the row
            conn.execute(update(eod_runs).where(eod_runs.c.business_date == DAY).values(run_id="b"))

    with pytest.raises(RunSuperseded, match="was taken over"):
        run_end_of_day(engine, settings, RunRequest(DAY, NOW, after_step=taken_over))
    assert all(not rows for rows in snapshot(engine).values())


def test_a_long_run_alive_on_this_host_keeps_its_date(setup: Setup) -> None:
    engine, settings = setup
    load_hand_day(engine, settings)
    alive = subprocess.Popen(["sleep", "60"])  # stands for a run still working on this host
    try:
        here = f"running in process {socket.gethostname()}:{alive.pid}"
        claim_running(engine, DAY, NOW, owner="scheduler", message=here)
        much_later = NOW + timedelta(seconds=settings.eod_stale_run_s * 3)
        report = run_end_of_day(engine, settings, RunRequest(DAY, much_later))
        assert report.status == "refused" and "already running" in report.message
    finally:
        alive.kill()
        alive.wait()
    report = run_end_of_day(engine, settings, RunRequest(DAY, NOW + timedelta(minutes=1)))
    assert report.status == "completed"  # its process gone: taken over at once


def test_weekend_takes_fridays_ecb_rate_and_records_it(setup: Setup) -> None:
    engine, settings = setup
    from settlement.adapters.imports import import_merchants  # noqa: PLC0415

    import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 0, "0")])
    sunday = date(2026, 3, 8)
    row = staged("W1", "10.00", "USD", business_date=sunday, at=datetime(2026, 3, 8, 9))
    insert_staged(engine, [row])
    from settlement.adapters.imports import import_journal  # noqa: PLC0415
    from tests.support.staging_builder import JOURNAL_HEADER, journal_line  # noqa: PLC0415

    import_journal(engine, [JOURNAL_HEADER, journal_line(row)], settings, NOW)
    report = run_end_of_day(engine, settings, RunRequest(sunday, datetime(2026, 3, 8, 21)))
    assert report.status == "completed", report.message
    with engine.connect() as conn:
        rate = conn.execute(select(fx_conversions)).one()
    assert (rate.rate_date, rate.source) == (date(2026, 3, 6), "ecb")
