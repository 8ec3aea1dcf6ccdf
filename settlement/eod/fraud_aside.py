"""The fraud screen of a large day in a second process, while the run reconciles.

Why: the screen reads the date's purchases over the rules' look-back and runs the rules in
Python (a 1M day: the card pass ~14 s, the terminal bursts ~6 s), and reconciling is SQL
(~9 s); one core did both in turn, the machines cardsettle runs on have two or more. The
screen reads only what the run does not write (staged purchases, rates), so it can start
as soon as the run holds its view of them: measured in docs/end-of-day.md, "The fraud
screen beside the reconciliation".

How: after the run's reset, a spawned process (`settlement.second_process`) opens a store
of its own through `open_store`, which an entry point supplies, on the run's snapshot
(`snapshot_store`: PostgreSQL imports the run's exported snapshot; on SQLite the run's
write lock keeps what is committed the run's view), screens the date with the same rulebook
(its text, parsed again: a rulebook holds functions) and the same EUR rates, and sends the
flags back. The flags are the ones the run would have made itself, in the same order.

If the second process cannot start, fails or dies, the run screens in its own process and
says so in its message: the result is the same, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from multiprocessing.connection import Connection

from settlement import second_process
from settlement.domain.fraud import FraudFlag, ToEur
from settlement.domain.fraud.rulebook import RulebookSource, load_rulebook
from settlement.eod.fraud_step import screen_day
from settlement.eod.store import EodStore
from settlement.second_process import Child, Message, Tell

# A picklable callable (a module-level function or a functools.partial of one) that opens a
# store on the run's snapshot (None: what is committed) in the process it is called in.
OpenScreenStore = Callable[[str | None], AbstractContextManager[EodStore]]
# Below this many purchases on the date the screen takes a second or two, about what
# starting a process that imports the end of day costs (~1 s): screened in the run.
ASIDE_MIN_PURCHASES = 50_000


@dataclass(frozen=True, slots=True)
class ScreenJob:
    open_store: OpenScreenStore
    snapshot: str | None
    day: date
    rules: RulebookSource  # what the run's rulebook was loaded from
    to_eur: ToEur


class Screening:
    """The run's end: the flags when the second process sends them, or why it did not."""

    def __init__(self, child: Child | None, failure: str | None = None) -> None:
        self._child = child
        self.failure = failure

    def flags(self) -> list[FraudFlag] | None:
        """Wait for the second process: its flags, or None with `failure` saying why."""
        if self._child is None:
            return None
        message = self._child.receive()
        if message is None:
            self.failure = self._child.gone()
            return None
        if message[0] == "done":
            flags: list[FraudFlag] = message[1]
            return flags
        self.failure = str(message[1])
        return None


@contextmanager
def screening_aside(job: ScreenJob) -> Iterator[Screening]:
    """The second process started on `job`; ended on leaving if it has not finished."""
    child = second_process.try_start(_screen, job, "fraud-screen")
    if not isinstance(child, Child):
        yield Screening(None, child)
        return
    try:
        yield Screening(child)
    finally:
        child.stop()


def _screen(job: ScreenJob, pipe: Connection) -> None:
    """The second process: screen the date on the run's snapshot, send the flags."""
    second_process.report_to_parent(pipe, partial(_screened_flags, job))


def _screened_flags(job: ScreenJob, _tell: Tell) -> Message:
    rulebook = load_rulebook(job.rules.text)
    with job.open_store(job.snapshot) as store:
        return ("done", screen_day(store, job.day, rulebook, job.to_eur))
