"""The report read model on SQLite and PostgreSQL, against the rows it reads: the hours
(grouped by each backend's own SQL) equal the staged rows counted here, a page of a listing
is the head of its CSV stream, and held items carry the fraud rules that held them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from settlement.adapters.eod_tables import reconciliation_items
from settlement.adapters.report_reads import ReportReads, report_reads
from settlement.adapters.report_reads.recon import FRAUD_HOLDS
from settlement.adapters.report_reads.records import ExceptionItem
from settlement.adapters.tables import gateway_batches, rejected_messages, staged_transactions
from settlement.reports.tallies import DayTallies
from tests.support.reports import settled_generated_day

DAY = date(2026, 10, 14)


@pytest.fixture
def settled(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, ReportReads]]:
    with (
        settled_generated_day(db_url, tmp_path, DAY, profile="faulty") as (engine, _),
        report_reads(engine) as reads,
    ):
        yield engine, reads


def _staged_hours(engine: Engine) -> Counter[datetime]:
    """The date's staged rows per UTC hour, counted in Python."""
    ri, st = reconciliation_items, staged_transactions
    query = (
        select(st.c.transacted_at)
        .select_from(st.join(ri, ri.c.transaction_id == st.c.transaction_id))
        .where(ri.c.run_date == DAY, ri.c.staged_amount_minor.is_not(None))
    )
    with engine.connect() as conn:
        return Counter(
            at.replace(minute=0, second=0, microsecond=0) for (at,) in conn.execute(query)
        )


def test_the_read_model_agrees_with_the_rows_it_reads(
    settled: tuple[Engine, ReportReads],
) -> None:
    engine, reads = settled
    assert reads.day.staged_per_hour(DAY) == _staged_hours(engine)
    staged_by_type = _tallied(reads).items.staged_by_type()
    assert sum(staged_by_type.values()) == sum(_staged_hours(engine).values())

    everything = list(reads.detail.exceptions(DAY))
    assert len(everything) > 3
    assert everything == sorted(everything, key=lambda item: (item.recon_class,
                                                              item.transaction_id))  # fmt: skip
    page, total = reads.recon.exceptions(DAY, 3)
    largest = sorted(everything, key=lambda item: (-_amount(item), item.transaction_id))
    assert (page, total) == (largest[:3], len(everything))  # the largest, as the HTML lists

    flagged = list(reads.detail.flagged_transactions(DAY))
    held_for_fraud = Counter(flag.rule for flag in flagged if flag.held_reason in FRAUD_HOLDS)
    by_rule = reads.recon.flags_by_rule(DAY)
    assert {rule.rule: rule.held for rule in by_rule if rule.held} == held_for_fraud
    assert sum(rule.flags for rule in by_rule) == len(flagged) and held_for_fraud

    held, held_total = reads.recon.held(DAY, 1_000)
    assert len(held) == held_total == sum(reads.recon.held_by_reason(DAY).values())
    for row in held:
        assert (row.rules is not None) == (row.item.reason in FRAUD_HOLDS), row


def test_the_hours_count_a_time_stored_with_t_in_its_hour(
    settled: tuple[Engine, ReportReads],
) -> None:
    """SQLite's hour is the stored text's first 13 characters: a value written as ISO text
    with "T" before the hour (another writer's `isoformat()`) still counts in its hour.
    PostgreSQL stores a timestamp, with no text to rewrite: its hours are checked as stored."""
    engine, reads = settled
    expected = _staged_hours(engine)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE staged_transactions SET transacted_at = replace(transacted_at, ' ', 'T')"
                " WHERE rowid % 2 = 0"
            )
    assert reads.day.staged_per_hour(DAY) == expected


def _tallied(reads: ReportReads) -> DayTallies:
    """The page's counts, tallied from the chunks the CSV files are written from."""
    detail = reads.detail
    return DayTallies().feed(detail.reconciliation_chunks(DAY), detail.settlement_chunks(DAY))


def _amount(item: ExceptionItem) -> int:
    amount = item.journal_amount_minor
    return item.staged_amount_minor if amount is None else amount  # type: ignore[return-value]


