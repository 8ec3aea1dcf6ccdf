"""Red team: end-of-day operator mistakes around the payout file, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from settlement.adapters.eod_tables import eod_runs
from settlement.adapters.imports import import_journal, import_merchants
from settlement.cli.boundary import describe
from settlement.eod.payout_file import payout_file_path
from settlement.eod.run import RunRequest, run_end_of_day
from settlement.errors import OutputNotWritable
from settlement.exit_codes import ExitCode
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    migrated_database,
    staged,
)

DAY = date(2026, 3, 11)
LATER = datetime(2026, 3, 12, 21, 0)


@pytest.mark.parametrize("completed_first", [False, True])
def test_a_directory_in_place_of_the_payout_file_is_refused_before_the_claim(
    db_url: str, tmp_path: Path, completed_first: bool
) -> None:
    """A --rerun committed ("completed") and only then failed to write the file (naming a
    .partial file); every later eod said "already completed" (exit 3) and, the path
    existing, never restored the file: a completed date without a payout file."""
    with migrated_database(db_url, tmp_path) as (engine, settings):
        import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 0, "0")])
        row = staged("P", "10.00", business_date=DAY, at=datetime(2026, 3, 11, 9, 0))
        insert_staged(engine, [row])
        import_journal(engine, [JOURNAL_HEADER, journal_line(row)], settings, LATER)
        target = payout_file_path(DAY, settings.reports_dir)
        if completed_first:
            assert run_end_of_day(engine, settings, RunRequest(DAY, LATER)).status == "completed"
            target.unlink()
        with engine.connect() as conn:
            runs_before = conn.execute(select(eod_runs)).all()
        target.mkdir(parents=True)
        for rerun in (False, True) if completed_first else (True,):
            with pytest.raises(OutputNotWritable, match="not a regular file"):
                run_end_of_day(engine, settings, RunRequest(DAY, LATER, rerun=rerun))
        with engine.connect() as conn:
            assert conn.execute(select(eod_runs)).all() == runs_before  # nothing claimed


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ("a-directory", "Is a directory"),
        ("/dev/null", "not a regular file"),  # /dev/zero: read until MemoryError or killed
        ("bad.toml", "not valid TOML"),
    ],
)
def test_a_bad_rulebook_is_refused_before_the_claim(
    db_url: str, tmp_path: Path, rules: str, says: str
) -> None:
    """CARDSETTLE_FRAUD_RULES_FILE was read after the claim: a usage error (exit 2,
    "nothing was changed") left a failed run row, or bumped a completed date's attempt."""
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "bad.toml").write_text("[decision\n")
    path = Path(rules) if rules.startswith("/") else tmp_path / rules
    with migrated_database(db_url, tmp_path, fraud_rules_file=path) as (engine, settings):
        import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 0, "0")])
        row = staged("P", "10.00", business_date=DAY, at=datetime(2026, 3, 11, 9, 0))
        insert_staged(engine, [row])
        import_journal(engine, [JOURNAL_HEADER, journal_line(row)], settings, LATER)
        with pytest.raises(Exception, match=says) as raised:
            run_end_of_day(engine, settings, RunRequest(DAY, LATER))
        assert describe(raised.value)[1] == ExitCode.USAGE
        with engine.connect() as conn:
            assert conn.execute(select(eod_runs)).all() == []
