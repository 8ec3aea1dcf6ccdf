"""The end of day's SEPA credit transfer file, on SQLite and PostgreSQL: the euro payouts
with an account in SEPA, valid against the official XSD, its sums those of the payout CSV,
and the identical bytes on a re-run and on a restore; never silently replaced."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from moto import mock_aws
from sqlalchemy import Engine
from typer.testing import CliRunner

from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.cli import app
from settlement.config import Settings
from settlement.eod.bank_file import bank_file_path, bank_order, bank_terms
from settlement.eod.payout_file import payout_file_path, write_payout_file
from settlement.eod.run import RunRequest, run_end_of_day
from settlement.errors import PayoutFileConflict
from tests.support import pain001_tree
from tests.support.pain001 import assert_valid, header, transactions
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    migrated_database,
    staged,
)

DAY, NOW = date(2026, 3, 11), datetime(2026, 3, 11, 21, 30)
PLACE = "5411,NL,Amsterdam,Europe/Amsterdam"
MERCHANTS = [
    f"{MERCHANTS_HEADER},iban,bic",
    f'M1,"Bäckerei Müller & Söhne <b>, ""Ü""",{PLACE},EUR,150,0.10,'
    "DE89 3704 0044 0532 0130 00,COBADEFFXXX",
    f"M2,No Account,{PLACE},EUR,150,0.10,,",
    f"M3,Dollar Shop,{PLACE},USD,150,0.10,NL91ABNA0417164300,ABNANL2A",
    f"M4,Kuwait Account,{PLACE},EUR,150,0.10,KW81CBKU0000000000001234560101,",
    f"M5,{'Long Name ' * 19},{PLACE},EUR,150,0.10,CH9300762011623852957,",
]
SALES = [("M1", "120.00", "EUR"), ("M1", "30.00", "EUR"), ("M2", "50.00", "EUR"),
         ("M3", "70.00", "USD"), ("M4", "10.00", "EUR"), ("M5", "99.99", "EUR")]  # fmt: skip