def test_an_exception_carries_the_facts_that_say_why(
    settled: tuple[Engine, ReportReads],
) -> None:
    """A journal line never staged carries the gateway's first reject of its id (None: no
    message with that id was rejected: lost); a staged exception its row's send and receive
    times."""
    engine, reads = settled
    rm, st = rejected_messages, staged_transactions
    with engine.connect() as conn:
        first_reject = {}
        for tid, reason in conn.execute(
            select(rm.c.transaction_id, rm.c.reason_code).order_by(rm.c.reject_id)
        ):
            first_reject.setdefault(tid, reason)
        times = {tid: (sent, received) for tid, sent, received in conn.execute(
            select(st.c.transaction_id, st.c.sent_at, st.c.received_at))}  # fmt: skip
    items = list(reads.detail.exceptions(DAY))
    never_staged = [item for item in items if item.outcome == "not_staged"]
    assert {item.reject_reason is None for item in never_staged} == {True, False}  # both kinds
    for item in items:
        if item.outcome == "not_staged":
            assert item.reject_reason == first_reject.get(item.transaction_id), item
            assert (item.sent_at, item.received_at) == (None, None)
        else:
            assert item.reject_reason is None
            assert (item.sent_at, item.received_at) == times[item.transaction_id]


def test_the_gateway_reads_sum_the_batches_and_rejects_of_a_window(
    settled: tuple[Engine, ReportReads],
) -> None:
    engine, reads = settled
    span = reads.gateway.staging_span(DAY)
    assert span is not None
    start, end = span[0], span[1] + timedelta(microseconds=1)
    with engine.connect() as conn:
        batches = list(conn.execute(select(gateway_batches)))
        reasons = Counter(reason for (reason,) in conn.execute(
            select(rejected_messages.c.reason_code).where(
                rejected_messages.c.received_at >= start, rejected_messages.c.received_at < end
            )))  # fmt: skip
    inside = [b for b in batches if start <= b.finished_at < end]
    assert inside and len(inside) == len(batches)  # one ingest: every batch is the day's
    totals = reads.gateway.batches(start, end)
    assert totals.batches == len(inside)
    assert totals.received == sum(b.received for b in inside)
    assert totals.staged == sum(b.staged for b in inside)
    assert totals.rejected == sum(b.rejected for b in inside) == sum(reasons.values()) > 0
    assert totals.latency_ms_max == max(b.latency_ms_max for b in inside)
    assert reads.gateway.rejects_by_reason(start, end) == dict(sorted(reasons.items()))
    (size,) = reads.gateway.by_batch_size(start, end)
    assert (size.batches, size.received) == (totals.batches, totals.received)
    empty = reads.gateway.batches(end, end + timedelta(days=1))
    assert empty.batches == empty.received == 0


def test_payouts_page_and_stream_hold_the_same_rows(settled: tuple[Engine, ReportReads]) -> None:
    _, reads = settled
    streamed = list(reads.detail.payouts(DAY))
    assert streamed == sorted(streamed, key=lambda p: (p.merchant_id, p.currency))
    listed = reads.ledger.payouts(DAY)
    assert sorted(listed) == sorted(streamed) and listed
    assert listed == sorted(listed, key=lambda p: (p.currency, -p.payout_minor, p.merchant_id))


def test_the_classes_come_in_one_order_on_every_backend(
    settled: tuple[Engine, ReportReads],
) -> None:
    """By class then outcome, in code-point order: PostgreSQL's hash aggregate returned its
    groups in plan order, so the report's classes table changed with the plan."""
    engine, reads = settled
    ri = reconciliation_items
    with engine.connect() as conn:
        counted = Counter(
            (str(c), str(o)) for c, o in conn.execute(
                select(ri.c.recon_class, ri.c.outcome).where(ri.c.run_date == DAY)
            )
        )  # fmt: skip
    found = _tallied(reads).items.class_counts()  # the page's classes table
    assert found == sorted((c, o, n) for (c, o), n in counted.items())
    assert len({(c, o) for c, o, _ in found}) > 3  # enough groups for an order to show
