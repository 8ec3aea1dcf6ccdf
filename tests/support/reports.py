"""Write a date's reports from an engine, as the `settlement report` command does: the read
model over one connection, handed to the report writer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from settlement.adapters.report_reads import report_reads
from settlement.config import Settings
from settlement.reports import WrittenReports, write_reports


def write_day_reports(
    engine: Engine, settings: Settings, day: date, out_dir: Path | None = None
) -> WrittenReports:
    with report_reads(engine) as reads:
        return write_reports(reads, settings, day, out_dir)
