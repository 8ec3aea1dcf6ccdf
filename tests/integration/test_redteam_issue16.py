"""Red team, issue 16, on SQLite and PostgreSQL: merchants.csv accounts that change or
repeat, hostile names and ids through the whole end of day into the pain.001 file, and
merchant debits carried across dates and currencies."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from settlement.adapters import run_guard
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.adapters.tables import merchants
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.eod.bank_file import bank_file_path
from settlement.eod.payout_file import payout_file_path
from settlement.eod.run import RunRequest, close_day, run_end_of_day
from settlement.errors import OutputNotWritable
from tests.support.eod_stores import memory_store_of, memory_tables, sql_tables
from tests.support.pain001 import assert_valid, transactions
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    migrated_database,
    staged,
)

DAY = date(2026, 3, 11)
PLACE = "5411,NL,Amsterdam,Europe/Amsterdam"
DE_IBAN, CH_IBAN, NL_IBAN = "DE89370400440532013000", "CH9300762011623852957", "NL91ABNA0417164300"
VISA = "4111111111111111"
RTL_NAME = "\u05e9\u05dc\u05d5\u05dd " + "\u0645" * 150


def _at(day: date, hour: int = 21, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        yield engine, settings


def _sales(
    engine: Engine, settings: Settings, day: date, sales: list[tuple[str, str, str, str]]
) -> None:
    """(transaction id, merchant, amount, currency) purchases as staged and journal rows."""
    rows = [
        staged(
            tx_id, amount, currency, merchant_id=merchant, business_date=day, at=_at(day, 10, i)
        )
        for i, (tx_id, merchant, amount, currency) in enumerate(sales)
    ]  # fmt: skip
    insert_staged(engine, rows)
    import_journal(engine, [JOURNAL_HEADER, *map(journal_line, rows)], settings, _at(day))


def _payouts(settings: Settings, day: date) -> dict[tuple[str, str], dict[str, str]]:
    with payout_file_path(day, settings.reports_dir).open(newline="") as handle:
        return {(r["merchant_id"], r["currency"]): r for r in csv.DictReader(handle)}


def _run(engine: Engine, settings: Settings, day: date, *, rerun: bool = False) -> None:
    report = run_end_of_day(engine, settings, RunRequest(day, _at(day), rerun=rerun))
    assert report.status == "completed", report.message


# --- merchants.csv accounts ---------------------------------------------------------------
def test_a_card_number_in_the_iban_column_is_neither_stored_nor_echoed(
    db: tuple[Engine, Settings],
) -> None:
    engine, _ = db
    result = import_merchants(
        engine,
        [f"{MERCHANTS_HEADER},iban,bic", f"M1,Shop,{PLACE},EUR,150,0.10,{VISA},",
         f"M2,Shop,{PLACE},EUR,150,0.10,4111 1111 1111 1111,COBADEFF"],
    )  # fmt: skip
    assert result.written == 0 and result.rejected == 2
    text = repr(result)
    assert VISA not in text and "4111 1111 1111 1111" not in text
    with engine.connect() as conn:
        assert list(conn.execute(select(merchants.c.merchant_id))) == []


def test_duplicate_merchant_lines_with_two_ibans_do_not_pick_one_silently(
    db: tuple[Engine, Settings],
) -> None:
    engine, _ = db
    result = import_merchants(
        engine,
        [f"{MERCHANTS_HEADER},iban,bic", f"M1,Shop,{PLACE},EUR,150,0.10,{DE_IBAN},",
         f"M1,Shop,{PLACE},EUR,150,0.10,{CH_IBAN},"],
    )  # fmt: skip
    with engine.connect() as conn:
        stored = [row.iban for row in conn.execute(select(merchants.c.iban))]
    assert (result.rejected, stored) == (1, []), result  # all or nothing: neither is taken
    assert "duplicate" in result.errors[0] and CH_IBAN not in result.errors[0]


def test_hostile_names_and_ids_reach_a_valid_bank_file(db: tuple[Engine, Settings]) -> None:
    engine, settings = db
    lines = [
        f'M.1,"<b>&amp; ]]> ""x""",{PLACE},EUR,0,0,{DE_IBAN},',
        f'M:2,"\U0001f600\U0001f4b3",{PLACE},EUR,0,0,{CH_IBAN},',
        f'{"M" * 32},"{RTL_NAME}",{PLACE},EUR,0,0,{NL_IBAN},',
    ]
    assert import_merchants(engine, [f"{MERCHANTS_HEADER},iban,bic", *lines]).written == 3
    _sales(engine, settings, DAY, [("P1", "M.1", "10.00", "EUR"), ("P2", "M:2", "20.00", "EUR"),
                                   ("P3", "M" * 32, "30.00", "EUR")])  # fmt: skip
    _run(engine, settings, DAY)
    document = bank_file_path(DAY, settings.reports_dir).read_bytes()
    assert_valid(document)
    sent = transactions(document)
    assert len(sent) == 3 and all(name for _, name, _ in sent.values())
    assert sorted(str(amount) for amount, _, _ in sent.values()) == ["10.00", "20.00", "30.00"]


