"""The reason beyond an exception's class: lost or rejected, how late, by how much; and a
gateway batch's latency, never negative and never beyond its column."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from settlement.adapters.report_reads.records import ExceptionItem
from settlement.gateway.batches import LATENCY_MS_MAX_CAP, LatencyTotal
from settlement.reports.reasons import ExceptionReason, duration_text, explain

DAY = date(2026, 10, 14)
CUTOFF = datetime(2026, 10, 14, 20, 0)  # 22:00 Amsterdam, as naive UTC


def cutoff_of(day: date) -> datetime:
    return CUTOFF + timedelta(days=(day - DAY).days)


def item(recon_class: str, **facts: Any) -> ExceptionItem:
    base: dict[str, Any] = {
        "transaction_id": "tx-1", "journal_transaction_id": "tx-1", "business_date": DAY,
        "merchant_id": "M1", "terminal_id": "T1", "transaction_type": "purchase",
        "original_transaction_id": None, "currency": "EUR", "staged_amount_minor": 1000,
        "journal_amount_minor": 1000, "recon_class": recon_class, "match_method": "id",
        "outcome": "exception", "reason": recon_class, "age_business_days": 0,
        "reason_detail": None, "reject_reason": None, "reject_detail": None,
        "sent_at": None, "received_at": None,
    }  # fmt: skip
    base.update(facts)
    return ExceptionItem(**base)


def test_a_journal_line_never_staged_was_rejected_or_lost() -> None:
    never = {"outcome": "not_staged", "staged_amount_minor": None}
    rejected = explain(
        item("missing_in_staging", **never, reject_reason="failed_luhn",
             reject_detail="PAN fails the Luhn check"), cutoff_of,
    )  # fmt: skip
    assert rejected.reason == ExceptionReason.REJECTED == "rejected"
    assert rejected.detail == "rejected by the gateway: failed_luhn (PAN fails the Luhn check)"
    lost = explain(item("missing_in_staging", **never), cutoff_of)
    assert lost.reason == ExceptionReason.LOST == "lost"
    assert "never received" in lost.detail


def test_a_late_item_says_how_late_and_by_whose_clock() -> None:
    sent = explain(
        item("late", sent_at=CUTOFF + timedelta(minutes=125), received_at=CUTOFF), cutoff_of
    )
    assert (sent.reason, sent.late_by_min) == ("sent_after_cutoff", 125)
    assert sent.detail == "sent 2 h 05 min after the cutoff of 2026-10-14"
    earlier = date(2026, 10, 13)
    received = explain(
        item("late", business_date=earlier, sent_at=cutoff_of(earlier) - timedelta(minutes=1),
             received_at=cutoff_of(earlier) + timedelta(days=1, hours=3)), cutoff_of,
    )  # fmt: skip
    assert (received.reason, received.late_by_min) == ("received_after_cutoff", 27 * 60)
    assert received.detail == "sent in time, received 1 d 3 h after the cutoff of 2026-10-13"


def test_an_amount_mismatch_shows_the_difference() -> None:
    why = explain(item("amount_mismatch", staged_amount_minor=1000, journal_amount_minor=1250),
                  cutoff_of)  # fmt: skip
    assert why.reason == "amount_differs"
    assert why.detail == "journal 12.50, staged 10.00: the journal has 2.50 EUR more"
    same = explain(item("amount_mismatch"), cutoff_of)  # same amount: the currency differs
    assert same.reason == "amount_mismatch"


def test_other_classes_are_their_own_reason() -> None:
    why = explain(item("orphan_refund", transaction_type="refund"), cutoff_of)
    assert why.reason == "orphan_refund" and why.late_by_min is None
    assert why.detail == "refund or reversal whose original is nowhere"


@given(st.integers(min_value=0, max_value=10 * 24 * 60))
def test_duration_text_reads_back(minutes: int) -> None:
    text = duration_text(minutes)
    parts = dict(zip(text.split()[1::2], map(int, text.split()[::2]), strict=True))
    back = parts.get("d", 0) * 1440 + parts.get("h", 0) * 60 + parts.get("min", 0)
    assert back == minutes or (parts.get("d") and minutes - back < 60)


def test_a_batch_latency_is_never_negative_nor_beyond_its_column() -> None:
    staged_at = datetime(2026, 12, 3, 12, 0)
    latency = LatencyTotal()
    latency.add(
        [staged_at - timedelta(milliseconds=250), staged_at + timedelta(seconds=2)], staged_at
    )  # fmt: skip  (a terminal clock 2 s ahead counts 0)
    assert (latency.sum_ms, latency.max_ms) == (250, 250)
    replayed = LatencyTotal()
    replayed.add([staged_at - timedelta(days=50)] * 3, staged_at)
    assert replayed.max_ms == LATENCY_MS_MAX_CAP
    assert replayed.sum_ms == 3 * 50 * 86_400_000  # the sum's column is 64-bit: exact
