"""The local end-of-day scheduler (`settlement scheduler`) and its persisted job.

APScheduler 3 fires at the cutoff in the business timezone; what it does then, and at start,
is `settlement.eod.catch_up.catch_up`. The job store is the database itself (table
`apscheduler_jobs`, owned by APScheduler, ignored by `alembic check`), and `coalesce` plus
`misfire_grace_time` stop a backlog of identical firings.

The job is stored by reference (`settlement.entrypoints.scheduler:end_of_day_job`), so it
must stay importable under that name; `build_scheduler` replaces the stored job at every
start, so a job stored under an older reference is rewritten before it can fire.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, Table, inspect
from sqlalchemy.exc import SQLAlchemyError

from settlement.adapters import database
from settlement.adapters.clock import Clock, utc_now
from settlement.config import Settings, load_settings
from settlement.entrypoints.reading import screen_opener
from settlement.eod.catch_up import catch_up
from settlement.eod.run import StepHook
from settlement.errors import OperatorError

JOB_ID = "end-of-day"
Say = Callable[[str], object]
# The step hook `run_scheduler` was given, for the job's runs in this process (a persisted
# job is stored by reference and takes no arguments).
_after_step: list[StepHook] = []


def cutoff_trigger(settings: Settings) -> CronTrigger:
    cutoff = settings.cutoff_time
    return CronTrigger(hour=cutoff.hour, minute=cutoff.minute, timezone=settings.zone)


def end_of_day_job() -> None:
    """The persisted job: catch up to the cutoff just passed, with the settings and the
    clock read now (the job outlives the process that scheduled it).

    The database is opened as it must already be: had its file been deleted since the
    scheduler started, opening it the creating way would settle into a fresh empty one."""
    settings = load_settings()
    try:
        engine = database.open_existing(settings.database_url)
    except OperatorError as error:
        print(f"end of day not run: {error}", flush=True)
        return
    try:
        hook, screen = next(iter(_after_step), None), screen_opener(settings)
        for report in catch_up(engine, settings, utc_now, hook, screen):
            print(report.message, flush=True)
    finally:
        engine.dispose()


def build_scheduler(settings: Settings) -> BlockingScheduler:
    store = SQLAlchemyJobStore(url=settings.database_url)
    create_job_table(store.jobs_t, store.engine)
    scheduler = BlockingScheduler(
        jobstores={"default": store},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler_misfire_grace_s,
        },
        timezone=settings.zone,
    )
    scheduler.add_job(end_of_day_job, cutoff_trigger(settings), id=JOB_ID, replace_existing=True)
    return scheduler


def create_job_table(table: Table, engine: Engine) -> None:
    """The job store's table, made before APScheduler starts. Why: the store checks for its
    table and then creates it, so two schedulers started at once on one database could both
    find none, and the second to create it died ("table apscheduler_jobs already exists").
    Here the loser of that race finds the winner's table and goes on; any other failure to
    create it is raised as before."""
    try:
        table.create(engine, checkfirst=True)
    except SQLAlchemyError:
        if not inspect(engine).has_table(table.name, schema=table.schema):
            raise


def run_scheduler(
    settings: Settings, engine: Engine, clock: Clock, say: Say, after_step: StepHook | None = None
) -> None:
    """Catch up, then block, firing at every cutoff; `after_step` sees every run's steps."""
    _after_step[:] = [] if after_step is None else [after_step]
    for report in catch_up(engine, settings, clock, after_step):
        say(report.message)
    scheduler = build_scheduler(settings)
    next_fire = cutoff_trigger(settings).get_next_fire_time(None, clock().replace(tzinfo=UTC))
    say(f"scheduler started; next end of day at {next_fire}")
    scheduler.start()
