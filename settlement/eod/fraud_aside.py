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
cards and sends their flags, then finds the labelled fraud's reach and sends it, then
counts the date's purchases by label for the scorecard (`day_census`) and sends that. The
run meanwhile reconciles and screens the terminals (`DayScreen`), and goes on to settle: the
flags are the ones it would have made itself, in the same order, and the reach and census
the ones it would have found. The labels cross packed in a temporary file
(`PackedLabels`: a 1M day's 16 MB, written in ~0.04 s), which a job cannot carry without
the run waiting for the second process to start. The file has no name (unlinked as it is
made): the second process inherits it open, and a run killed or stopped by a signal, which
runs no clean-up, leaves nothing behind.

If the second process cannot start, fails or dies, the run does what it did not get in its
own process and says so in its message: the result is the same, only slower.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import IO, Any

from settlement import second_process
from settlement.domain.fraud import FraudDecision, FraudFlag, Rulebook, ToEur
from settlement.domain.fraud.labelset import LabelSet, PackedLabels, fraud_labels, pack_labels
from settlement.domain.fraud.reach import Reach
from settlement.domain.fraud.rulebook import RulebookSource, load_rulebook
from settlement.domain.fraud.scorecard import LabelCensus
from settlement.eod.fraud_step import (
    day_census,
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
class LabelsFile:
    """The run's packed labels (`PackedLabels`) in an unnamed temporary file, by its
    descriptor: pickled into a spawned process's job, the descriptor is handed to that
    process, as a `Connection`'s is."""

    fd: int

    def __reduce__(self) -> tuple[Any, ...]:
        return (_inherited, (reduction.DupFd(self.fd),))


def _inherited(fd: Any) -> LabelsFile:
    return LabelsFile(fd.detach())


@dataclass(frozen=True, slots=True)
class ScreenJob:
    open_store: OpenScreenStore
    snapshot: str | None
    day: date
    rules: RulebookSource  # what the run's rulebook was loaded from
    to_eur: ToEur
    labels: LabelsFile | None = None  # the run's labels, packed: reach and census


class Screening:
    """The run's end: the card flags, then the reach and the census, as the second process
    sends them, or why it did not."""

    def __init__(self, child: Child | None, failure: str | None = None) -> None:
        self._child = child
        self.failure = failure

    def card_flags(self) -> list[FraudFlag] | None:
        """Wait for the card rules' flags: them, or None with `failure` saying why."""
        flags: list[FraudFlag] | None = self._next()
        return flags

    def reach(self) -> Reach | None:
        """After `card_flags`, wait for the labelled fraud's reach: it, or None with
        `failure` saying why (no labels were given: None, failure None)."""
        reach: Reach | None = self._after_flags()
        return reach

    def census(self) -> LabelCensus | None:
        """After `reach`, wait for the date's census by label: it, or None with `failure`
        saying why."""
        census: LabelCensus | None = self._after_flags()
        return census

    def _after_flags(self) -> Any:
        return None if self.failure is not None else self._next()

    def _next(self) -> Any:
        """What the second process sends next (its message's payload), or None when it
        failed or is gone (`failure` says why)."""
        if self._child is None:
            return None
        message = self._child.receive()
        if message is None:
            self.failure = self._child.gone()
            return None
        if message[0] == second_process.FAILED:
            self.failure = str(message[1])
            return None
        return message[1]


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
        reach, census = self._reach(labels), self._census(labels)
        return score_day(self.rulebook, labels, decisions, reach, census)

    def _reach(self, labels: Mapping[str, str]) -> Reach:
        """The reach of the labelled fraud: the second process's, else found here."""
        if self.screening is not None and self.screening.failure is None:
            reach = self.screening.reach()
            if reach is not None:
                return reach
            self._failed("fraud reach", self.screening)
        fraud = fraud_labels(labels)
        return fraud_reach(self.store, self.day, self.rulebook, self.to_eur, fraud)

    def _census(self, labels: Mapping[str, str]) -> LabelCensus:
        """After `_reach`: the date's census by label, the second process's, else counted
        here."""
        if self.screening is not None and self.screening.failure is None:
            census = self.screening.census()
            if census is not None:
                return census
            self._failed("scorecard census", self.screening)
        return day_census(self.store, self.day, labels)

    def _failed(self, what: str, screening: Screening) -> None:
        self.notes.append(f"{what} in this process: the second one failed: {screening.failure}")


@contextmanager
def screening_aside(
    here: DayScreen, job: ScreenJob, labels: Mapping[str, str] | None
) -> Iterator[DayScreen]:
    """`here` sharing its work with a second process started on `job` (and `labels`, packed
    for it), ended on leaving if it has not finished."""
    with ExitStack() as stack:
        try:
            job = replace(job, labels=_packed_file(labels, stack))
        except OSError as error:  # no temporary folder, or a full disk
            why = f"the labels could not be packed for it: {second_process.one_line(error)}"
            child: Child | str = f"it could not start: {why}"
        else:
            child = second_process.try_start(_screen, job, "fraud-screen")
        if not isinstance(child, Child):
            yield replace(here, screening=Screening(None, child))
            return
        try:
            yield replace(here, screening=Screening(child))
        finally:
            child.stop()


def _packed_file(labels: Mapping[str, str] | None, stack: ExitStack) -> LabelsFile | None:
    """`labels` packed into an unnamed temporary file that `stack` closes, or None. Why no
    name: a named file (or folder) outlived every run ended by SIGTERM or SIGKILL."""
    if labels is None:
        return None
    file: IO[bytes] = stack.enter_context(tempfile.TemporaryFile(prefix="cardsettle-screen-"))
    pickle.dump(pack_labels(labels), file, protocol=pickle.HIGHEST_PROTOCOL)
    file.flush()
    return LabelsFile(file.fileno())


def _screen(job: ScreenJob, pipe: Connection) -> None:
    """The second process: screen the date's cards on the run's snapshot and send the
    flags, then the labelled fraud's reach, then the date's census by label."""
    second_process.report_to_parent(pipe, partial(_cards_then_reach, job))


def _cards_then_reach(job: ScreenJob, tell: Tell) -> Message:
    rulebook = load_rulebook(job.rules.text)
    with job.open_store(job.snapshot) as store:
        tell(("cards", screen_cards(store, job.day, rulebook, job.to_eur)))
        if job.labels is None:
            return ("reach", None)
        packed = _unpickled(job.labels)
        tell(("reach", fraud_reach(store, job.day, rulebook, job.to_eur, packed.fraud)))
        return ("census", day_census(store, job.day, LabelSet.unpacked(packed)))


def _unpickled(labels: LabelsFile) -> PackedLabels:
    """The labels the run packed (its own unnamed file, which only it could hand over)."""
    with os.fdopen(labels.fd, "rb") as file:
        file.seek(0)  # the run's writing left the offset, which the two share, at the end
        packed = pickle.load(file)  # noqa: S301 - written by the run that started this process
    if not isinstance(packed, PackedLabels):
        raise TypeError("the labels file holds no packed labels")
    return packed
