"""The labels reader as it was before it streamed (whole text, `splitlines`, one dict): the
reference the streaming reader and `LabelSet` are held to (tests/unit/test_labels.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from settlement.domain.cards import holds_pan, mask_pans
from settlement.eod.input_file import read_input_text
from settlement.eod.labels import COLUMNS, PLAIN_LINE
from settlement.errors import BadInput


def reference_labels(path: Path) -> dict[str, str]:
    lines = read_input_text(path, f"labels file {path}").splitlines()
    header = next(csv.reader(lines[:1]), None)
    if header is None or [cell.strip() for cell in header] != list(COLUMNS):
        shown = mask_pans(",".join(header or []))[:80]
        raise BadInput(f"labels file {path}: header is {shown!r}, expected {','.join(COLUMNS)!r}")
    labels: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if PLAIN_LINE.fullmatch(line):
            transaction_id, label = line.split(",")
            labels[transaction_id] = label
        elif line.strip():
            if holds_pan(line):
                raise BadInput(
                    f"labels file {path} line {number} holds a card number (PAN); a labels"
                    " file carries transaction ids only, so it is not read"
                )
            row = next(csv.reader([line]))
            if len(row) != len(COLUMNS) or not all(cell.strip() for cell in row):
                raise BadInput(
                    f"labels file {path} line {number}: expected {len(COLUMNS)} non-empty"
                    f" columns ({','.join(COLUMNS)}), got {len(row)}"
                )
            labels[row[0].strip()] = row[1].strip()
    return labels
