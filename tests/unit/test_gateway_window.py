"""Which gateway batches a business date's report counts: the date's own window (previous
cutoff to cutoff, business timezone) when the gateway ran then, else the span in which it
staged the date's rows (a replay), else none."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from settlement.adapters.report_reads.records import BatchSizeTotals, BatchTotals
from settlement.config import load_settings
from settlement.reports.gather_gateway import BUSINESS_DAY, STAGING, gather_gateway

DAY = date(2026, 10, 14)
# Europe/Amsterdam, cutoff 22:00 (the defaults): 2026-10-13 20:00 to 2026-10-14 20:00 UTC
OPENING, CUTOFF = datetime(2026, 10, 13, 20, 0), datetime(2026, 10, 14, 20, 0)


class Batches:
    """A fake read model: batches finished at the given instants, one message each."""

    def __init__(self, finished: list[datetime], span: tuple[datetime, datetime] | None) -> None:
        self.finished, self.span = finished, span

    def _in(self, start: datetime, end: datetime) -> list[datetime]:
        return [at for at in self.finished if start <= at < end]

    def batches(self, start: datetime, end: datetime) -> BatchTotals:
        n = len(self._in(start, end))
        return BatchTotals(n, min(n, 1), n, n, 0, 0, 0, 5 * n, 5 if n else 0)

    def by_batch_size(self, start: datetime, end: datetime) -> list[BatchSizeTotals]:
        n = len(self._in(start, end))
        return [BatchSizeTotals(10, n, 1, n, n, 5 * n, 5)] if n else []

    def rejects_by_reason(self, start: datetime, end: datetime) -> dict[str, int]:
        return {"malformed_json": 1} if self._in(start, end) else {}

    def staging_span(self, day: date) -> tuple[datetime, datetime] | None:
        return self.span


def test_a_live_day_counts_the_batches_of_its_own_window() -> None:
    reads = Batches([OPENING, CUTOFF - timedelta(seconds=1), CUTOFF], None)
    day = gather_gateway(reads, load_settings(), DAY)  # type: ignore[arg-type]
    assert day.window is not None and day.window.kind == BUSINESS_DAY
    assert (day.window.start, day.window.end) == (OPENING, CUTOFF)
    assert day.batches == day.received == 2  # the batch at the cutoff is the next day's
    assert day.rejected_by_reason == {"malformed_json": 1}
    assert [size.max_batch for size in day.by_batch_size] == [10]


def test_a_replayed_day_counts_the_batches_that_staged_its_rows() -> None:
    replay = datetime(2026, 12, 3, 15, 0)
    reads = Batches(
        [replay, replay + timedelta(seconds=3)], (replay, replay + timedelta(seconds=3))
    )
    day = gather_gateway(reads, load_settings(), DAY)  # type: ignore[arg-type]
    assert day.window is not None and day.window.kind == STAGING
    assert day.batches == 2  # the last staged row's batch included


def test_a_day_staged_before_the_batch_record_has_no_window() -> None:
    old = datetime(2026, 10, 14, 12, 0)
    for reads in (Batches([], None), Batches([], (old, old))):
        day = gather_gateway(reads, load_settings(), DAY)  # type: ignore[arg-type]
        assert day.window is None and day.batches == day.received == 0
