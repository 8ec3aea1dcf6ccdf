"""A read model opened from settings in a process of its own: the report's second process
(`settlement.reports.csv_aside`) calls what `report_opener` returns, after unpickling it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from settlement.adapters.database import existing_engine, seen_by_other_processes
from settlement.adapters.report_reads import ReportReads, report_reads
from settlement.config import Settings
from settlement.reports.csv_aside import OpenReads


@contextmanager
def report_reads_at(url: str) -> Iterator[ReportReads]:
    """The report's read model over the database at `url`, which must exist at this code's
    schema (as for `settlement report`); its engine disposed after."""
    with existing_engine(url) as engine, report_reads(engine) as reads:
        yield reads


def report_opener(settings: Settings) -> OpenReads | None:
    """What another process calls to read the configured database; None where it cannot
    (SQLite in memory): the report is then written by one process."""
    url = settings.database_url
    return partial(report_reads_at, url) if seen_by_other_processes(url) else None
