"""Hostile merchants, journal and rates lines through the importers, on SQLite and PostgreSQL.

Each hostile line stands beside a good one. Merchants and rates are all-or-nothing: one bad
line and nothing is written. The journal writes its good lines. In every case the bad line
is reported as `line N: <reason>: ...`, never with a card number in it, and never stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select

from settlement.adapters import database
from settlement.adapters.eod_tables import fx_rates, journal_entries
from settlement.adapters.imports import ImportReport, import_journal, import_merchants, import_rates
from settlement.adapters.tables import merchants
from settlement.config import Settings, load_settings
from tests.support.hostile_files import (
    GOOD_MERCHANT,
    GOOD_RATE,
    JOURNAL_COLUMNS,
    MERCHANT_COLUMNS,
    MERCHANT_LINES,
    RATE_COLUMNS,
    RATE_LINES,
    HostileLine,
    csv_line,
    good_journal,
    journal_lines,
)

NOW = datetime(2026, 3, 11, 21, 0)
RATES_NOW = datetime(2026, 3, 20, 12, 0)  # after every rate date the rates tests import


@pytest.fixture
def ready(db_url: str) -> Iterator[tuple[Engine, Settings]]:
    database.upgrade(db_url)
    engine = database.create_db_engine(db_url)
    yield engine, load_settings(database_url=db_url)
    engine.dispose()


def _file(*lines: str) -> list[str]:
    """The lines as a file would give them: a quoted field's line break splits its line."""
    return list(io.StringIO("\n".join(lines) + "\n", newline=""))


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _dump(engine: Engine) -> str:
    """Every stored text of the three tables, to search for a secret."""
    with engine.connect() as conn:
        rows = [
            *conn.execute(select(merchants)),
            *conn.execute(select(journal_entries)),
            *conn.execute(select(fx_rates)),
        ]
    return "\n".join(repr(tuple(row)) for row in rows)


def _assert_rejected(report: ImportReport, line_no: int, case: HostileLine) -> None:
    assert report.rejected == 1, (case.name, report)
    assert report.errors[0].startswith(f"line {line_no}: {case.reason}: "), (case.name, report)
    if case.secret:
        assert case.secret not in "\n".join(report.errors), case.name


def test_every_hostile_merchant_line_rejects_the_file(ready: tuple[Engine, Settings]) -> None:
    engine, _ = ready
    header = ",".join(MERCHANT_COLUMNS)
    good = csv_line(MERCHANT_COLUMNS, {**GOOD_MERCHANT, "merchant_id": "M0"})
    for case in MERCHANT_LINES:
        hostile = case.line(MERCHANT_COLUMNS, GOOD_MERCHANT)
        report = import_merchants(engine, _file(header, good, hostile))
        _assert_rejected(report, 3, case)
        assert report.written == 0 and _count(engine, merchants) == 0, case.name
        if case.secret:
            assert case.secret not in _dump(engine)


def test_duplicate_merchant_id_is_reported_and_nothing_written(
    ready: tuple[Engine, Settings],
) -> None:
    engine, _ = ready
    good = csv_line(MERCHANT_COLUMNS, GOOD_MERCHANT)
    other = csv_line(MERCHANT_COLUMNS, {**GOOD_MERCHANT, "mdr_bps": "90"})
    report = import_merchants(engine, [",".join(MERCHANT_COLUMNS), good, other])
    assert report.errors == ["line 3: duplicate: merchant_id 'M1' is already on line 2"]
    assert (report.written, _count(engine, merchants)) == (0, 0)


def test_good_merchants_are_written_and_reimport_is_idempotent(
    ready: tuple[Engine, Settings],
) -> None:
    engine, _ = ready
    formula = {**GOOD_MERCHANT, "merchant_id": "M2", "name": '=HYPERLINK("http://x","y")'}
    lines = [",".join(MERCHANT_COLUMNS), csv_line(MERCHANT_COLUMNS, GOOD_MERCHANT),
             csv_line(MERCHANT_COLUMNS, formula)]  # fmt: skip
    for _ in range(2):
        report = import_merchants(engine, lines)
        assert (report.read, report.written, report.rejected) == (2, 2, 0), report
        assert _count(engine, merchants) == 2


