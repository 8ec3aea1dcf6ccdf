"""The gateway's part of a business date's story: what arrived, what was staged, what was a
duplicate, what was rejected and why, what was handed back, in batches of which size.

Which batches belong to a date: the gateway's tables record when, not for which date (a
batch can carry two dates' messages), so the report counts a window of time. The date's own
window comes first: from the previous cutoff to the cutoff, in the business timezone, as a
live gateway sees the day. A day replayed later (the demo, `settlement ingest` of an old
capture) had no batch in that window; then the window is the span in which the gateway
staged the date's rows (first received to last staged), and the page says which it is.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from settlement.config import Settings
from settlement.domain.calendar import cutoff_instant, opening_instant
from settlement.reports.model import BatchSize, GatewayDay, GatewayWindow

if TYPE_CHECKING:
    from settlement.adapters.report_reads.gateway import GatewayReads

BUSINESS_DAY, STAGING = "business_day", "staging"
_INCLUSIVE = timedelta(microseconds=1)  # the last staged row's batch finished at its instant


def gather_gateway(reads: GatewayReads, settings: Settings, day: date) -> GatewayDay:
    window = _window(reads, settings, day)
    if window is None:
        return GatewayDay(None, 0, 0, 0, 0, 0, 0, 0, 0, 0, {}, ())
    totals = reads.batches(window.start, window.end)
    return GatewayDay(
        window, *totals,
        rejected_by_reason=reads.rejects_by_reason(window.start, window.end),
        by_batch_size=tuple(
            BatchSize(*row) for row in reads.by_batch_size(window.start, window.end)
        ),
    )  # fmt: skip


def _window(reads: GatewayReads, settings: Settings, day: date) -> GatewayWindow | None:
    start = opening_instant(day, settings.zone, settings.cutoff_time)
    end = cutoff_instant(day, settings.zone, settings.cutoff_time)
    if reads.batches(start, end).batches:
        return GatewayWindow(BUSINESS_DAY, start, end)
    span = reads.staging_span(day)
    if span is None:
        return None
    staged = GatewayWindow(STAGING, span[0], span[1] + _INCLUSIVE)
    return staged if reads.batches(staged.start, staged.end).batches else None