@pytest.fixture
def day(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        assert import_merchants(engine, MERCHANTS).written == 5
        import_rates(engine, ["date,currency,units_per_eur", f"{DAY},USD,1.0850"], NOW)
        rows = [
            staged(f"P{i}", amount, currency, merchant_id=merchant, business_date=DAY,
                   at=datetime(2026, 3, 11, 10, i))
            for i, (merchant, amount, currency) in enumerate(SALES)
        ]  # fmt: skip
        insert_staged(engine, rows)
        import_journal(engine, [JOURNAL_HEADER, *map(journal_line, rows)], settings, NOW)
        yield engine, settings


def _payouts(settings: Settings) -> dict[str, dict[str, str]]:
    with payout_file_path(DAY, settings.reports_dir).open(newline="") as handle:
        return {row["merchant_id"]: row for row in csv.DictReader(handle)}


def test_the_euro_payouts_with_a_sepa_account_are_sent(day: tuple[Engine, Settings]) -> None:
    engine, settings = day
    report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    assert report.status == "completed", report.message
    rows = _payouts(settings)
    assert {m: r["transfer"] for m, r in rows.items()} == {
        "M1": "sepa", "M2": "no_bank_account", "M3": "not_sepa_currency",
        "M4": "not_sepa_account", "M5": "sepa",
    }  # fmt: skip
    document = bank_file_path(DAY, settings.reports_dir).read_bytes()
    assert_valid(document)
    sent = transactions(document)
    assert sent == {
        "20260311-EUR-M1": (Decimal(rows["M1"]["amount_due"]), "Backerei Muller + Sohne b , 'U'",
                            "DE89370400440532013000"),
        "20260311-EUR-M5": (Decimal(rows["M5"]["amount_due"]), ("Long Name " * 7).strip(),
                            "CH9300762011623852957"),
    }  # fmt: skip
    total = sum(amount for amount, _, _ in sent.values())
    assert header(document, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == f"{total:.2f}"
    assert header(document, "p:CstmrCdtTrfInitn/p:PmtInf/p:NbOfTxs") == "2"
    assert header(document, ".//p:DbtrAcct/p:Id/p:IBAN") == settings.sepa_debtor_iban


def test_the_file_is_the_element_tree_rendering_of_the_days_order(
    day: tuple[Engine, Settings],
) -> None:
    """Old vs new on a whole day, on both backends: the bank file written in chunks is the
    bytes the frozen ElementTree renderer gives for the committed payouts' order."""
    engine, settings = day
    assert run_end_of_day(engine, settings, RunRequest(DAY, NOW)).status == "completed"
    order = bank_order(engine, DAY, bank_terms(settings, DAY))
    assert order is not None
    assert bank_file_path(DAY, settings.reports_dir).read_bytes() == pain001_tree.render(order)


def test_a_rerun_and_a_restore_write_the_identical_files(day: tuple[Engine, Settings]) -> None:
    engine, settings = day
    run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    bank = bank_file_path(DAY, settings.reports_dir)
    first = (bank.read_bytes(), payout_file_path(DAY, settings.reports_dir).read_bytes())
    later = datetime(2026, 3, 12, 9, 0)  # another clock: nothing of it in the files
    again = run_end_of_day(engine, settings, RunRequest(DAY, later, rerun=True))
    assert again.status == "completed", again.message
    assert (bank.read_bytes(), payout_file_path(DAY, settings.reports_dir).read_bytes()) == first
    bank.unlink()  # as if the process died between the commit and this file
    restored = run_end_of_day(engine, settings, RunRequest(DAY, later))
    assert restored.status == "already_completed" and bank.read_bytes() == first[0]


def test_another_file_in_its_place_is_a_conflict_unless_rerun(
    day: tuple[Engine, Settings],
) -> None:
    engine, settings = day
    run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    bank = bank_file_path(DAY, settings.reports_dir)
    mine = bank.read_bytes()
    bank.write_bytes(mine.replace(b"M5", b"M6"))
    terms = bank_terms(settings, DAY)
    with pytest.raises(PayoutFileConflict, match="already holds other transfers"):
        write_payout_file(engine, DAY, settings.reports_dir, bank=terms)
    assert bank.read_bytes() != mine
    write_payout_file(engine, DAY, settings.reports_dir, bank=terms, replace=True)
    assert bank.read_bytes() == mine


def test_a_foreign_bank_file_refuses_a_date_never_run(day: tuple[Engine, Settings]) -> None:
    engine, settings = day
    settings.reports_dir.mkdir(parents=True)
    bank_file_path(DAY, settings.reports_dir).write_bytes(b"<Document/>")
    report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    assert (report.status, report.reason) == ("refused", "payout_file_exists")


def test_a_day_without_euro_transfers_has_no_bank_file(db_url: str, tmp_path: Path) -> None:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        import_merchants(engine, MERCHANTS[:3])
        row = staged("P1", "5.00", merchant_id="M2", business_date=DAY, at=NOW.replace(hour=9))
        insert_staged(engine, [row])
        import_journal(engine, [JOURNAL_HEADER, journal_line(row)], settings, NOW)
        report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
        assert report.status == "completed", report.message
        assert _payouts(settings)["M2"]["transfer"] == "no_bank_account"
        assert not bank_file_path(DAY, settings.reports_dir).exists()


def test_the_demo_leaves_a_bank_file_the_schema_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    """`settlement demo` from nothing: its generated merchants have accounts, its euro
    payouts leave in a valid pain.001, and the CSV's `sepa` rows are its transactions."""
    monkeypatch.setenv("CARDSETTLE_S3_BUCKET", "cardsettle-test-bank-file")
    with mock_aws():
        result = CliRunner().invoke(app, ["demo", "--no-compare", "-n", "300",
                                          "--transport", "direct"])  # fmt: skip
    assert result.exit_code == 0, result.output
    (document_path,) = Path("reports").glob("payouts-*.pain.001.xml")
    document = document_path.read_bytes()
    assert_valid(document)
    (payout_csv,) = Path("reports").glob("payouts-*.csv")
    with payout_csv.open(newline="") as handle:
        sepa = {r["merchant_id"]: r["amount_due"] for r in csv.DictReader(handle)
                if r["transfer"] == "sepa"}  # fmt: skip
    sent = transactions(document)
    assert len(sent) == len(sepa) > 0
    assert sorted(str(amount) for amount, _, _ in sent.values()) == sorted(sepa.values())
