"""The report's read model: every query a business date's report makes, and nothing else.

`settlement.reports` renders; it reaches the database only through a `ReportReads`, whose
parts are named for what the report shows: the run and its volumes (`day`), reconciliation
and fraud (`recon`), payouts, FX and the ledger (`ledger`), the gateway's batches and rejects
(`gateway`), and the CSV files' rows streamed in a fixed order (`detail`). They return typed
records of stored values (`records`) or plain counts and sums; deciding what a value means
and how it looks is left to the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from settlement.adapters.report_reads.day import DayReads
from settlement.adapters.report_reads.detail_rows import DetailRows
from settlement.adapters.report_reads.gateway import GatewayReads
from settlement.adapters.report_reads.ledger import LedgerReads
from settlement.adapters.report_reads.recon import ReconReads


@dataclass(frozen=True, slots=True)
class ReportReads:
    day: DayReads
    recon: ReconReads
    ledger: LedgerReads
    detail: DetailRows
    gateway: GatewayReads

    @classmethod
    def over(cls, conn: Connection) -> ReportReads:
        return cls(
            DayReads(conn), ReconReads(conn), LedgerReads(conn), DetailRows(conn),
            GatewayReads(conn),
        )  # fmt: skip


@contextmanager
def report_reads(engine: Engine) -> Iterator[ReportReads]:
    """The read model over one connection of `engine`, closed on leaving."""
    with engine.connect() as conn:
        yield ReportReads.over(conn)


__all__ = ["ReportReads", "report_reads"]