# --- carried merchant debits ----------------------------------------------------------------
def _carry_merchant(engine: Engine, currency: str, fee: str = "40.00") -> None:
    """M1 charged a fixed fee of `fee` a purchase: a purchase below it is a debit."""
    line = f"M1,Shop,{PLACE},{currency},0,{fee},{DE_IBAN},"
    assert import_merchants(engine, [f"{MERCHANTS_HEADER},iban,bic", line]).written == 1


def test_a_debit_carried_over_three_dates_and_a_rerun_of_the_middle_one(
    db: tuple[Engine, Settings],
) -> None:
    engine, settings = db
    _carry_merchant(engine, "EUR")
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    _sales(engine, settings, days[0], [("P1", "M1", "10.00", "EUR")])  # -30.00
    _sales(engine, settings, days[1], [("P2", "M1", "50.00", "EUR")])  # +10.00
    _sales(engine, settings, days[2], [("P3", "M1", "100.00", "EUR")])  # +60.00
    memory = memory_store_of(engine)
    for day in days:
        _run(engine, settings, day)
        close_day(memory, settings, RunRequest(day, _at(day)), "memory", load_rulebook(None))
    assert memory_tables(memory)["payouts"] == sql_tables(engine)["payouts"]
    carry = [
        tuple(_payouts(settings, d)[("M1", "EUR")][c] for c in ("carried_in", "carried_out",
                                                               "amount_due", "transfer"))
        for d in days
    ]  # fmt: skip
    assert carry == [
        ("0.00", "30.00", "0.00", "carried_forward"),
        ("30.00", "20.00", "0.00", "carried_forward"),
        ("20.00", "0.00", "40.00", "sepa"),
    ]
    before = bank_file_path(days[2], settings.reports_dir).read_bytes()
    _run(engine, settings, days[1], rerun=True)
    request = RunRequest(days[1], _at(days[1]), rerun=True)
    close_day(memory, settings, request, "memory", load_rulebook(None))
    assert memory_tables(memory)["payouts"] == sql_tables(engine)["payouts"]
    assert _payouts(settings, days[1])[("M1", "EUR")]["carried_out"] == "20.00"
    assert bank_file_path(days[2], settings.reports_dir).read_bytes() == before
    assert transactions(before)["20260313-EUR-M1"][0] == 40


def test_a_debit_in_one_currency_is_never_netted_against_a_payout_in_another(
    db: tuple[Engine, Settings],
) -> None:
    engine, settings = db
    import_rates(engine, ["date,currency,units_per_eur", f"{DAY},USD,1.0850",
                          f"{DAY + timedelta(days=1)},USD,1.0850"], _at(DAY))  # fmt: skip
    _carry_merchant(engine, "USD")
    _sales(engine, settings, DAY, [("P1", "M1", "10.00", "USD")])  # -30.00 USD
    _run(engine, settings, DAY)
    _carry_merchant(engine, "EUR", fee="0")  # the merchant now settles in euro
    second = DAY + timedelta(days=1)
    _sales(engine, settings, second, [("P2", "M1", "80.00", "EUR")])
    _run(engine, settings, second)
    row = _payouts(settings, second)[("M1", "EUR")]
    assert (row["carried_in"], row["amount_due"], row["transfer"]) == ("0.00", "80.00", "sepa")
    sent = transactions(bank_file_path(second, settings.reports_dir).read_bytes())
    assert sent["20260312-EUR-M1"][0] == 80


def test_a_restore_after_the_account_was_removed_does_not_lose_the_payout(
    db: tuple[Engine, Settings],
) -> None:
    """Fixed: the run committed and wrote its CSV (M1: `sepa`), the process died before the
    bank file; M1's IBAN was then removed from merchants.csv. The restore found no euro
    transfer to write and reported nothing: the CSV said M1 was sent, no file sent it. Now
    the payout row keeps the account the run found, and the restore writes the run's file."""
    engine, settings = db
    _carry_merchant(engine, "EUR", fee="0")
    _sales(engine, settings, DAY, [("P1", "M1", "10.00", "EUR")])
    _run(engine, settings, DAY)
    assert _payouts(settings, DAY)[("M1", "EUR")]["transfer"] == "sepa"
    bank = bank_file_path(DAY, settings.reports_dir)
    first = bank.read_bytes()
    bank.unlink()  # as if the process died between the CSV and the bank file
    line = f"M1,Shop,{PLACE},EUR,0,0,,"
    assert import_merchants(engine, [f"{MERCHANTS_HEADER},iban,bic", line]).written == 1
    later = _at(DAY + timedelta(days=1), 9, 0)
    assert run_end_of_day(engine, settings, RunRequest(DAY, later)).status == "already_completed"
    assert bank.read_bytes() == first
    assert _payouts(settings, DAY)[("M1", "EUR")]["transfer"] == "sepa"


