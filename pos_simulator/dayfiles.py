"""Reading a generated day back: for scoring (labels, faults) and for the simulator's tests.

The settlement side never needs labels.csv or faults.csv to do its work; it reads labels.csv
only to score itself (`eod --labels`). Its one reader, `settlement.eod.labels.read_labels`,
reads it here too: the checks it makes (header, PAN scan, columns) hold for every caller.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pos_simulator.writer import FAULTS, JOURNAL, LABELS, MERCHANTS, MESSAGES
from settlement.eod.labels import read_labels as labels_file


@dataclass(frozen=True, slots=True)
class FaultRow:
    transaction_id: str
    line: int | None  # 1-based line in messages.jsonl; None for `lost`
    fault: str


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def read_labels(day_dir: Path) -> dict[str, str]:
    """transaction_id -> fraud scenario name or `legit`, of the day in `day_dir`."""
    return labels_file(day_dir / LABELS)


def read_faults(day_dir: Path) -> list[FaultRow]:
    return [
        FaultRow(row["transaction_id"], int(row["line"]) if row["line"] else None, row["fault"])
        for row in _rows(day_dir / FAULTS)
    ]


def iter_journal(day_dir: Path) -> Iterator[dict[str, str]]:
    return _rows(day_dir / JOURNAL)


def iter_merchants(day_dir: Path) -> Iterator[dict[str, str]]:
    return _rows(day_dir / MERCHANTS)


def iter_message_lines(day_dir: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, body without its line end) for every message."""
    with (day_dir / MESSAGES).open(encoding="utf-8", newline="\n") as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line.rstrip("\n")
