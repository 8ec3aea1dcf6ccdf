"""Merchant names a spreadsheet would execute, through a whole small day (merchants import,
journal import, end of day, report): no cell of any CSV written starts a formula, unless it
is a plain number (a refund, a negative payout), which stays a number."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from settlement.adapters.imports import import_journal, import_merchants
from settlement.domain.money import Money
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.hostile_files import GOOD_MERCHANT, MERCHANT_COLUMNS, csv_line
from tests.support.reports import write_day_reports
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    insert_staged,
    journal_line,
    migrated_database,
    staged,
)

DAY = date(2026, 3, 11)
NOW = datetime(2026, 3, 11, 21, 0)
T = datetime(2026, 3, 11, 9, 0)
NAMES = {
    "M1": '=HYPERLINK("http://evil.example/x","Click")',
    "M2": "+cmd|' /C calc'!A0",
    "M3": "@SUM(1+1)*cmd|' /C calc'!A0",
    "M4": "-2+3+cmd|' /C calc'!A0",
    "M5": "  =1+1",
}
DANGEROUS = frozenset("=+-@\t\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _merchants() -> list[str]:
    lines = [",".join(MERCHANT_COLUMNS)]
    for merchant_id, name in NAMES.items():
        lines.append(csv_line(MERCHANT_COLUMNS, {**GOOD_MERCHANT, "merchant_id": merchant_id,
                                                 "name": name}))  # fmt: skip
    return lines


def _day() -> tuple[list[dict[str, object]], list[str]]:
    rows = [staged(f"P{n}", "10.00", merchant_id=m, business_date=DAY,
                   at=T + timedelta(minutes=n)) for n, m in enumerate(NAMES, start=1)]  # fmt: skip
    # M2 refunds 50.00 of yesterday's purchase: its payout is negative, a number.
    rows.append(staged("P0", "60.00", merchant_id="M2", business_date=DAY - timedelta(days=1),
                       at=T - timedelta(days=1)))  # fmt: skip
    rows.append(staged("R0", "50.00", merchant_id="M2", business_date=DAY, kind="refund",
                       original="P0", at=T + timedelta(minutes=30)))  # fmt: skip
    journal = [journal_line(row) for row in rows]
    # Staged with a terminal id no message could carry (a row from before the id rules):
    # not in the journal, so it lands in reconciliation.csv and exceptions.csv.
    rows.append(staged("U1", "9.00", merchant_id="M1", business_date=DAY, terminal_id="=T1",
                       at=T + timedelta(minutes=40)))  # fmt: skip
    return rows, journal


def test_no_csv_cell_starts_a_formula(db_url: str, tmp_path: Path) -> None:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        merchants = import_merchants(engine, _merchants())
        assert (merchants.written, merchants.rejected) == (len(NAMES), 0), merchants
        rows, journal = _day()
        insert_staged(engine, rows)
        report = import_journal(engine, [JOURNAL_HEADER, *journal], settings, NOW)
        assert report.rejected == 0, report
        run = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
        assert run.status == "completed", run.message
        write_day_reports(engine, settings, DAY)
    files = sorted((tmp_path / "out").rglob("*.csv"))
    assert {path.name for path in files} >= {"payouts.csv", "reconciliation.csv",
                                              "exceptions.csv", f"payouts-{DAY}.csv"}  # fmt: skip
    negatives = 0
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if cell[:1] in DANGEROUS or cell.lstrip()[:1] in DANGEROUS:
                        assert NUMBER.fullmatch(cell), (path.name, cell)
                        Money.parse(cell, "EUR")
                        negatives += 1
    assert negatives > 0  # the negative payout and refund amounts are there, as numbers
    payouts = (tmp_path / "out" / DAY.isoformat() / "payouts.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in payouts and "'=1+1" in payouts  # the import strips spaces
    exceptions = (tmp_path / "out" / DAY.isoformat() / "exceptions.csv").read_text()
    assert "'=T1" in exceptions
