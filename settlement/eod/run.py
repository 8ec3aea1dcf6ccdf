"""One end-of-day run for one business date.

1. Claim the date in `eod_runs` (own committed transaction): a concurrent run is refused, a
   completed date is left alone unless `rerun`.
2. Everything else happens in ONE database transaction: delete the date's previous results,
   reconcile, screen for fraud, convert, settle, net, post the ledger, check the invariants,
   mark the run completed. A crash or a broken invariant rolls all of it back, so the date is
   either untouched (re-runnable, with identical results) or completely replaced.
3. After the commit, write the payout file and the SEPA credit transfer file beside it
   (rewritten whole, so it is idempotent too).

Before any of it, the run refuses (returns a `refused` report, exit code 3, and claims
nothing) a date whose cutoff has not passed (`before_cutoff` overrides), a date with neither
staged transactions nor journal lines (`allow_empty` overrides: a holiday still ages open
items), and a date whose payout file exists although this database never completed it
(another database's file; `rerun` replaces it). These live here, not in the commands, so the
CLI, the scheduler and the Lambda all get them. A reports directory it cannot write is an
error before the claim; an SQLite file deleted or replaced during the run is an error after
the commit (the commit went to the old file), never "completed".
"""

from __future__ import annotations

import os
import socket
import time as stopwatch
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settlement.adapters import database, eod_sql, eod_store, run_guard
from settlement.adapters.run_progress import ProgressFile
from settlement.config import Settings
from settlement.domain.calendar import cutoff_instant
from settlement.domain.fraud import Rulebook, ToEur, load_rulebook
from settlement.domain.reconciliation import Tolerance
from settlement.domain.run_status import RunStatus
from settlement.eod import fraud_step, fx_step, ledger_step
from settlement.eod.bank_file import bank_file_path, bank_terms
from settlement.eod.fraud_aside import (
    ASIDE_MIN_PURCHASES,
    DayScreen,
    OpenScreenStore,
    ScreenJob,
    screening_aside,
)
from settlement.eod.input_file import read_input_text
from settlement.eod.payout_file import (
    payout_file_path,
    prepare_directory,
    restore_payout_file,
    write_payout_file,
)
from settlement.eod.store import EodStore, Scope
from settlement.errors import DatabaseReplaced
from settlement.exit_codes import ExitCode

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

StepHook = Callable[[str, "Connection"], None]  # (step just done, the run's connection)
# The steps `close_day` reports to its hook, in order (the commands' progress counts them).
STEPS = ("reset", "reconcile", "fraud", "fx", "settle", "ledger", "complete")


@dataclass(frozen=True, slots=True)
class RunRequest:
    business_date: date
    now: datetime  # naive UTC, from the entry point's clock
    rerun: bool = False
    labels: Mapping[str, str] | None = None
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    after_step: StepHook | None = None  # tests inject crashes here
    before_cutoff: bool = False  # run a date that is still open (its cutoff is ahead)
    allow_empty: bool = False  # run a date without staged transactions or journal lines
    # An entry point's opener of the run's snapshot in another process: a large day's fraud
    # screen then runs there while this one reconciles (`fraud_aside`). None: screened here.
    open_screen: OpenScreenStore | None = None


class RunSuperseded(RuntimeError):
    """The date's guard row names another run now: this run's results must not commit."""


class RunReportStatus(StrEnum):
    """What asking for one date's end of day came to: the commands' exit code follows it."""

    COMPLETED = "completed"
    ALREADY_COMPLETED = "already_completed"  # a refusal: left alone without --rerun
    REFUSED = "refused"  # see `reason`
    FAILED = "failed"  # the scheduler's catch-up: the run raised, nothing committed
    PAYOUT_FILE_RESTORED = "payout_file_restored"  # catch-up rewrote a committed run's file


@dataclass
class RunReport:
    business_date: date
    status: RunReportStatus
    message: str
    run_id: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    scorecard: dict[str, Any] | None = None
    payout_file: Path | None = None
    # why a run was refused: running | before_cutoff | empty | payout_file_exists
    reason: str | None = None

    @property
    def exit_code(self) -> ExitCode:
        """The command's exit code: a refusal (already completed included) is 3; restoring a
        committed run's missing payout file is work done, not a failure."""
        if self.status in {RunReportStatus.COMPLETED, RunReportStatus.PAYOUT_FILE_RESTORED}:
            return ExitCode.DONE
        if self.status in {RunReportStatus.ALREADY_COMPLETED, RunReportStatus.REFUSED}:
            return ExitCode.REFUSED
        return ExitCode.FAILED


