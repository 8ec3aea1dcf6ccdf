"""What the end-of-day scheduler does at start and at every cutoff: catch up.

The scheduler itself (APScheduler 3, firing at the cutoff in the business timezone) and its
persisted job are an entry point: `settlement.entrypoints.scheduler`. At start, and at every
firing, it catches up here: every past business date (its cutoff has
passed) that has staged transactions and no completed run is run, oldest first. A date
without staged transactions is not run at all: a cutoff that fires on a day without
traffic leaves that date open, not locked as an empty day, so a journal imported or a
transaction staged for it later is still settled with it (`settlement eod --date D
--allow-empty` closes such a date by hand). So a missed
firing (process down over a cutoff) costs nothing but a later run, and `coalesce` plus
`misfire_grace_time` stop a backlog of identical firings. The job store is the database
itself (table `apscheduler_jobs`, owned by APScheduler, ignored by `alembic check`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from settlement.adapters import run_guard
from settlement.adapters.clock import Clock
from settlement.config import Settings
from settlement.domain.calendar import cutoff_instant
from settlement.eod.bank_file import bank_terms
from settlement.eod.fraud_aside import OpenScreenStore
from settlement.eod.payout_file import restore_payout_file
from settlement.eod.run import RunReport, RunReportStatus, RunRequest, StepHook, run_end_of_day

if TYPE_CHECKING:
    from sqlalchemy import Engine


def due_dates(engine: Engine, settings: Settings, now: datetime) -> list[date]:
    """Past business dates with staged transactions and no completed run, oldest first."""
    return _due(engine, settings, now, run_guard.completed_dates(engine))


def _due(engine: Engine, settings: Settings, now: datetime, done: set[date]) -> list[date]:
    dates = run_guard.staged_dates(engine)
    zone, cutoff = settings.zone, settings.cutoff_time
    return [d for d in dates if d not in done and cutoff_instant(d, zone, cutoff) <= now]


def catch_up(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    after_step: StepHook | None = None,
    open_screen: OpenScreenStore | None = None,
) -> list[RunReport]:
    """Run every due date, oldest first; a refused date (running elsewhere) is skipped.
    `after_step` is each run's step hook (the scheduler's progress lines).

    A date whose run fails (its failure is recorded in eod_runs, nothing of it committed)
    ends the catch-up with a `failed` report: later dates wait, so dates always settle in
    order, and the scheduler lives on to retry at the next cutoff.
    """
    reports = []
    done = run_guard.completed_dates(engine)
    last = max(done) if done else None
    bank = None if last is None else bank_terms(settings, last)
    if last and (restored := restore_payout_file(engine, last, settings.reports_dir, bank)):
        # The last run committed but died before writing its file (it is written after).
        reports.append(RunReport(last, RunReportStatus.PAYOUT_FILE_RESTORED, f"wrote {restored}"))
    for day in _due(engine, settings, clock(), done):
        try:
            request = RunRequest(
                day, clock(), owner="scheduler", after_step=after_step, open_screen=open_screen
            )
            report = run_end_of_day(engine, settings, request)
        except Exception as error:  # noqa: BLE001 - reported, and retried at the next cutoff
            reports.append(_failed(day, error))
            break
        reports.append(report)
        if report.status == RunReportStatus.REFUSED and report.reason != "running":
            # e.g. another database's payout file in the way: dates settle in order, so
            # later ones wait for the operator, like after a failure.
            break
    return reports


def _failed(day: date, error: Exception) -> RunReport:
    message = (
        f"end of day {day} failed: {type(error).__name__}: {error}; later dates wait."
        f" It is retried at the next cutoff, or now with `settlement eod --date {day}`."
    )
    return RunReport(business_date=day, status=RunReportStatus.FAILED, message=message)
