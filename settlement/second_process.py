"""A second cardsettle process beside the one that starts it, and the one-way pipe it reports
on: the one home of what the report's CSV files (`settlement.reports.csv_aside`) and the end
of day's fraud screen (`settlement.eod.fraud_aside`) share.

Spawned, not forked: the parent may run a progress thread and hold a database connection,
which a fork would copy in the middle of their use. The child's target runs its work through
`report_to_parent`, which sends the work's last message, or `("failed", <one line>)`. A
parent that is gone (a broken pipe) or stopping (Ctrl-C reaches the whole process group)
ends the child quietly, without a traceback.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

Message = tuple[Any, ...]
Tell = Callable[[Message], None]  # the child's word to the parent on the way
FAILED = "failed"
_MAX_REASON_CHARS = 300


class Child:
    """The parent's end of a second process."""

    def __init__(self, process: BaseProcess, pipe: Connection) -> None:
        self.process, self._pipe = process, pipe

    def ready(self) -> bool:
        """A message is waiting (or the child is gone): `receive` will not block."""
        return self._pipe.poll()

    def receive(self) -> Message | None:
        """The child's next message; None when it is gone without one (see `gone`)."""
        try:
            message: Message = self._pipe.recv()
        except (EOFError, OSError):
            self.process.join()
            return None
        return message

    def gone(self) -> str:
        """Why a child that sent nothing more ended: its exit code."""
        self.process.join()
        return f"it stopped (exit code {self.process.exitcode})"

    def stop(self) -> None:
        """End the child if it still runs (the parent failed, or is done with it)."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self._pipe.close()


def start(target: Callable[[Any, Connection], None], job: Any, name: str) -> Child:
    """`target(job, pipe)` in a spawned process; `target` and `job` cross by pickling (a
    module-level function; a job of plain values and module-level callables). Raises
    OSError when no process can be started."""
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(job, writer), name=name, daemon=True)
    try:
        process.start()
    except BaseException:
        reader.close()
        raise
    finally:
        writer.close()  # the child's end: the parent reads EOF once the child is gone
    return Child(process, reader)


def try_start(target: Callable[[Any, Connection], None], job: Any, name: str) -> Child | str:
    """`start`, or why it failed, in one line: no process could start (OSError), or `job`
    cannot cross (a pickling error). The caller then does the work itself, to the same
    result."""
    try:
        return start(target, job, name)
    except Exception as error:  # noqa: BLE001 - any reason not to start is reported, not raised
        return f"it could not start: {one_line(error)}"


def report_to_parent(pipe: Connection, work: Callable[[Tell], Message]) -> None:
    """In the child: run `work(tell)`, then send its message, or `("failed", why)` in one
    line; `tell` sends a message on the way."""
    try:
        message = work(pipe.send)
        _send(pipe, message)
    except (BrokenPipeError, KeyboardInterrupt):
        return  # the parent is gone or stopping: nobody to tell
    except Exception as error:  # noqa: BLE001 - every failure is the parent's to report
        _send(pipe, (FAILED, one_line(error)))
    finally:
        pipe.close()


def one_line(error: BaseException) -> str:
    """The error's text on one line, at most 300 characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    if len(text) <= _MAX_REASON_CHARS:
        return text
    return text[: _MAX_REASON_CHARS - 3] + "..."


def _send(pipe: Connection, message: Message) -> None:
    with suppress(OSError):  # the parent is gone: nobody to tell
        pipe.send(message)
