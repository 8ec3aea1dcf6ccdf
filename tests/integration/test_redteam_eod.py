"""Red team: end-of-day operator mistakes around the payout file, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from settlement.adapters.eod_tables import eod_runs
from settlement.adapters.imports import import_journal, import_merchants
from settlement.eod.payout_file import payout_file_path
from settlement.eod.run import RunRequest, run_end_of_day
from settlement.errors import OutputNotWritable
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
