"""Progress for every command that takes more than a second: one facility, on the command's
own console (stdout, where the results go: stderr is kept for the one-line error).

A terminal sees rich's live bars, a line per stage: rows done / total, the rate and the ETA
when the total is known; a spinner, the count, the rate and the elapsed time when it is
not. Anything else (a CI log, a pipe, a file, FORCE_COLOR in a log) gets plain lines and no
control code: one at most every `EVERY_S` seconds while a stage runs, and one when it ends;
a stage shorter than `QUIET_BELOW_S` adds nothing there, so a quick command prints what it
printed before. A million-line import at ~20k lines/s writes about a dozen lines.

Below the entry points, slow functions take a plain `settlement.counting.ProgressCallback`
called per chunk; a stage's `advance` is one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")
EVERY_S = 5.0  # plain output: at most one progress line a stage this often
QUIET_BELOW_S = 1.0  # plain output: a stage (or step) shorter than this prints nothing
Clock = Callable[[], float]


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _count(done: int, total: int | None, unit: str) -> str:
    if not unit:
        return ""
    return f"{done:,}/{total:,} {unit}" if total is not None else f"{done:,} {unit}"


def _rate(done: int, seconds: float, unit: str) -> str:
    return f"{done / seconds:,.0f} {unit}/s" if unit and seconds > 0 and done else ""


class _CountColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        total = None if task.total is None else int(task.total)
        return Text(_count(int(task.completed), total, task.fields.get("unit", "")))


class _RateColumn(ProgressColumn):
    """The recent rate while a stage runs (what its ETA follows), the average once done."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        if not unit or not task.fields.get("rates"):
            return Text("")
        if task.finished:
            return Text(_rate(int(task.completed), task.finished_time or 0.0, unit))
        return Text(f"{task.speed:,.0f} {unit}/s" if task.speed else "")


class _EtaColumn(ProgressColumn):
    max_refresh = 0.5  # an ETA that changes ten times a second is unreadable

    def render(self, task: Task) -> Text:
        remaining = task.time_remaining
        if task.finished or not task.fields.get("rates") or remaining is None:
            return Text("")
        return Text(f"ETA {_duration(remaining)}")


def _live_progress(console: Console, clock: Clock) -> Progress:
    return Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        _CountColumn(),
        _RateColumn(),
        _EtaColumn(),
        TimeElapsedColumn(),
        console=console,
        refresh_per_second=4,
        get_time=clock,
    )


@dataclass(eq=False)
class Stage:
    """One stage of a command: `advance` is the callback a slow function is handed."""

    board: ProgressBoard
    description: str
    total: int | None
    unit: str
    started_s: float
    rates: bool = True  # rate and ETA shown (not for steps of unequal length)
    task: TaskID | None = None
    done: int = 0
    finished: bool = False
    printed_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def advance(self, count: int) -> None:
        """`count` more items done (from any thread: the SQS consumers call it too)."""
        with self._lock:
            if self.finished:  # a late chunk from a stream closed after the stage
                return
            self.done += count
            self.board.show(self)

    def rename(self, description: str) -> None:
        self.description = description
        if self.task is not None and self.board.live is not None:
            self.board.live.update(self.task, description=description)

    def note(self, text: str, seconds: float) -> None:
        """A line under the stage (an end-of-day step that just finished): always on a
        terminal, in plain output only when it took `QUIET_BELOW_S` or more."""
        if self.board.live is not None:
            self.board.live.console.print(text, highlight=False, markup=False, emoji=False)
        elif seconds >= QUIET_BELOW_S:
            self.board.say(text)

    def discard(self) -> None:
        """Take the stage off the display without a line: it never began its work (an end
        of day refused before its first step)."""
        with self._lock:
            self.finished = True
            if self.task is not None and self.board.live is not None:
                self.board.live.remove_task(self.task)

    def finish(self, *, completed: bool = True) -> None:
        """End the stage; `completed` False (it raised): the bar stays where it stopped and
        plain output adds no line (the error says what happened)."""
        with self._lock:
            if not self.finished:
                self.finished = True
                self.board.close(self, completed)