def run_end_of_day(engine: Engine, settings: Settings, request: RunRequest) -> RunReport:
    day = request.business_date
    refused = _refusal(engine, settings, request)
    if refused is not None:
        return refused
    files = (payout_file_path(day, settings.reports_dir), bank_file_path(day, settings.reports_dir))
    prepare_directory(settings.reports_dir, *files)
    rulebook = _rulebook(settings)
    url = engine.url.render_as_string(hide_password=False)
    identity = database.file_identity(url)
    claim = run_guard.claim(
        engine, day, request.now, rerun=request.rerun, owner=request.owner[:128],
        stale_after=timedelta(seconds=settings.eod_stale_run_s),
    )  # fmt: skip
    if isinstance(claim, run_guard.Refusal):
        if claim.status != RunStatus.COMPLETED:
            return RunReport(day, RunReportStatus.REFUSED, claim.message, reason="running")
        report = RunReport(day, RunReportStatus.ALREADY_COMPLETED, claim.message)
        bank = bank_terms(settings, day)
        report.payout_file = restore_payout_file(engine, day, settings.reports_dir, bank)
        return report
    try:
        report = _execute(engine, settings, request, claim, rulebook)
    except BaseException as error:
        run_guard.release_after_failure(
            engine, day, claim, f"{type(error).__name__}: {error}", request.now
        )
        raise
    _same_database_file(url, identity, day)
    report.payout_file = write_payout_file(
        engine, day, settings.reports_dir, replace=request.rerun, bank=bank_terms(settings, day)
    )
    return report


def _refusal(engine: Engine, settings: Settings, request: RunRequest) -> RunReport | None:
    """The reasons not to start at all, each with the flag that overrides it."""
    day = request.business_date
    if run_guard.status_of(engine, day) == RunStatus.COMPLETED and not request.rerun:
        return None  # the claim says "already completed" (and restores a missing file)
    closes = cutoff_instant(day, settings.zone, settings.cutoff_time)
    if closes > request.now and not request.before_cutoff:
        return _refused(
            day, "before_cutoff",
            f"its cutoff ({closes:%Y-%m-%d %H:%M} UTC) has not passed, and settling it now"
            " would turn the rest of its traffic into late arrivals; --before-cutoff runs it",
        )  # fmt: skip
    where = database.masked_url(engine.url.render_as_string(hide_password=False))
    if not request.allow_empty and not eod_sql.day_has_input(engine, day):
        return _refused(
            day, "empty",
            f"{where} holds no staged transactions and no journal lines for it (a wrong date or"
            " database?); --allow-empty closes an empty day, e.g. a holiday",
        )  # fmt: skip
    files = (payout_file_path(day, settings.reports_dir), bank_file_path(day, settings.reports_dir))
    existing = next((path for path in files if path.is_file()), files[0])
    if existing.is_file() and not request.rerun:
        return _refused(
            day, "payout_file_exists",
            f"{existing} exists, but {where} has no completed run of it (another database's"
            " file?); move it away, or --rerun replaces it",
        )  # fmt: skip
    return None


def _refused(day: date, reason: str, why: str) -> RunReport:
    return RunReport(
        day, RunReportStatus.REFUSED, f"end of day {day} refused: {why}", reason=reason
    )


def _same_database_file(url: str, before: tuple[int, int] | None, day: date) -> None:
    """The SQLite file the run committed to is still the configured one."""
    if database.file_identity(url) == before:
        return
    raise DatabaseReplaced(
        f"database {database.masked_url(url)}: the file was deleted or replaced during the end"
        f" of day of {day}, so what the run committed is not in it; not completed. Restore"
        " the database file and run the date again"
    )


StepDone = Callable[[str, Mapping[str, float]], None]  # (step just done, timings so far)


class _Steps:
    """Times each step and calls the run's hook after it (the live view's progress file;
    tests inject crashes there)."""

    def __init__(self, hook: StepDone | None) -> None:
        self.hook = hook
        self.timings: dict[str, float] = {}
        self._mark = stopwatch.perf_counter()

    def done(self, name: str) -> None:
        now = stopwatch.perf_counter()
        self.timings[name] = round(now - self._mark, 3)
        self._mark = now
        if self.hook is not None:
            self.hook(name, self.timings)


def _rulebook(settings: Settings) -> Rulebook:
    """The fraud rulebook, read and checked before the date is claimed: a bad file is a
    usage error that changes nothing (read after the claim, it left a failed run behind)."""
    path = settings.fraud_rules_file
    if path is None:
        return load_rulebook(None)
    what = f"fraud rulebook {path} (CARDSETTLE_FRAUD_RULES_FILE)"
    return load_rulebook(read_input_text(path, what))


