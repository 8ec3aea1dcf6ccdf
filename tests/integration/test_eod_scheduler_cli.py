"""`settlement scheduler` as a user starts it, on SQLite and PostgreSQL, with no sleeping.

APScheduler's real BlockingScheduler runs its real main loop; only time is virtual. Its
clock (`datetime.now` inside APScheduler, and the clocks the command and the job read) is
one injected FakeClock, and the scheduler's wake-up Event, instead of sleeping for the
seconds APScheduler computed, advances that clock by them. So the test sees the scheduler
choose its own wake-up at the cutoff in the business timezone (across the spring DST change)
and fire the persisted job there, which runs the business date that just closed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors import base as executor_base
from apscheduler.schedulers import base as scheduler_base
from apscheduler.schedulers import blocking
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from settlement.adapters import database
from settlement.adapters.eod_tables import eod_runs
from settlement.adapters.imports import import_merchants
from settlement.cli import app
from settlement.cli import eod as eod_cli
from settlement.entrypoints import scheduler as eod_scheduler
from tests.support.staging_builder import MERCHANTS_HEADER, insert_staged, merchant_line, staged

START = datetime(2026, 3, 29, 12, 0)  # Sunday; Amsterdam moved to CEST at 01:00 UTC today
FRIDAY, SUNDAY = date(2026, 3, 27), date(2026, 3, 29)
SUNDAY_CUTOFF = datetime(2026, 3, 29, 20, 0)  # 22:00 CEST; it was 21:00 UTC on Friday


class FakeClock:
    """Naive UTC now, moved only by the scheduler's waits."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.waits_s: list[float] = []

    def __call__(self) -> datetime:
        return self.now


def frozen_datetime(clock: FakeClock) -> type[datetime]:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Any:
            aware = clock.now.replace(tzinfo=UTC)
            return aware.astimezone(tz) if tz is not None else clock.now

    return Frozen


def virtual_event(clock: FakeClock) -> type[Any]:
    """threading.Event whose first unset wait advances the clock instead of sleeping; later
    waits really block (bounded) until the scheduler is shut down by the test's listener."""

    class VirtualEvent:
        def __init__(self) -> None:
            self._real = threading.Event()

        def set(self) -> None:
            self._real.set()

        def clear(self) -> None:
            self._real.clear()

        def is_set(self) -> bool:
            return self._real.is_set()

        def wait(self, timeout: float | None = None) -> bool:
            if self._real.is_set():
                return True
            if not clock.waits_s:
                clock.waits_s.append(float(timeout or 0))
                clock.now += timedelta(seconds=float(timeout or 0))
                return False
            return self._real.wait(30)  # the fired job runs in APScheduler's thread pool

    return VirtualEvent


@pytest.fixture
def ready(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(tmp_path / "out"))
    database.upgrade(db_url)
    engine = database.create_db_engine(db_url)
    import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 100, "0")])
    insert_staged(engine, [
        staged("F1", "10.00", business_date=FRIDAY, at=datetime(2026, 3, 27, 9)),
        staged("S1", "20.00", business_date=SUNDAY, at=datetime(2026, 3, 29, 10)),
        staged("S2", "5.00", business_date=SUNDAY, at=datetime(2026, 3, 29, 19, 59)),
    ])  # fmt: skip
    yield engine
    engine.dispose()


def _runs(engine: Engine) -> dict[date, tuple[str, str, datetime]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(eod_runs.c.business_date, eod_runs.c.status, eod_runs.c.owner,
                   eod_runs.c.finished_at)
        )  # fmt: skip
        return {
            (d if isinstance(d, date) else date.fromisoformat(d)): (s, o, f) for d, s, o, f in found
        }


def test_scheduler_command_catches_up_then_fires_at_the_cutoff(
    ready: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(START)
    frozen = frozen_datetime(clock)
    monkeypatch.setattr(scheduler_base, "datetime", frozen)
    monkeypatch.setattr(executor_base, "datetime", frozen)
    monkeypatch.setattr(blocking, "Event", virtual_event(clock))
    monkeypatch.setattr(eod_cli, "utc_now", clock)  # the command's clock
    monkeypatch.setattr(eod_scheduler, "utc_now", clock)  # the persisted job's clock
    started: list[blocking.BlockingScheduler] = []
    fired: list[JobExecutionEvent] = []
    original_start = blocking.BlockingScheduler.start

    def start(self: blocking.BlockingScheduler, *args: Any, **kwargs: Any) -> None:
        def stop_after_first_firing(event: JobExecutionEvent) -> None:
            fired.append(event)
            self.shutdown(wait=False)

        self.add_listener(stop_after_first_firing, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        started.append(self)
        original_start(self, *args, **kwargs)

    monkeypatch.setattr(blocking.BlockingScheduler, "start", start)
    try:
        result = CliRunner().invoke(app, ["scheduler"])
    finally:
        for scheduler in started:  # its main loop polls the store once more after shutdown
            scheduler._lookup_jobstore("default").engine.dispose()
    assert result.exit_code == 0, result.output
    assert f"end of day {FRIDAY} completed" in result.output  # caught up at start
    assert "next end of day at 2026-03-29 22:00:00+02:00" in result.output
    # APScheduler chose to wake exactly at Sunday's cutoff, 8 hours (not 9) after noon UTC
    assert clock.waits_s == [8 * 3600.0]
    [event] = fired
    assert event.exception is None, event.traceback
    assert event.scheduled_run_time.astimezone(UTC).replace(tzinfo=None) == SUNDAY_CUTOFF
    runs = _runs(ready)
    assert runs[FRIDAY][:2] == runs[SUNDAY][:2] == ("completed", "scheduler")
    assert runs[FRIDAY][2] == START and runs[SUNDAY][2] == SUNDAY_CUTOFF
    with ready.connect() as conn:
        jobs = list(conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")))
    # persisted in the same database, already pointing at Monday's cutoff
    assert [(job_id, float(t)) for job_id, t in jobs] == [
        ("end-of-day", datetime(2026, 3, 30, 20, 0, tzinfo=UTC).timestamp())
    ]
