"""Where a stored rate came from (issue 16, item 1): `ecb` when read from one of the ECB's
files, `imported` from the operator's own date,currency,units_per_eur CSV; the end of day
converts with that source on both stores, and the report and settlement.csv show it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.eod_tables import fx_conversions, fx_rates
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.adapters.report_reads import report_reads
from settlement.config import Settings
from settlement.domain.fraud import load_rulebook
from settlement.eod.run import RunRequest, close_day, run_end_of_day
from settlement.reports.write import write_reports
from tests.support.ecb_rate_files import DAILY_CSV, DAILY_XML, HIST_CSV, NOW
from tests.support.eod_stores import memory_store_of, memory_tables, sql_tables
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    migrated_database,
    staged,
)

DAY = date(2026, 3, 13)  # the ECB files' day (tests/support/ecb_rate_files.py)
RUN_AT = datetime(2026, 3, 13, 21, 30)
OWN_CSV = ["date,currency,units_per_eur", "2026-03-13,USD,1.1476", "2026-03-13,JPY,182.85"]


@pytest.fixture
def ready(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        yield engine, settings


def _sources(engine: Engine) -> dict[tuple[date, str], tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(fx_rates.c.rate_date, fx_rates.c.currency,
                                   fx_rates.c.units_per_eur, fx_rates.c.source))  # fmt: skip
        return {(r.rate_date, r.currency): (r.units_per_eur, r.source) for r in rows}


def _table(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(select(fx_rates)))


@pytest.mark.parametrize("content", [HIST_CSV, DAILY_CSV, DAILY_XML])
def test_a_rate_from_an_ecb_file_is_stored_as_the_ecbs(
    ready: tuple[Engine, Settings], content: str
) -> None:
    engine, settings = ready
    first = import_rates(engine, [content], NOW, settings.rate_rules)
    assert first.written > 0 and first.rejected == 0, first
    assert {source for _, source in _sources(engine).values()} == {"ecb"}
    table = _table(engine)
    again = import_rates(engine, [content], NOW, settings.rate_rules)
    assert (again.written, again.already_there) == (0, first.written)
    assert _table(engine) == table  # a re-import changes nothing, imported_at included


def test_the_own_csv_is_stored_as_imported_and_the_latest_import_says_where_from(
    ready: tuple[Engine, Settings],
) -> None:
    """The same figures from the operator's CSV after the ECB's file: the rows now say
    `imported` (the latest import's word); the ECB file again makes them `ecb`; each
    re-import of the same file changes nothing."""
    engine, settings = ready
    assert import_rates(engine, [DAILY_XML], NOW, settings.rate_rules).written > 2
    own = import_rates(engine, OWN_CSV, NOW, settings.rate_rules)
    assert own.written == 2, own
    stored = _sources(engine)
    assert stored[(DAY, "USD")] == ("1.1476", "imported")
    assert stored[(DAY, "GBP")] == ("0.86503", "ecb")  # not in the own CSV: left as it was
    assert import_rates(engine, OWN_CSV, NOW, settings.rate_rules).written == 0
    assert import_rates(engine, [DAILY_XML], NOW, settings.rate_rules).written == 2
    assert _sources(engine)[(DAY, "USD")] == ("1.1476", "ecb")


def _day(engine: Engine, settings: Settings) -> None:
    import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 150, "0.10"),
                              merchant_line("M2", "JPY", 100, "0")])  # fmt: skip
    rows = [
        staged("P1", "100.00", "USD", business_date=DAY, at=datetime(2026, 3, 13, 9, 0)),
        staged("P2", "50.00", "EUR", merchant_id="M2", business_date=DAY,
               at=datetime(2026, 3, 13, 9, 5)),
    ]  # fmt: skip
    insert_staged(engine, rows)
    import_journal(engine, [JOURNAL_HEADER, *map(journal_line, rows)], settings, RUN_AT)


def _conversion_sources(engine: Engine) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(select(fx_conversions))
        return {(r.from_currency, r.to_currency): r.source for r in rows}


@pytest.mark.parametrize(
    ("rates", "expected"),
    [([DAILY_XML], "ecb"), (OWN_CSV, "imported")],
    ids=["ecb-file", "own-csv"],
)
def test_the_end_of_day_and_its_report_carry_the_rates_source(
    ready: tuple[Engine, Settings], rates: list[str], expected: str
) -> None:
    """A day converting USD -> EUR and EUR -> JPY with rates imported for that very date
    (they win over the shipped ones): the SQL store and the memory store record the same
    source, and summary.json and settlement.csv show it."""
    engine, settings = ready
    assert import_rates(engine, rates, NOW, settings.rate_rules).rejected == 0
    _day(engine, settings)
    memory = memory_store_of(engine)
    request = RunRequest(DAY, RUN_AT)
    sql = run_end_of_day(engine, settings, request)
    in_memory = close_day(memory, settings, request, "memory", load_rulebook(None))
    assert sql.status == in_memory.status == "completed", sql.message
    assert memory_tables(memory) == sql_tables(engine)
    assert _conversion_sources(engine) == {("USD", "EUR"): expected, ("EUR", "JPY"): expected}
    with report_reads(engine) as reads:
        written = write_reports(reads, settings, DAY)
    summary = json.loads((written.directory / "summary.json").read_text())
    assert {(p["from_currency"], p["source"]) for p in summary["fx"]} >= {("USD", expected)}
    with (written.directory / "settlement.csv").open(newline="") as handle:
        lines = {row["transaction_id"]: row for row in csv.DictReader(handle)}
    assert lines["P1"]["rate_source"] == lines["P2"]["rate_source"] == expected
    assert lines["P1"]["rate_date"] == str(DAY)