def test_every_hostile_journal_line_is_rejected_the_good_one_written(
    ready: tuple[Engine, Settings],
) -> None:
    engine, settings = ready
    header = ",".join(JOURNAL_COLUMNS)
    good = good_journal(NOW)
    for number, case in enumerate(journal_lines(NOW)):
        first = csv_line(JOURNAL_COLUMNS, {**good, "transaction_id": f"G{number}"})
        hostile = case.line(JOURNAL_COLUMNS, good)
        report = import_journal(engine, _file(header, first, hostile), settings, NOW)
        _assert_rejected(report, 3, case)
        assert report.written == 1, (case.name, report)
        assert _count(engine, journal_entries) == number + 1, case.name
        if case.secret:
            assert case.secret not in _dump(engine), case.name


def test_journal_reimport_is_idempotent(ready: tuple[Engine, Settings]) -> None:
    engine, settings = ready
    lines = [",".join(JOURNAL_COLUMNS), csv_line(JOURNAL_COLUMNS, good_journal(NOW))]
    assert import_journal(engine, lines, settings, NOW).written == 1
    again = import_journal(engine, lines, settings, NOW)
    assert (again.written, again.already_there, again.rejected) == (0, 1, 0)


def test_every_hostile_rate_line_rejects_the_file(ready: tuple[Engine, Settings]) -> None:
    engine, settings = ready
    header = ",".join(RATE_COLUMNS)
    good = csv_line(RATE_COLUMNS, {**GOOD_RATE, "currency": "GBP", "units_per_eur": "0.8650"})
    for case in RATE_LINES:
        lines = [header, good, case.line(RATE_COLUMNS, GOOD_RATE)]
        report = import_rates(engine, _file(*lines), RATES_NOW, settings.rate_rules)
        _assert_rejected(report, 3, case)
        assert report.written == 0 and _count(engine, fx_rates) == 0, case.name


def test_duplicate_rates_are_reported_same_value_or_not(ready: tuple[Engine, Settings]) -> None:
    engine, settings = ready
    header = ",".join(RATE_COLUMNS)
    good = csv_line(RATE_COLUMNS, GOOD_RATE)
    for second in ("1.1650", "1.1660"):
        twice = csv_line(RATE_COLUMNS, {**GOOD_RATE, "units_per_eur": second})
        report = import_rates(engine, [header, good, twice], RATES_NOW, settings.rate_rules)
        assert report.errors == ["line 3: duplicate: USD on 2026-03-11 is already on line 2"]
        assert _count(engine, fx_rates) == 0


def test_rate_band_uses_the_latest_earlier_known_rate(ready: tuple[Engine, Settings]) -> None:
    """The previous known rate is the imported one when it is fresher than the ECB's, and
    an earlier line of the same file counts too."""
    engine, settings = ready
    header = ",".join(RATE_COLUMNS)
    rules = settings.rate_rules
    # 1.1650 -> 1.4000 is a 20% step: inside the default band.
    first = import_rates(engine, [header, "2026-03-11,USD,1.1650"], RATES_NOW, rules)
    assert first.written == 1, first
    step = import_rates(engine, [header, "2026-03-12,USD,1.4000"], RATES_NOW, rules)
    assert step.written == 1, step
    # The ECB's 2026-03-12 rate (about 1.16) would refuse 1.60; the imported 1.40 allows it.
    again = import_rates(engine, [header, "2026-03-13,USD,1.6000"], RATES_NOW, rules)
    assert again.written == 1, again
    # Within one file: 1.60 -> 1.90 -> 2.20, each step inside the band, the last far from
    # anything known before the file.
    chain = [header, "2026-03-16,USD,1.9000", "2026-03-17,USD,2.2000"]
    assert import_rates(engine, chain, RATES_NOW, rules).written == 2
    far = import_rates(engine, [header, "2026-03-18,USD,1.1000"], RATES_NOW, rules)
    assert far.errors[0].startswith("line 2: rate_jump: "), far
