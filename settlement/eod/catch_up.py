"""The end-of-day scheduler: APScheduler 3 fires at the cutoff in the business timezone.

At start, and at every firing, it catches up: every past business date (its cutoff has
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

from collections.abc import Callable
from datetime import UTC, date, datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, select

from settlement.adapters import database, run_guard
from settlement.adapters.tables import staged_transactions
from settlement.config import Settings, load_settings
from settlement.domain.calendar import cutoff_instant
from settlement.eod.payout_file import restore_payout_file
from settlement.eod.run import RunReport, RunRequest, run_end_of_day
from settlement.errors import OperatorError

JOB_ID = "end-of-day"
Clock = Callable[[], datetime]  # naive UTC
Say = Callable[[str], object]


def cutoff_trigger(settings: Settings) -> CronTrigger:
    cutoff = settings.cutoff_time
    return CronTrigger(hour=cutoff.hour, minute=cutoff.minute, timezone=settings.zone)


def due_dates(engine: Engine, settings: Settings, now: datetime) -> list[date]:
    """Past business dates with staged transactions and no completed run, oldest first."""
    return _due(engine, settings, now, run_guard.completed_dates(engine))


def _due(engine: Engine, settings: Settings, now: datetime, done: set[date]) -> list[date]:
    with engine.connect() as conn:
        query = (
            select(staged_transactions.c.business_date)
            .distinct()
            .order_by(staged_transactions.c.business_date)
        )
        dates = [row[0] for row in conn.execute(query)]
    zone, cutoff = settings.zone, settings.cutoff_time
    return [d for d in dates if d not in done and cutoff_instant(d, zone, cutoff) <= now]


def catch_up(engine: Engine, settings: Settings, clock: Clock) -> list[RunReport]:
    """Run every due date, oldest first; a refused date (running elsewhere) is skipped.

    A date whose run fails (its failure is recorded in eod_runs, nothing of it committed)
    ends the catch-up with a `failed` report: later dates wait, so dates always settle in
    order, and the scheduler lives on to retry at the next cutoff.
    """
    reports = []
    done = run_guard.completed_dates(engine)
    if done and (restored := restore_payout_file(engine, max(done), settings.reports_dir)):
        # The last run committed but died before writing its file (it is written after).
        reports.append(RunReport(max(done), "payout_file_restored", f"wrote {restored}"))
    for day in _due(engine, settings, clock(), done):
        try:
            report = run_end_of_day(engine, settings, RunRequest(day, clock(), owner="scheduler"))
        except Exception as error:  # noqa: BLE001 - reported, and retried at the next cutoff
            reports.append(_failed(day, error))
            break
        reports.append(report)
        if report.status == "refused" and report.reason != "running":
            # e.g. another database's payout file in the way: dates settle in order, so
            # later ones wait for the operator, like after a failure.
            break
    return reports


def _failed(day: date, error: Exception) -> RunReport:
    message = (
        f"end of day {day} failed: {type(error).__name__}: {error}; later dates wait."
        f" It is retried at the next cutoff, or now with `settlement eod --date {day}`."
    )
    return RunReport(business_date=day, status="failed", message=message)


def scheduled_end_of_day() -> None:
    """The persisted job (must be importable by reference): catch up to the cutoff just passed.

    The database is opened as it must already be: had its file been deleted since the
    scheduler started, opening it the creating way would settle into a fresh empty one."""
    settings = load_settings()
    try:
        engine = database.open_existing(settings.database_url)
    except OperatorError as error:
        print(f"end of day not run: {error}", flush=True)
        return
    try:
        for report in catch_up(engine, settings, _utc_now):
            print(report.message, flush=True)
    finally:
        engine.dispose()


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def build_scheduler(settings: Settings) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler_misfire_grace_s,
        },
        timezone=settings.zone,
    )
    scheduler.add_job(
        scheduled_end_of_day, cutoff_trigger(settings), id=JOB_ID, replace_existing=True
    )
    return scheduler


def run_scheduler(settings: Settings, engine: Engine, clock: Clock, say: Say) -> None:
    """Catch up, then block, firing at every cutoff."""
    for report in catch_up(engine, settings, clock):
        say(report.message)
    scheduler = build_scheduler(settings)
    next_fire = cutoff_trigger(settings).get_next_fire_time(None, clock().replace(tzinfo=UTC))
    say(f"scheduler started; next end of day at {next_fire}")
    scheduler.start()
