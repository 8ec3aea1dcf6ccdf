"""Measure one staged day both ways: the asynchronous fraud lane fed in arrival order, and
the end of day's batch fraud screen, each timed in CPU seconds of this process.

Why CPU seconds and not wall time: the replay is simulated business time (a day of arrivals
in a second), so only the work done is comparable. Why this thread's (`time.thread_time`)
and not the process's (`time.process_time`): the demo's embedded SQS and the gateway's
threads are still alive beside the measurement, and the process clock charges their CPU to
whichever side runs at the time. With the garbage collector's freeze (`_measured`), the
lane's 34 us a purchase on the demo day read as 101 with the thread clock alone and 136
with the process clock. On SQLite the database works inside this thread and is counted; on
PostgreSQL the server's own work is not (docs/lesson.md says so beside the figures).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from settlement.adapters.arrivals import staged_arrivals
from settlement.adapters.eod_store import run_transaction
from settlement.domain.fraud import FraudDecision, FraudFlag, Rulebook, decide
from settlement.domain.fraud.activity import ToEur
from settlement.domain.fraud.lane import FraudLane
from settlement.domain.transactions import StagedTransaction
from settlement.eod import fx_step
from settlement.eod.fraud_step import screen_day

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True, slots=True)
class LaneRun:
    lane: FraudLane
    arrivals: tuple[tuple[StagedTransaction, datetime], ...]  # the date's, in arrival order
    cpu_s: float


@dataclass(frozen=True, slots=True)
class BatchRun:
    flags: tuple[FraudFlag, ...]
    decisions: dict[str, FraudDecision]
    cpu_s: float


def eur_converter(engine: Engine, day: date, max_rate_age_days: int) -> ToEur:
    """The converter the end of day's fraud step uses for `day` (same quotes, same age)."""
    with run_transaction(engine) as store:
        return fx_step.to_eur_converter(fx_step.quote_source(store, day, max_rate_age_days))


def replay_lane(engine: Engine, day: date, rulebook: Rulebook, to_eur: ToEur) -> LaneRun:
    """Seed the look-back history, then observe the date's purchases in arrival order."""
    lookback = max(rulebook.card_lookback_days, rulebook.terminal_lookback_days)
    staged = staged_arrivals(engine, day - timedelta(days=lookback), day)
    history = [tx for tx, _ in staged if tx.business_date < day]
    arrivals = tuple((tx, at) for tx, at in staged if tx.business_date == day)
    with _measured() as cpu_s:
        lane = FraudLane(day, rulebook, to_eur, history)
        for tx, sent_at in arrivals:
            lane.observe(tx, sent_at)
    return LaneRun(lane, arrivals, cpu_s[0])


def screen_batch(engine: Engine, day: date, rulebook: Rulebook, to_eur: ToEur) -> BatchRun:
    """The end of day's fraud screen and decisions (pre-filtered, as a run does), timed."""
    with run_transaction(engine) as store, _measured() as cpu_s:
        flags = screen_day(store, day, rulebook, to_eur)
        decisions = decide(flags, rulebook)
    return BatchRun(tuple(flags), decisions, cpu_s[0])


@contextmanager
def _measured() -> Iterator[list[float]]:
    """This thread's CPU seconds over the block (in the list yielded), with the process's
    existing objects frozen out of the garbage collector: the demo leaves a large heap (moto,
    botocore, the simulator), and collections triggered by the measured work walked all of
    it (measured on the demo day: the lane's 34 us a purchase read as 101 without this), as
    the direct transport freezes it for the same reason (`gateway.direct`)."""
    gc.collect()
    gc.freeze()
    spent = [0.0]
    started = time.thread_time()
    try:
        yield spent
    finally:
        spent[0] = time.thread_time() - started
        gc.unfreeze()


def agreement_of(lane: FraudLane, batch: BatchRun) -> dict[str, Any]:
    """Whether the lane ended with the batch's verdict (it must: docs/lesson.md)."""

    def flag_rows(flags: Iterable[FraudFlag]) -> list[tuple[str, str, int, str]]:
        return sorted((f.transaction_id, f.rule, f.score, f.reason) for f in flags)

    ids = set(lane.decisions) | set(batch.decisions)
    differing = sum(1 for tid in ids if lane.decisions.get(tid) != batch.decisions.get(tid))
    return {
        "equal": differing == 0 and flag_rows(lane.flags) == flag_rows(batch.flags),
        "flags": len(batch.flags),
        "decisions": len(batch.decisions),
        "held": sum(1 for decision in batch.decisions.values() if decision.held),
        "differing_decisions": differing,
    }
