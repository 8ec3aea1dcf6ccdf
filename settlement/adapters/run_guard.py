"""The `eod_runs` guard: one run per business date, claimed in its own committed transaction.

A claim is an insert-if-absent (or a conditional update of a failed, stale or - with
`rerun` - completed row), so two processes racing for a date cannot both win. The guard row
is read first without writing: on SQLite a running run holds the write lock, and a second
run must be refused at once rather than wait on that lock.

A "running" row is a live run unless its heartbeat is older than `stale_after`, or the
process that claimed it (`message` holds "running in process host:pid" while it runs) is of
this host and no longer exists: a run killed mid-way (SIGKILL, OOM) is taken over at once on
restart instead of blocking its date for an hour. A claimant alive on this host keeps its
date however long it runs. Doubt keeps the row (another host, a reused pid): the cost is a
wait, never a second run. And should a run from another host be taken over while it still
runs, its completion (`completion`, matched on its run_id) finds the row gone and the run
rolls back, so a date's results are always one run's. `owner` stays what the caller says.
"""

from __future__ import annotations

import json
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from settlement.adapters.eod_tables import eod_runs
from settlement.adapters.tables import staged_transactions
from settlement.domain.run_status import RunStatus

_RUNNING_IN = "running in process "
_PROCESS = re.compile(re.escape(_RUNNING_IN) + r"(?P<host>\S+):(?P<pid>\d+)$")


def _running_here() -> str:
    return f"{_RUNNING_IN}{socket.gethostname()}:{os.getpid()}"


def claimant_is_dead(message: str | None) -> bool:
    """True only when a running row's `message` names a process of this host that exited."""
    return _claimant_here(message) is False


def claimant_is_running_here(message: str | None) -> bool:
    """True only when a running row's `message` names a live process of this host."""
    return _claimant_here(message) is True


def _claimant_here(message: str | None) -> bool | None:
    """Whether the claiming process is alive, if it is of this host; None when unknown."""
    found = _PROCESS.match(message or "")
    if found is None or found["host"] != socket.gethostname():
        return None
    pid = int(found["pid"])
    if pid == os.getpid():
        return None  # this process: a leftover of its own failed release, judged by heartbeat
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """An exited child nobody reaped yet still answers kill(0); its run is over all the same."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


@dataclass(frozen=True, slots=True)
class Claim:
    run_id: str
    attempt: int
    previous_status: RunStatus | None  # COMPLETED when this is a --rerun


@dataclass(frozen=True, slots=True)
class Refusal:
    status: RunStatus  # RUNNING or COMPLETED
    message: str


def _row(engine: Engine, business_date: date) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(eod_runs).where(eod_runs.c.business_date == business_date)
        ).first()


def claim(
    engine: Engine,
    business_date: date,
    now: datetime,
    *,
    rerun: bool,
    owner: str,
    stale_after: timedelta,
) -> Claim | Refusal:
    current = _row(engine, business_date)
    run_id = str(uuid.uuid4())
    if current is None:
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(eod_runs).values(
                        business_date=business_date, run_id=run_id, status=RunStatus.RUNNING,
                        attempt=1, owner=owner, started_at=now, heartbeat_at=now,
                        message=_running_here(),
                    )
                )  # fmt: skip
            return Claim(run_id, 1, None)
        except IntegrityError:
            current = _row(engine, business_date)
    return _take_over(
        engine, current, now, run_id, rerun=rerun, owner=owner, stale_after=stale_after
    )


def _take_over(
    engine: Engine, current: Any, now: datetime, run_id: str, *, rerun: bool, owner: str,
    stale_after: timedelta,
) -> Claim | Refusal:  # fmt: skip
    day = current.business_date
    if current.status == RunStatus.RUNNING and _alive(current, now, stale_after):
        return Refusal(
            RunStatus.RUNNING,
            f"end of day {day} is already running (run {current.run_id}, {current.owner},"
            f" since {current.started_at:%Y-%m-%d %H:%M:%S} UTC); refusing a second run",
        )
    if current.status == RunStatus.COMPLETED and not rerun:
        return Refusal(RunStatus.COMPLETED, f"end of day {day} already completed; use --rerun")
    with engine.begin() as conn:
        taken = conn.execute(
            update(eod_runs)
            .where(
                eod_runs.c.business_date == day,
                eod_runs.c.run_id == current.run_id,
                eod_runs.c.status == current.status,
            )
            .values(
                run_id=run_id, status=RunStatus.RUNNING, attempt=current.attempt + 1, owner=owner,
                started_at=now, heartbeat_at=now, message=_running_here(),
            )
        ).rowcount  # fmt: skip
    if taken != 1:
        return Refusal(RunStatus.RUNNING, f"end of day {day} was claimed by another run just now")
    previous = RunStatus.COMPLETED if current.status == RunStatus.COMPLETED else None
    return Claim(run_id, current.attempt + 1, previous)


def _alive(current: Any, now: datetime, stale_after: timedelta) -> bool:
    if claimant_is_running_here(current.message):
        return True  # a long run on this host is alive whatever its heartbeat says
    return now - current.heartbeat_at < stale_after and not claimant_is_dead(current.message)


def completion(
    business_date: date, run_id: str, finished_at: datetime, summary: dict[str, Any]
) -> Any:
    return (
        update(eod_runs)
        .where(eod_runs.c.business_date == business_date, eod_runs.c.run_id == run_id)
        .values(
            status=RunStatus.COMPLETED,
            finished_at=finished_at,
            heartbeat_at=finished_at,
            message=None,
            counts_json=json.dumps(summary.get("counts", {}), sort_keys=True),
            totals_json=json.dumps(summary.get("totals", {}), sort_keys=True),
            timings_json=json.dumps(summary.get("timings", {})),  # in the order run
            scorecard_json=json.dumps(summary["scorecard"]) if summary.get("scorecard") else None,
        )
    )


def release_after_failure(
    engine: Engine, business_date: date, claim_: Claim, message: str, now: datetime
) -> None:
    """A failed run leaves nothing half-written: the date is failed (re-runnable), or, for a
    failed --rerun, completed again with the previous results untouched."""
    completed_again = claim_.previous_status == RunStatus.COMPLETED
    status = RunStatus.COMPLETED if completed_again else RunStatus.FAILED
    with engine.begin() as conn:
        conn.execute(
            update(eod_runs)
            .where(eod_runs.c.business_date == business_date, eod_runs.c.run_id == claim_.run_id)
            .values(status=status, message=message[:2000], heartbeat_at=now)
        )


def status_of(engine: Engine, business_date: date) -> str | None:
    """The date's guard status (running, completed, failed), None if it was never claimed."""
    current = _row(engine, business_date)
    return None if current is None else str(current.status)


def completed_dates(engine: Engine) -> set[date]:
    with engine.connect() as conn:
        query = select(eod_runs.c.business_date).where(eod_runs.c.status == RunStatus.COMPLETED)
        return {row[0] for row in conn.execute(query)}


def staged_dates(engine: Engine) -> list[date]:
    """The business dates that have staged transactions, oldest first: the scheduler's
    candidates (a date without traffic is never run by it)."""
    with engine.connect() as conn:
        query = (
            select(staged_transactions.c.business_date)
            .distinct()
            .order_by(staged_transactions.c.business_date)
        )
        return [row[0] for row in conn.execute(query)]
