"""A chunk check for `settlement.adapters.line_checks` tests: module-level, so it crosses to
the worker process. A line whose first value is "bad" is rejected, "boom" raises."""

from __future__ import annotations

import os

from settlement.adapters.csv_chunks import records_of
from settlement.adapters.line_checks import CheckedChunk, Sent
from settlement.domain.file_lines import LineReason, LineRejected


def upper_values(chunk: Sent) -> CheckedChunk[tuple[int, str, int]]:
    """Each good line as (line number, its first value upper-cased, the checking pid)."""
    checked = CheckedChunk[tuple[int, str, int]]()
    for number, _, values in records_of(chunk, checked.reject):
        if values[0] == "boom":
            raise RuntimeError(f"check failed on line {number}")
        if values[0] == "bad":
            checked.reject(number, LineRejected(LineReason.INVALID_FIELD, f"bad {number}"))
        else:
            checked.lines.append((number, values[0].upper(), os.getpid()))
    return checked