def test_a_restore_with_the_same_master_data_writes_the_identical_bank_file(
    db: tuple[Engine, Settings],
) -> None:
    engine, settings = db
    _carry_merchant(engine, "EUR", fee="0")
    _sales(engine, settings, DAY, [("P1", "M1", "10.00", "EUR")])
    _run(engine, settings, DAY)
    bank = bank_file_path(DAY, settings.reports_dir)
    first = bank.read_bytes()
    bank.unlink()
    report = run_end_of_day(engine, settings, RunRequest(DAY, _at(DAY + timedelta(days=1))))
    assert report.status == "already_completed" and bank.read_bytes() == first


def test_a_payout_over_the_sepa_maximum_leaves_the_file_valid_for_the_others(
    db_url: str, tmp_path: Path
) -> None:
    """Fixed: a payout of 1,000,000,000.00 EUR (one message may carry 99,999,999,999.99)
    went into the file; over EPC AT-04's 999,999,999.99, a bank rejects the whole file.
    (The amount rules are off: a screened day pays such a sale too once it is released.)"""
    rules = tmp_path / "rules.toml"
    rules.write_text("[rules.over_limit]\nenabled = false\n[rules.amount_spike]\nenabled = false\n")
    with migrated_database(db_url, tmp_path, fraud_rules_file=rules) as (engine, settings):
        _a_payout_over_the_sepa_maximum(engine, settings)


def _a_payout_over_the_sepa_maximum(engine: Engine, settings: Settings) -> None:
    lines = [f"M1,Big,{PLACE},EUR,0,0,{DE_IBAN},", f"M2,Small,{PLACE},EUR,0,0,{CH_IBAN},"]
    assert import_merchants(engine, [f"{MERCHANTS_HEADER},iban,bic", *lines]).written == 2
    _sales(engine, settings, DAY, [("P1", "M1", "1000000000.00", "EUR"),
                                   ("P2", "M2", "10.00", "EUR")])  # fmt: skip
    _run(engine, settings, DAY)
    rows = _payouts(settings, DAY)
    assert rows[("M1", "EUR")]["transfer"] == "above_sepa_maximum"
    assert rows[("M1", "EUR")]["amount_due"] == "1000000000.00"
    document = bank_file_path(DAY, settings.reports_dir).read_bytes()
    assert_valid(document)
    assert list(transactions(document)) == ["20260311-EUR-M2"]


def test_a_directory_in_the_bank_files_place_is_refused_before_the_run(
    db: tuple[Engine, Settings],
) -> None:
    """A directory named like the date's bank file: the run must refuse before it commits
    (as for the CSV), not commit and then fail to write the file the bank needs."""
    engine, settings = db
    _carry_merchant(engine, "EUR", fee="0")
    _sales(engine, settings, DAY, [("P1", "M1", "10.00", "EUR")])
    bank_file_path(DAY, settings.reports_dir).mkdir(parents=True)
    with pytest.raises(OutputNotWritable, match="not a regular file"):
        run_end_of_day(engine, settings, RunRequest(DAY, _at(DAY)))
    assert run_guard.status_of(engine, DAY) is None


def test_a_restore_after_an_iban_change_writes_the_run_s_file(
    db: tuple[Engine, Settings],
) -> None:
    """The run wrote its files (M1 paid to DE...); the bank file was moved away (to an
    outbox, or lost); M1's IBAN changed in a re-import; the catch-up restores the missing
    file. Fixed: it was a new one, read from merchants.csv as it then was (another IBAN,
    so another MsgId, which the bank's duplicate check does not drop), paying M1 a second
    time if the first had been delivered. Now the run's file, byte for byte."""
    engine, settings = db
    _carry_merchant(engine, "EUR", fee="0")
    _sales(engine, settings, DAY, [("P1", "M1", "10.00", "EUR")])
    _run(engine, settings, DAY)
    bank = bank_file_path(DAY, settings.reports_dir)
    first = bank.read_bytes()
    bank.unlink()
    line = f"M1,Shop,{PLACE},EUR,0,0,{CH_IBAN},"
    assert import_merchants(engine, [f"{MERCHANTS_HEADER},iban,bic", line]).written == 1
    run_end_of_day(engine, settings, RunRequest(DAY, _at(DAY + timedelta(days=1))))
    assert bank.read_bytes() == first


def test_a_rerun_after_an_iban_change_pays_the_new_account(db: tuple[Engine, Settings]) -> None:
    engine, settings = db
    _carry_merchant(engine, "EUR", fee="0")
    _sales(engine, settings, DAY, [("P1", "M1", "10.00", "EUR")])
    _run(engine, settings, DAY)
    line = f"M1,Shop,{PLACE},EUR,0,0,{CH_IBAN},"
    assert import_merchants(engine, [f"{MERCHANTS_HEADER},iban,bic", line]).written == 1
    _run(engine, settings, DAY, rerun=True)
    sent = transactions(bank_file_path(DAY, settings.reports_dir).read_bytes())
    assert sent["20260311-EUR-M1"][2] == CH_IBAN
