"""The fraud screen of a large day shared with a second process, while the run reconciles.

Why: the screen reads the date's purchases over the rules' look-back and runs the rules in
Python (a 1M day: the card pass ~14 s, the terminal bursts ~5 s), and so does the
scorecard's reach (~4.5 s); reconciling is SQL (~7-10 s), and settling after it more SQL.
One core did all of it in turn; the machines cardsettle runs on have two or more. The
screen reads only what the run does not write (staged purchases, rates), so it can start as
soon as the run holds its view of them: measured in docs/end-of-day.md, "The fraud screen
beside the reconciliation".

How: after the run's reset, a spawned process (`settlement.second_process`) opens a store
of its own through `open_store`, which an entry point supplies, on the run's snapshot
(`snapshot_store`: PostgreSQL imports the run's exported snapshot; on SQLite the run's
write lock keeps what is committed the run's view). With the same rulebook (its text,
parsed again: a rulebook holds functions) and the same EUR rates, it screens the date's
cards and sends their flags, then finds the labelled fraud's reach and sends it. The run
meanwhile reconciles and screens the terminals (`DayScreen`): the flags are the ones it
would have made itself, in the same order, and the reach the one it would have found.

If the second process cannot start, fails or dies, the run does what it did not get in its
own process and says so in its message: the result is the same, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from settlement import second_process
from settlement.domain.fraud import FraudDecision, FraudFlag, Rulebook, ToEur
from settlement.domain.fraud.labelset import fraud_labels
from settlement.domain.fraud.reach import Reach
from settlement.domain.fraud.rulebook import RulebookSource, load_rulebook
from settlement.eod.fraud_step import (
    fraud_reach,
    score_day,
    screen_cards,
    screen_day,
    screen_terminals,
)
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
    fraud: Mapping[str, str] | None  # the labelled fraud (id -> scenario) to find the reach of


class Screening:
    """The run's end: the card flags, then the reach, as the second process sends them, or
    why it did not."""

    def __init__(self, child: Child | None, failure: str | None = None) -> None:
        self._child = child
        self.failure = failure

    def card_flags(self) -> list[FraudFlag] | None:
        """Wait for the card rules' flags: them, or None with `failure` saying why."""
        message = self._next()
        return None if message is None else message[1]

    def reach(self) -> Reach | None:
        """After `card_flags`, wait for the labelled fraud's reach: it, or None with
        `failure` saying why (no labels were given: None, failure None)."""
        if self.failure is not None:
            return None
        message = self._next()
        return None if message is None else message[1]

    def _next(self) -> Message | None:
        if self._child is None:
            return None
        message = self._child.receive()
        if message is None:
            self.failure = self._child.gone()
            return None
        if message[0] == second_process.FAILED:
            self.failure = str(message[1])
            return None
        return message


@dataclass(frozen=True, slots=True)
class DayScreen:
    """The run's fraud screen and its labelled fraud's reach, shared with a second process
    when one was started (`screening`): there it screens the cards and then finds the reach,
    while this process screens the terminals. Whatever the second process cannot give is
    done here instead, and `notes` says why (the run's message carries it)."""

    store: EodStore
    day: date
    rulebook: Rulebook
    to_eur: ToEur
    screening: Screening | None = None
    notes: list[str] = field(default_factory=list)

    def flags(self) -> list[FraudFlag]:
        """The date's flags, in the order `screen_day` gives them."""
        store, day, rulebook, to_eur = self.store, self.day, self.rulebook, self.to_eur
        if self.screening is None:
            return screen_day(store, day, rulebook, to_eur)
        terminals = screen_terminals(store, day, rulebook, to_eur)
        cards = self.screening.card_flags()
        if cards is None:
            self._failed("fraud screen", self.screening)
            cards = screen_cards(store, day, rulebook, to_eur)
        return cards + terminals

    def scorecard(
        self, labels: Mapping[str, str] | None, decisions: Mapping[str, FraudDecision]
    ) -> dict[str, Any] | None:
        """After `flags`: the `decisions` scored against `labels` (None without labels)."""
        if labels is None:
            return None
        reach = self._reach(labels)
        return score_day(self.store, self.day, self.rulebook, labels, decisions, reach)

    def _reach(self, labels: Mapping[str, str]) -> Reach:
        """The reach of the labelled fraud: the second process's, else found here."""
        if self.screening is not None and self.screening.failure is None:
            reach = self.screening.reach()
            if reach is not None:
                return reach
            self._failed("fraud reach", self.screening)
        fraud = fraud_labels(labels)
        return fraud_reach(self.store, self.day, self.rulebook, self.to_eur, fraud)

    def _failed(self, what: str, screening: Screening) -> None:
        self.notes.append(f"{what} in this process: the second one failed: {screening.failure}")


@contextmanager
def screening_aside(here: DayScreen, job: ScreenJob) -> Iterator[DayScreen]:
    """`here` sharing its work with a second process started on `job`, ended on leaving if
    it has not finished."""
    child = second_process.try_start(_screen, job, "fraud-screen")
    if not isinstance(child, Child):
        yield replace(here, screening=Screening(None, child))
        return
    try:
        yield replace(here, screening=Screening(child))
    finally:
        child.stop()


def _screen(job: ScreenJob, pipe: Connection) -> None:
    """The second process: screen the date's cards on the run's snapshot and send the
    flags, then the labelled fraud's reach."""
    second_process.report_to_parent(pipe, partial(_cards_then_reach, job))


def _cards_then_reach(job: ScreenJob, tell: Tell) -> Message:
    rulebook = load_rulebook(job.rules.text)
    with job.open_store(job.snapshot) as store:
        tell(("cards", screen_cards(store, job.day, rulebook, job.to_eur)))
        if job.fraud is None:
            return ("reach", None)
        return ("reach", fraud_reach(store, job.day, rulebook, job.to_eur, job.fraud))
