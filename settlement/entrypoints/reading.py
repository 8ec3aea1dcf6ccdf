"""Reads opened from settings in a process of their own: the report's second process
(`settlement.reports.csv_aside`) calls what `report_opener` returns, the end of day's fraud
screen (`settlement.eod.fraud_aside`) what `screen_opener` returns, after unpickling it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from settlement.adapters.database import existing_engine, seen_by_other_processes
from settlement.adapters.eod_store import SqlEodStore, snapshot_store
from settlement.adapters.report_reads import ReportReads, report_reads
from settlement.config import Settings
from settlement.eod.fraud_aside import OpenScreenStore
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


@contextmanager
def screen_store_at(url: str, snapshot: str | None) -> Iterator[SqlEodStore]:
    """A store of the running end of day's view of the database at `url` (`snapshot`: its
    exported PostgreSQL snapshot), read-only; its engine disposed after."""
    with existing_engine(url) as engine, snapshot_store(engine, snapshot) as store:
        yield store


def screen_opener(settings: Settings) -> OpenScreenStore | None:
    """What the fraud screen's second process calls to read the run's snapshot; None where
    another process cannot open the database (SQLite in memory): screened in the run."""
    url = settings.database_url
    return partial(screen_store_at, url) if seen_by_other_processes(url) else None