@dataclass(eq=False)
class ProgressBoard:
    """The progress of one command, its stages shown one under the other.

    `live_bars` None decides from the console: bars only on an interactive terminal whose file
    really is a TTY (FORCE_COLOR makes rich believe a CI log is a terminal)."""

    console: Console
    live_bars: bool | None = None
    clock: Clock = time.monotonic
    live: Progress | None = None

    def __enter__(self) -> ProgressBoard:
        if self.live_bars if self.live_bars is not None else _is_tty(self.console):
            self.live = _live_progress(self.console, self.clock)
            self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def start(
        self, description: str, total: int | None = None, unit: str = "rows", *, rates: bool = True
    ) -> Stage:
        """A stage that runs until `finish`; `total` None: a spinner and the count so far."""
        stage = Stage(self, description, total, unit, self.clock(), rates)
        stage.printed_s = stage.started_s
        if self.live is not None:
            stage.task = self.live.add_task(description, total=total, unit=unit, rates=rates)
        return stage

    @contextmanager
    def stage(
        self, description: str, total: int | None = None, unit: str = "rows", *, rates: bool = True
    ) -> Iterator[Stage]:
        stage = self.start(description, total, unit, rates=rates)
        try:
            yield stage
        except BaseException:
            stage.finish(completed=False)
            raise
        stage.finish()

    def step(self, description: str, work: Callable[[], T]) -> T:
        """A stage without a count (a spinner and the elapsed time): `work()`'s result."""
        with self.stage(description, unit=""):
            return work()

    def show(self, stage: Stage) -> None:
        if self.live is not None and stage.task is not None:
            self.live.update(stage.task, completed=stage.done)
            return
        now = self.clock()
        if stage.rates and now - stage.printed_s >= EVERY_S:  # steps have their notes
            stage.printed_s = now
            self.say(_progress_line(stage, now - stage.started_s))

    def close(self, stage: Stage, completed: bool) -> None:
        elapsed = self.clock() - stage.started_s
        if self.live is not None and stage.task is not None:
            if completed:  # the bar full however the count ended (a blank line, a total of 0)
                total = stage.done if stage.unit else 1
                self.live.update(stage.task, total=total, completed=total)
            self.live.stop_task(stage.task)
        elif not completed:
            return
        elif elapsed >= QUIET_BELOW_S or stage.printed_s > stage.started_s:
            self.say(_end_line(stage, elapsed))

    def say(self, line: str) -> None:
        self.console.print(line, highlight=False, markup=False, emoji=False, soft_wrap=True)


class Steps:
    """Named steps run one after the other (the end of day's) as one stage: steps done of
    all, the step under way in its description, each step's time noted as it completes.
    `done(name)` is what the run calls after each step, and the last step closes the stage.
    A first `done` without `begin` opens the stage then (the scheduler's runs, which it
    cannot see start): that first step's time is then unknown, noted as 0.0 s."""

    def __init__(self, board: ProgressBoard, description: str, names: Sequence[str]) -> None:
        self.board, self.description, self.names = board, description, tuple(names)
        self.stage: Stage | None = None
        self._mark_s = 0.0

    def begin(self) -> Stage:
        self.stage = self.board.start(self._label(0), len(self.names), "steps", rates=False)
        self._mark_s = self.stage.started_s
        return self.stage

    def done(self, name: str) -> None:
        stage = self.stage or self.begin()
        now = self.board.clock()
        seconds, self._mark_s = now - self._mark_s, now
        stage.advance(1)
        stage.note(f"{self.description}: {name} done in {seconds:.1f} s", seconds)
        if stage.done >= len(self.names):
            stage.rename(self.description)
            self.end()
        else:
            stage.rename(self._label(stage.done))

    def end(self, *, completed: bool = True) -> None:
        """Close the stage: taken off the display when no step was done (a refused run)."""
        if self.stage is not None:
            if self.stage.done:
                self.stage.finish(completed=completed)
            else:
                self.stage.discard()
            self.stage = None

    def _label(self, index: int) -> str:
        return f"{self.description}: {self.names[index]}"


def _is_tty(console: Console) -> bool:
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(console.is_interactive and isatty is not None and isatty())
    except ValueError:  # a closed file
        return False


def _progress_line(stage: Stage, elapsed: float) -> str:
    parts = [_count(stage.done, stage.total, stage.unit)]
    if stage.total:
        parts[0] += f" ({100 * stage.done // stage.total}%)"
    rate = stage.done / elapsed if elapsed > 0 and stage.rates else 0.0
    parts.append(_rate(stage.done, elapsed, stage.unit) if stage.rates else "")
    if stage.total is not None and rate > 0 and stage.done < stage.total:
        parts.append(f"ETA {_duration((stage.total - stage.done) / rate)}")
    parts.append(f"elapsed {_duration(elapsed)}")
    return f"{stage.description}: " + ", ".join(part for part in parts if part)


def _end_line(stage: Stage, elapsed: float) -> str:
    count = f"{stage.done:,} {stage.unit} " if stage.unit else ""
    rate = _rate(stage.done, elapsed, stage.unit) if stage.rates else ""
    return f"{stage.description}: {count}done in {elapsed:.1f} s" + (f" ({rate})" if rate else "")


def count_lines(path: Path) -> int:
    """The lines of a file (the last one counted without its line end too), in 1 MiB reads:
    ~0.1 s for a million-line journal, to give its import a total."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")
