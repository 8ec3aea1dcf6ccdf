"""The one reader of `labels.csv` (the simulator's ground truth, `eod --labels`, the demo).

Labels only score the fraud screen, but a wrong file must not score it silently against
nothing, and a file carrying card numbers must not be loaded at all: each problem is a
`BadInput` naming the file and the line (a PAN is reported, never echoed).

The file is streamed line by line into one of two sinks: a dict (`read_labels`, small days
and the simulator's tests) or a `LabelSet` (`read_label_set`, the end of day), which keeps a
million-line file in a small share of the dict's memory (see `labelset`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from settlement.domain.cards import holds_pan, mask_pans
from settlement.domain.fraud.labelset import LabelSet
from settlement.eod.input_file import read_input_lines
from settlement.errors import BadInput

COLUMNS = ("transaction_id", "label")
# A line of a canonical UUID and a label without digits cannot hold a PAN as `holds_pan`
# defines one, unless a group of it could be a 12-digit Maestro PAN: no group reaches 13
# digits, and the card-like layout (a group of four, then groups of at most six) reaches 12
# only as the three groups of four, which stand alone only when the first group is digits
# too. So the shortcut takes neither a last group of 12 decimal digits nor four leading
# all-digit groups (together about one UUID in 280). Such lines skip the scan, which costs
# ~17 us a line (17 s on a million-row day); tests/unit/test_labels.py holds the shortcut to
# holds_pan.
PLAIN_LINE = re.compile(
    r"(?![0-9]{8}-[0-9]{4}-[0-9]{4}-[0-9]{4}-)[0-9a-f]{8}(?:-[0-9a-f]{4}){3}"
    r"-(?![0-9]{12},)[0-9a-f]{12},[A-Za-z_]+",
    re.IGNORECASE,
)


def read_labels(path: Path) -> dict[str, str]:
    """transaction_id -> label; raises BadInput for a missing, unreadable or malformed file."""
    labels: dict[str, str] = {}
    _parse(path, _lines(path), labels.__setitem__)
    return labels


def read_label_set(path: Path) -> LabelSet:
    """The same labels as `read_labels`, held compactly for the scorecard."""
    labels = LabelSet()
    _parse(path, _lines(path), labels.add)
    return labels


def _lines(path: Path) -> Iterator[str]:
    return read_input_lines(path, f"labels file {path}")


def _parse(path: Path, lines: Iterator[str], put: Callable[[str, str], None]) -> None:
    first = next(lines, None)
    header = next(csv.reader([] if first is None else [first]), None)
    if header is None or [cell.strip() for cell in header] != list(COLUMNS):
        shown = mask_pans(",".join(header or []))[:80]
        raise BadInput(f"labels file {path}: header is {shown!r}, expected {','.join(COLUMNS)!r}")
    plain = PLAIN_LINE.fullmatch
    labels: dict[str, str] = {}  # one string per distinct label, not one per line
    for number, line in enumerate(lines, start=2):
        if plain(line):
            transaction_id, label = line.split(",")
            put(transaction_id, labels.setdefault(label, label))
        elif line.strip():
            transaction_id, label = _odd_line(path, number, line)
            put(transaction_id, labels.setdefault(label, label))


def _odd_line(path: Path, number: int, line: str) -> tuple[str, str]:
    """A line that is not a plain UUID and label: scanned for a PAN, then parsed as CSV."""
    if holds_pan(line):
        raise BadInput(
            f"labels file {path} line {number} holds a card number (PAN); a labels file"
            " carries transaction ids only, so it is not read"
        )
    row = next(csv.reader([line]))
    if len(row) != len(COLUMNS) or not all(cell.strip() for cell in row):
        raise BadInput(
            f"labels file {path} line {number}: expected {len(COLUMNS)} non-empty"
            f" columns ({','.join(COLUMNS)}), got {len(row)}"
        )
    if "\x00" in line:  # PostgreSQL refused it in the scorecard's id table: the whole run
        raise BadInput(
            f"labels file {path} line {number}: holds a NUL character, which no database stores"
        )
    return row[0].strip(), row[1].strip()