def _execute(
    engine: Engine,
    settings: Settings,
    request: RunRequest,
    claim: run_guard.Claim,
    rulebook: Rulebook,
) -> RunReport:
    """The run in ONE database transaction: a crash or a broken invariant rolls it all back.
    Each step done is published to a progress file for the live view (adapters/run_progress)."""
    progress = ProgressFile(settings.reports_dir, request.business_date, claim.run_id)
    try:
        with eod_store.run_transaction(engine) as store:
            hook = request.after_step

            def on_step(name: str, timings_s: Mapping[str, float]) -> None:
                progress.publish(timings_s)
                if hook is not None:
                    hook(name, store.conn)

            report = close_day(store, settings, request, claim.run_id, rulebook, on_step=on_step)
    finally:
        progress.clear()
    report.message += f" (run {claim.run_id}, attempt {claim.attempt})"
    return report


@contextmanager
def _day_screen(
    store: EodStore, request: RunRequest, rulebook: Rulebook, to_eur: ToEur
) -> Iterator[DayScreen]:
    """The date's fraud screen, shared with a second process when the entry point gave an
    opener, the day is large and the rulebook can be rebuilt there; else all in this one."""
    day = request.business_date
    here = DayScreen(store, day, rulebook, to_eur)
    if (
        request.open_screen is None
        or rulebook.source is None
        or not store.purchases_at_least(day, ASIDE_MIN_PURCHASES)
    ):
        yield here
        return
    snapshot = store.exported_snapshot()
    job = ScreenJob(request.open_screen, snapshot, day, rulebook.source, to_eur)
    with screening_aside(here, job, request.labels) as screen:
        yield screen


def _reconcile(store: EodStore, settings: Settings, day: date, steps: _Steps) -> Scope:
    """Classify everything in the date's scope (its previous results are reset already)."""
    scope = store.scope(
        day,
        cutoff_instant(day, settings.zone, settings.cutoff_time),
        day - timedelta(days=settings.eod_late_lookback_days),
    )
    steps.done("reset")
    tolerance = Tolerance(settings.recon_amount_tolerance_minor, settings.recon_time_window_s)
    store.reconcile(scope, tolerance)
    steps.done("reconcile")
    return scope


def _complete(store: EodStore, request: RunRequest, run_id: str, summary: dict[str, Any]) -> None:
    day = request.business_date
    if not store.complete(day, run_id, request.now, summary):
        # Another run took the date over (this one's heartbeat went stale): roll back, so
        # the date's results are the other run's alone and nobody is paid twice.
        raise RunSuperseded(f"end of day {day}: run {run_id} was taken over")


def close_day(
    store: EodStore,
    settings: Settings,
    request: RunRequest,
    run_id: str,
    rulebook: Rulebook,
    *,
    on_step: StepDone | None = None,
) -> RunReport:
    """The end of day of one claimed date on any store: reset, reconcile, screen for fraud,
    convert, settle and net, post the ledger and check the invariants, age open items, mark
    the run completed. Raises InvariantBroken, or RunSuperseded when another run took the
    date over; the caller rolls the store back then."""
    day = request.business_date
    steps = _Steps(on_step)
    store.reset(day)
    quote = fx_step.quote_source(store, day, settings.fx_max_rate_age_days)
    to_eur = fx_step.to_eur_converter(quote)
    with _day_screen(store, request, rulebook, to_eur) as screen:
        scope = _reconcile(store, settings, day, steps)
        fraud = fraud_step.run_fraud(store, day, rulebook, screen.flags())
        steps.done("fraud")
        fx_held = fx_step.convert_day(store, day, quote)
        steps.done("fx")
        store.settle(day, settings.fx_markup_bps)
        steps.done("settle")
        conservation = ledger_step.post_and_check(store, scope)
        redo = ledger_step.later_dates_to_rerun(store, scope)
        steps.done("ledger")
        scorecard = screen.scorecard(request.labels, fraud.decided)
    notes = screen.notes
    store.age_open_items(day)
    counts = store.counts(day)
    counts.update(fraud_flags=fraud.flags, fraud_decisions=fraud.decisions, fx_held=fx_held)
    if redo:
        counts["carried_debits_rerun"] = redo
    totals = {"conservation": conservation, "payouts": store.payout_totals(day)}
    summary = {"counts": counts, "totals": totals, "timings": steps.timings}
    if scorecard is not None:
        summary["scorecard"] = scorecard
    _complete(store, request, run_id, summary)
    steps.done("complete")
    message = f"end of day {day} completed"
    for note in notes:
        message += f"; {note}"
    if redo:
        message += f"; re-run {', '.join(redo)} after it: merchant debits they took in changed"
    return RunReport(
        day,
        RunReportStatus.COMPLETED,
        message,
        run_id,
        counts,
        totals,
        steps.timings,
        scorecard,
    )
