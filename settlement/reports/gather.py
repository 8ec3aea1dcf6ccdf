"""Read one business date's end-of-day results into a `DayReport` (aggregates only).

Everything comes from the database through the report read model
(`settlement.adapters.report_reads`), so a report can be re-created at any time and the same
database gives the same report. Detail rows for the CSV files are streamed separately
(`settlement.reports.csv_files`), never held in memory.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING

from settlement.compare.lesson import LESSON_FILE
from settlement.config import Settings
from settlement.domain.calendar import cutoff_instant, opening_instant
from settlement.domain.recon_classes import Outcome
from settlement.domain.run_status import RunStatus
from settlement.domain.transactions import TransactionType
from settlement.reports.gather_books import gather_books, gather_checks
from settlement.reports.gather_gateway import gather_gateway
from settlement.reports.gather_recon import gather_fraud, gather_recon
from settlement.reports.lesson import load_lesson
from settlement.reports.model import CurrencyVolume, DayReport, HourBucket, Hours, RunInfo
from settlement.reports.reasons import CutoffOf
from settlement.reports.tallies import DayTallies, ItemTally

if TYPE_CHECKING:
    from collections.abc import Iterable

    from settlement.adapters.report_reads import ReportReads
    from settlement.adapters.report_reads.day import DayReads
    from settlement.domain.ledger import SettledFlow

VOLUME_FIELDS = ("staged_count", "staged_minor", "settled_minor", "held_minor",
                 "exceptions_minor", "reversed_minor")  # fmt: skip
UNSETTLED_FIELDS = {Outcome.HELD.value: "held_minor", Outcome.EXCEPTION.value: "exceptions_minor",
                    Outcome.REVERSED.value: "reversed_minor"}  # fmt: skip


class ReportError(Exception):
    """No report can be made for the date (no completed end-of-day run)."""


def gather_day(
    reads: ReportReads, settings: Settings, day: date, tallies: DayTallies | None = None
) -> DayReport:
    """The date's page. `tallies` are the counts the CSV files' pass made of the
    reconciliation items and settlement lines (`write_reports`); without them the two
    tables are streamed here to count them, so the page is the same either way."""
    run = run_of(reads.day, day)
    if tallies is None:
        detail = reads.detail
        tallies = DayTallies().feed(
            detail.reconciliation_chunks(day), detail.settlement_chunks(day)
        )
    # The settled side of the volumes and the payout identity: one pass over the lines.
    flows = tallies.lines.settled_flows()
    volumes = _volumes(tallies.items, flows)
    return DayReport(
        run=run,
        timezone=settings.business_timezone,
        by_type=_by_type(tallies.items),
        volumes=volumes,
        hours=_hours(reads.day, settings, day),
        gateway=gather_gateway(reads.gateway, settings, day),
        recon=gather_recon(reads.recon, reads.detail, day, cutoff_of(settings), tallies.items),
        fraud=gather_fraud(reads.recon, day, run.scorecard),
        books=gather_books(reads.ledger, day, tallies.lines),
        checks=gather_checks(reads.ledger, day, volumes, flows),
        lesson=load_lesson(settings.reports_dir / day.isoformat() / LESSON_FILE, run.run_id),
    )


def cutoff_of(settings: Settings) -> CutoffOf:
    """A business date's cutoff instant (naive UTC), as the run placed it."""
    return lambda day: cutoff_instant(day, settings.zone, settings.cutoff_time)


def run_of(reads: DayReads, day: date) -> RunInfo:
    """The date's completed run; ReportError when there is none to report."""
    run = reads.run(day)
    if run is None or run.status != RunStatus.COMPLETED:
        state = "no end-of-day run" if run is None else f"its run is {run.status}"
        raise ReportError(f"no report for {day}: {state} (run `settlement eod --date {day}`)")
    return RunInfo(*run)


def _by_type(items: ItemTally) -> dict[str, int]:
    found = items.staged_by_type()
    return {kind.value: found.get(kind.value, 0) for kind in TransactionType}


def _volumes(items: ItemTally, flows: Iterable[SettledFlow]) -> tuple[CurrencyVolume, ...]:
    """Per transaction currency: staged, and where it went. Settled is the settlement
    lines' original amounts, summed from their flows (per type and currency pair)."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for currency, count, staged_minor in items.staged_by_currency():
        totals[currency].update(staged_count=count, staged_minor=staged_minor)
    for currency, outcome, unsettled_minor in items.unsettled_by_currency():
        totals[currency][UNSETTLED_FIELDS[outcome]] += unsettled_minor
    for flow in flows:
        totals[flow.original_currency]["settled_minor"] += flow.original_minor
    return tuple(
        CurrencyVolume(currency, *(totals[currency][name] for name in VOLUME_FIELDS))
        for currency in sorted(totals)
    )


def _hours(reads: DayReads, settings: Settings, day: date) -> Hours:
    """Staged transactions per hour of the business day, in the business timezone."""
    counts = reads.staged_per_hour(day)
    start = opening_instant(day, settings.zone, settings.cutoff_time)
    end = cutoff_instant(day, settings.zone, settings.cutoff_time)
    buckets, hour = [], start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        local = hour.replace(tzinfo=UTC).astimezone(settings.zone)
        buckets.append(HourBucket(local.strftime("%H:%M"), counts.pop(hour, 0)))
        hour += timedelta(hours=1)
    return Hours(tuple(buckets), sum(counts.values()))
