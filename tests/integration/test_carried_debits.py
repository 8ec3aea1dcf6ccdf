"""A merchant debit carried into the next payout by the SQL store, on SQLite and PostgreSQL:
the payout CSV and the bank file show it, a re-run takes it in once, and a re-run of the
earlier date that changes a debit the later date already took in names the later date."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.eod_tables import ledger_entries, payouts
from settlement.adapters.imports import import_journal, import_merchants
from settlement.adapters.report_reads import report_reads
from settlement.config import Settings
from settlement.eod.bank_file import bank_file_path
from settlement.eod.payout_file import payout_file_path
from settlement.eod.run import RunRequest, run_end_of_day
from settlement.reports.write import write_reports
from tests.support.pain001 import assert_valid, transactions
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    migrated_database,
    staged,
)

DAYS = (date(2026, 3, 11), date(2026, 3, 12))
NOWS = (datetime(2026, 3, 11, 21, 30), datetime(2026, 3, 12, 21, 30))
PLACE = "5411,NL,Amsterdam,Europe/Amsterdam"


@pytest.fixture
def books(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        import_merchants(engine, [f"{MERCHANTS_HEADER},iban,bic",
                                  f"M1,Shop,{PLACE},EUR,150,0.10,NL91ABNA0417164300,"])  # fmt: skip
        yield engine, settings


def _stage(engine: Engine, settings: Settings, day: int, *sales: tuple[str, str]) -> None:
    rows = [
        staged(tid, amount, business_date=DAYS[day], at=datetime(2026, 3, 11 + day, 9, i))
        for i, (tid, amount) in enumerate(sales)
    ]
    insert_staged(engine, rows)
    import_journal(engine, [JOURNAL_HEADER, *map(journal_line, rows)], settings, NOWS[day])


def _run(engine: Engine, settings: Settings, day: int, *, rerun: bool = False) -> None:
    report = run_end_of_day(engine, settings, RunRequest(DAYS[day], NOWS[day], rerun=rerun))
    assert report.status == "completed", report.message


def _csv(settings: Settings, day: int) -> dict[str, str]:
    with payout_file_path(DAYS[day], settings.reports_dir).open(newline="") as handle:
        return next(csv.DictReader(handle))


def _carry(engine: Engine) -> list[tuple[date, int, int, int]]:
    query = select(payouts.c.run_date, payouts.c.payout_minor, payouts.c.carried_in_minor,
                   payouts.c.carried_out_minor).order_by(payouts.c.run_date)  # fmt: skip
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


def test_a_debit_is_carried_once_into_the_next_payout(books: tuple[Engine, Settings]) -> None:
    engine, settings = books
    _stage(engine, settings, 0, ("P1", "0.05"))  # below the 0.10 fee: a debit of 0.05
    _run(engine, settings, 0)
    first = _csv(settings, 0)
    assert (first["payout"], first["carried_out"], first["amount_due"], first["transfer"]) == (
        "-0.05", "0.05", "0.00", "carried_forward",
    )  # fmt: skip
    assert not bank_file_path(DAYS[0], settings.reports_dir).exists()
    _stage(engine, settings, 1, ("P2", "20.00"))
    _run(engine, settings, 1)
    _run(engine, settings, 1, rerun=True)  # never carried twice
    _run(engine, settings, 0, rerun=True)  # the earlier date, unchanged: allowed
    assert _carry(engine) == [(DAYS[0], -5, 0, 5), (DAYS[1], 1960, 5, 0)]
    second = _csv(settings, 1)
    assert (second["carried_in"], second["amount_due"], second["transfer"]) == (
        "0.05", "19.55", "sepa",
    )  # fmt: skip
    document = bank_file_path(DAYS[1], settings.reports_dir).read_bytes()
    assert_valid(document)
    assert {str(amount) for amount, _, _ in transactions(document).values()} == {"19.55"}
    with engine.connect() as conn:
        memos = {(r.run_date, r.account, r.memo) for r in conn.execute(select(ledger_entries))}
    assert (DAYS[0], "merchant_receivable", "debit carried out") in memos
    assert (DAYS[1], "merchant_receivable", "debit carried in") in memos
    _reported(engine, settings)


def _reported(engine: Engine, settings: Settings) -> None:
    """The report shows the carried debit: payouts.csv, summary.json and the page, and
    its payout identity check holds with the carry."""
    with report_reads(engine) as reads:
        written = write_reports(reads, settings, DAYS[1])
    with (written.directory / "payouts.csv").open(newline="") as handle:
        row = next(csv.DictReader(handle))
    assert (row["carried_in"], row["carried_out"], row["amount_due"]) == ("0.05", "0.00", "19.55")
    summary = json.loads((written.directory / "summary.json").read_text())
    assert summary["payouts"]["EUR"]["carried_in_minor"] == 5
    assert summary["payouts"]["EUR"]["due_minor"] == 1955
    assert summary["checks"]["payout_identity"] is True
    assert "debit carried in" in (written.directory / "report.html").read_text()


def test_a_rerun_changing_a_debit_taken_in_later_names_the_later_date(
    books: tuple[Engine, Settings],
) -> None:
    engine, settings = books
    _stage(engine, settings, 0, ("P1", "0.05"))
    _run(engine, settings, 0)
    _stage(engine, settings, 1, ("P2", "20.00"))
    _run(engine, settings, 1)
    _stage(engine, settings, 0, ("P0", "0.01"))  # arrives for the first date afterwards
    report = run_end_of_day(engine, settings, RunRequest(DAYS[0], NOWS[1], rerun=True))
    assert report.status == "completed" and report.message.startswith(
        "end of day 2026-03-11 completed; re-run 2026-03-12 after it"
    )
    assert report.counts["carried_debits_rerun"] == ["2026-03-12"]
    _run(engine, settings, 1, rerun=True)
    assert _carry(engine) == [(DAYS[0], -14, 0, 14), (DAYS[1], 1960, 14, 0)]
    assert _csv(settings, 1)["amount_due"] == "19.46"
