"""Read one business date's end-of-day results into a `DayReport` (aggregates only).

Everything comes from the database, so a report can be re-created at any time and the same
database gives the same report. Detail rows for the CSV files are streamed separately
(`settlement.reports.detail`), never held in memory.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select

from settlement.adapters.eod_tables import eod_runs, reconciliation_items, settlement_lines
from settlement.adapters.tables import staged_transactions
from settlement.config import Settings
from settlement.domain.calendar import cutoff_instant, opening_instant
from settlement.reports.gather_books import gather_books, gather_checks
from settlement.reports.gather_recon import gather_fraud, gather_recon
from settlement.reports.model import CurrencyVolume, DayReport, HourBucket, Hours, RunInfo

ri = reconciliation_items
STAGED = ri.c.staged_amount_minor.is_not(None)


class ReportError(Exception):
    """No report can be made for the date (no completed end-of-day run)."""


def gather_day(engine: Engine, settings: Settings, day: date) -> DayReport:
    with engine.connect() as conn:
        run = _run(conn, day)
        volumes = _volumes(conn, day)
        books = gather_books(conn, day)
        return DayReport(
            run=run,
            timezone=settings.business_timezone,
            by_type=_by_type(conn, day),
            volumes=volumes,
            hours=_hours(conn, settings, day),
            recon=gather_recon(conn, day),
            fraud=gather_fraud(conn, day, run.scorecard),
            books=books,
            checks=gather_checks(conn, day, volumes),
        )


def _run(conn: Connection, day: date) -> RunInfo:
    row = conn.execute(select(eod_runs).where(eod_runs.c.business_date == day)).first()
    if row is None or row.status != "completed":
        state = "no end-of-day run" if row is None else f"its run is {row.status}"
        raise ReportError(f"no report for {day}: {state} (run `settlement eod --date {day}`)")
    timings: dict[str, float] = json.loads(row.timings_json or "{}")
    scorecard: dict[str, Any] | None = json.loads(row.scorecard_json or "null")
    return RunInfo(
        day, row.run_id, row.status, row.attempt, row.started_at, row.finished_at, timings,
        scorecard,
    )  # fmt: skip


def _by_type(conn: Connection, day: date) -> dict[str, int]:
    query = (
        select(ri.c.transaction_type, func.count())
        .where(ri.c.run_date == day, STAGED)
        .group_by(ri.c.transaction_type)
    )
    found = {str(kind): int(count) for kind, count in conn.execute(query)}
    return {kind: found.get(kind, 0) for kind in ("purchase", "refund", "reversal")}


def _volumes(conn: Connection, day: date) -> tuple[CurrencyVolume, ...]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    staged = select(ri.c.currency, func.count(), func.sum(ri.c.staged_amount_minor)).where(
        ri.c.run_date == day, STAGED
    )
    for currency, count, total in conn.execute(staged.group_by(ri.c.currency)):
        totals[currency].update(staged_count=int(count), staged_minor=int(total))
    names = {"held": "held_minor", "exception": "exceptions_minor", "reversed": "reversed_minor"}
    parked = select(ri.c.currency, ri.c.outcome, func.sum(ri.c.staged_amount_minor)).where(
        ri.c.run_date == day, STAGED, ri.c.outcome != "settled"
    )
    for currency, outcome, total in conn.execute(parked.group_by(ri.c.currency, ri.c.outcome)):
        totals[currency][names[outcome]] += int(total)
    sl = settlement_lines
    settled = select(sl.c.original_currency, func.sum(sl.c.original_amount_minor)).where(
        sl.c.run_date == day
    )
    for currency, total in conn.execute(settled.group_by(sl.c.original_currency)):
        totals[currency]["settled_minor"] += int(total)
    fields = ("staged_count", "staged_minor", "settled_minor", "held_minor", "exceptions_minor",
              "reversed_minor")  # fmt: skip
    return tuple(
        CurrencyVolume(currency, *(totals[currency][name] for name in fields))
        for currency in sorted(totals)
    )


def _hour_key(conn: Connection) -> Any:
    """The UTC hour of `transacted_at` as 'YYYY-MM-DD HH' text, grouped in the database."""
    at = staged_transactions.c.transacted_at
    if conn.dialect.name == "postgresql":
        return func.to_char(func.date_trunc("hour", at), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", at)


def _hours(conn: Connection, settings: Settings, day: date) -> Hours:
    """Staged transactions per hour of the business day, in the business timezone."""
    key = _hour_key(conn).label("hour")
    st = staged_transactions
    query = (
        select(key, func.count())
        .select_from(st.join(ri, and_(ri.c.transaction_id == st.c.transaction_id)))
        .where(ri.c.run_date == day, STAGED)
        .group_by(key)
    )
    counts = {datetime.strptime(str(h), "%Y-%m-%d %H"): int(n) for h, n in conn.execute(query)}
    start = opening_instant(day, settings.zone, settings.cutoff_time)
    end = cutoff_instant(day, settings.zone, settings.cutoff_time)
    buckets, hour = [], start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        local = hour.replace(tzinfo=UTC).astimezone(settings.zone)
        buckets.append(HourBucket(local.strftime("%H:%M"), counts.pop(hour, 0)))
        hour += timedelta(hours=1)
    return Hours(tuple(buckets), sum(counts.values()))
