"""The fraud screen of a large day in a second process, while the run reconciles.

Why: the screen reads the date's purchases over the rules' look-back and runs the rules in
Python (a 1M day: the card pass ~14 s, the terminal bursts ~6 s), and reconciling is SQL
(~9 s); one core did both in turn, the machines cardsettle runs on have two or more. The
screen reads only what the run does not write (staged purchases, rates), so it can start
as soon as the run holds its view of them: measured in docs/end-of-day.md, "The fraud
screen beside the reconciliation".

How: after the run's reset, a spawned process (not forked: the parent holds a connection
and may run a progress thread) opens a store of its own through `open_store`, which an
entry point supplies, on the run's snapshot (`snapshot_store`: PostgreSQL imports the run's
exported snapshot; on SQLite the run's write lock keeps what is committed the run's view),
screens the date with the same rulebook (its text, parsed again: a rulebook holds functions)
and the same EUR rates, and sends the flags back. The flags are the ones the run would
have made itself, in the same order.

If the second process cannot start, fails or dies, the run screens in its own process and
says so in its message: the result is the same, only slower.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

from settlement.domain.fraud import FraudFlag, ToEur
from settlement.domain.fraud.rulebook import RulebookSource, load_rulebook
from settlement.eod.fraud_step import screen_day
from settlement.eod.store import EodStore

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

    def __init__(self, process: Any, pipe: Connection) -> None:
        self._process, self._pipe = process, pipe
        self.failure: str | None = None

    def flags(self) -> list[FraudFlag] | None:
        """Wait for the second process: its flags, or None with `failure` saying why."""
        try:
            message = self._pipe.recv()
        except (EOFError, OSError):
            self._process.join()
            self.failure = f"it stopped (exit code {self._process.exitcode})"
            return None
        self._process.join()
        if message[0] == "done":
            flags: list[FraudFlag] = message[1]
            return flags
        self.failure = str(message[1])
        return None

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._pipe.close()


@contextmanager
def screening_aside(job: ScreenJob) -> Iterator[Screening | None]:
    """The second process started on `job` (None when it could not start); ended on
    leaving if it has not finished."""
    context = multiprocessing.get_context("spawn")
    try:
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=_screen, args=(job, writer), name="fraud-screen")
        process.daemon = True
        process.start()
    except OSError:
        yield None
        return
    writer.close()  # the child's end: EOF here once the child is gone
    screening = Screening(process, reader)
    try:
        yield screening
    finally:
        screening.stop()


def _screen(job: ScreenJob, pipe: Connection) -> None:
    """The second process: screen the date on the run's snapshot, send the flags."""
    try:
        rulebook = load_rulebook(job.rules.text)
        with job.open_store(job.snapshot) as store:
            flags = screen_day(store, job.day, rulebook, job.to_eur)
        _send(pipe, ("done", flags))
    except KeyboardInterrupt:
        return  # Ctrl-C reaches both processes: the run stops too
    except Exception as error:  # noqa: BLE001 - the run reports it and screens itself
        _send(pipe, ("failed", _one_line(error)))
    finally:
        pipe.close()


def _send(pipe: Connection, message: tuple[Any, ...]) -> None:
    with suppress(OSError):  # the run is gone: nobody to tell
        pipe.send(message)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
