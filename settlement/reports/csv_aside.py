"""A second process that writes some of the report's CSV files while this one writes the
rest: settlement.csv and the small files beside reconciliation.csv.

Why: at a million transactions the report is mostly two files of a million rows each, and
formatting a row is Python, one core's work; the machines cardsettle runs on have two or
more. The split evens the two processes' shares: on a 1M SQLite day reconciliation.csv took
8.7 s, settlement.csv 7.3 s and the three small files 1.1 s, and starting the second
process ~0.8 s. Measured: see docs/reports.md, "Two processes for a large day".

How: the second process is spawned (`settlement.second_process`) and opens a read model of
its own through `open_reads`, which an entry point supplies (as a gateway worker builds its
own handler). It reads the date's run first, writes its files, tallies them for the page,
and sends back the rows it wrote as it goes, then the run it read and its tallies. Each
process reads in a transaction of its own, so the run each saw is compared: a rerun
committed between the two would otherwise put two runs' rows in one report, and the report
refuses instead (`ReportError`, run it again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from settlement import second_process
from settlement.config import Settings
from settlement.counting import ProgressCallback
from settlement.reports.csv_files import write_csv_files
from settlement.reports.gather import ReportError, cutoff_of, run_of
from settlement.reports.model import RunInfo
from settlement.reports.tallies import DayTallies
from settlement.second_process import Child, Message, Tell

if TYPE_CHECKING:
    from settlement.adapters.report_reads import ReportReads

# A picklable callable (a module-level function, or a functools.partial of one) that opens
# the read model in the process it is called in.
OpenReads = Callable[[], AbstractContextManager["ReportReads"]]
ASIDE_FILES = ("exceptions.csv", "fraud.csv", "settlement.csv", "payouts.csv")
# Below this many settlement lines the files take about a second, no more than starting a
# process that imports the report's modules (~0.8 s): written in this process.
ASIDE_MIN_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class AsideJob:
    """What the second process is asked to do."""

    open_reads: OpenReads
    settings: Settings
    day: date
    directory: Path
    names: tuple[str, ...] = ASIDE_FILES


class Aside:
    """The parent's end: its progress forwarded, its result awaited and checked."""

    def __init__(self, job: AsideJob, child: Child) -> None:
        self._job, self._child = job, child
        self._result: tuple[tuple[str, int], DayTallies] | None = None
        self._failure: str | None = None

    def forwarding(self, progress: ProgressCallback | None) -> ProgressCallback | None:
        """`progress` told this process's rows and, at each call, the second one's so far."""
        if progress is None:
            return None

        def tell(rows: int) -> None:
            progress(rows)
            while self._result is None and self._failure is None and self._child.ready():
                self._take(self._child.receive(), progress)

        return tell

    def finish(self, run: RunInfo, progress: ProgressCallback | None) -> DayTallies:
        """Wait for the second process; its tallies, or ReportError with why it failed or
        that it read another run than `run`."""
        while self._result is None and self._failure is None:
            self._take(self._child.receive(), progress)
        names = ", ".join(self._job.names)
        if self._failure is not None:
            raise ReportError(f"report of {self._job.day}: {names} not written: {self._failure}")
        assert self._result is not None
        identity, tallies = self._result
        if identity != (run.run_id, run.attempt):
            raise ReportError(
                f"report of {self._job.day}: the date's run changed while its files were"
                f" written (run {run.run_id} attempt {run.attempt}, then {identity[0]}"
                f" attempt {identity[1]}): run the report again"
            )
        return tallies

    def _take(self, message: Message | None, progress: ProgressCallback | None) -> None:
        if message is None:
            self._failure = self._child.gone()
        elif message[0] == "rows":
            if progress is not None:
                progress(message[1])
        elif message[0] == "done":
            self._result = (message[1], message[2])
        else:
            self._failure = message[1]


@contextmanager
def writing_aside(job: AsideJob | None) -> Iterator[Aside | str | None]:
    """The second process started on `job`; stopped on leaving if it has not finished. None
    without a job; why, in one line, when no process could start (the report is then
    written by one)."""
    if job is None:
        yield None
        return
    child = second_process.try_start(_write, job, "report-aside")
    if not isinstance(child, Child):
        yield child
        return
    try:
        yield Aside(job, child)
    finally:
        child.stop()


def _write(job: AsideJob, pipe: Connection) -> None:
    """The second process: read the run, write the files, send rows, run and tallies."""
    second_process.report_to_parent(pipe, partial(_write_files, job))


def _write_files(job: AsideJob, tell: Tell) -> Message:
    with job.open_reads() as reads:
        run = run_of(reads.day, job.day)
        tallies = DayTallies()
        write_csv_files(
            reads, job.day, job.directory, cutoff_of(job.settings),
            lambda rows: tell(("rows", rows)), observers=tallies.observers(), names=job.names,
        )  # fmt: skip
    return ("done", (run.run_id, run.attempt), tallies)
