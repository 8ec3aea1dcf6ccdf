"""What the gateway did in a window of time: its batches (`gateway_batches`) summed, per
configured batch size, and the rejects it recorded by reason (`rejected_messages`).

The gateway's tables know when things happened, not which business date a batch served
(a batch can carry messages of two dates), so the report asks by window; which window is
the report's choice (`settlement.reports.gather_gateway`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from settlement.adapters.report_reads.records import BatchSizeTotals, BatchTotals
from settlement.adapters.tables import gateway_batches, rejected_messages, staged_transactions

gb, rm, st = gateway_batches, rejected_messages, staged_transactions


def _sums() -> tuple[Any, ...]:
    return (
        func.count(), func.count(func.distinct(gb.c.consumer)),
        func.coalesce(func.sum(gb.c.received), 0), func.coalesce(func.sum(gb.c.staged), 0),
        func.coalesce(func.sum(gb.c.duplicates), 0), func.coalesce(func.sum(gb.c.rejected), 0),
        func.coalesce(func.sum(gb.c.failed), 0), func.coalesce(func.sum(gb.c.latency_ms_sum), 0),
        func.coalesce(func.max(gb.c.latency_ms_max), 0),
    )  # fmt: skip


def _finished_within(start: datetime, end: datetime) -> ColumnElement[bool]:
    """[start, end): batches by the instant their rows were written."""
    return and_(gb.c.finished_at >= start, gb.c.finished_at < end)


class GatewayReads:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def batches(self, start: datetime, end: datetime) -> BatchTotals:
        """The batches that finished in [start, end), summed (all zero: none)."""
        query = select(*_sums()).where(_finished_within(start, end))
        return BatchTotals._make(int(value) for value in self._conn.execute(query).one())

    def by_batch_size(self, start: datetime, end: datetime) -> list[BatchSizeTotals]:
        """The same batches per configured batch size, smallest (asynchronous) first."""
        sums = _sums()
        query = (
            select(gb.c.max_batch, sums[0], sums[1], sums[2], sums[3], sums[7], sums[8])
            .where(_finished_within(start, end))
            .group_by(gb.c.max_batch)
            .order_by(gb.c.max_batch)
        )
        return [
            BatchSizeTotals._make(int(value) for value in row) for row in self._conn.execute(query)
        ]

    def rejects_by_reason(self, start: datetime, end: datetime) -> dict[str, int]:
        """Rejected messages recorded in [start, end) per reason code (each distinct body and
        reason once: a redelivered reject is recorded once), by reason."""
        query = (
            select(rm.c.reason_code, func.count())
            .where(rm.c.received_at >= start, rm.c.received_at < end)
            .group_by(rm.c.reason_code)
            .order_by(rm.c.reason_code)
        )
        return {str(reason): int(n) for reason, n in self._conn.execute(query)}

    def staging_span(self, day: date) -> tuple[datetime, datetime] | None:
        """(first received_at, last staged_at) of the rows of business date `day`: when the
        gateway handled that date's transactions, whatever the clock said then."""
        query = select(func.min(st.c.received_at), func.max(st.c.staged_at)).where(
            st.c.business_date == day
        )
        first, last = self._conn.execute(query).one()
        return None if first is None else (first, last)
