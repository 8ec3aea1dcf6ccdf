"""Each CSV file names its columns of stored text, the ones the formula check reads: every
cell a row passes through from the database as text is among them (a column left out would
reach a spreadsheet unchecked), and every other cell is one the writer made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from settlement.adapters.report_reads.records import (
    FlaggedTransaction,
    LedgerEntry,
    MerchantPayout,
    ReconItem,
    SettlementLine,
)
from settlement.reports.amount_text import AmountMemos
from settlement.reports.csv_files import CSV_FILES

RECORDS = {"reconciliation.csv": ReconItem, "fraud.csv": FlaggedTransaction,
           "settlement.csv": SettlementLine, "payouts.csv": MerchantPayout,
           "ledger.csv": LedgerEntry}  # fmt: skip
INTEGERS = ("score", "decision_score", "age_business_days", "line_count", "entry_no")


def _stored(field: str, n: int) -> Any:
    """A value of the field as the chunks hold it; text as a fresh object of its own."""
    if field.endswith("_minor"):
        return -1234
    if field in INTEGERS:
        return 7
    if field.endswith("date"):
        return "2026-10-14"
    if "currency" in field:
        return "".join(["E", "U", "R"])  # a fresh str: a passed-through one is this object
    return f"text {n}"


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_stored_text_cell_is_checked(name: str) -> None:
    spec = next(spec for spec in CSV_FILES if spec.name == name)
    row = tuple(_stored(field, n) for n, field in enumerate(RECORDS[name]._fields))
    (made,) = spec.rows([row], lambda day: datetime(2026, 1, 1), AmountMemos())
    stored = {id(value) for value in row if isinstance(value, str)}
    passed_through = {j for j, cell in enumerate(made) if id(cell) in stored}
    assert spec.text_columns is not None and len(spec.text_columns) >= 2
    assert passed_through == set(spec.text_columns), name
    assert len(made) == len(spec.header)
