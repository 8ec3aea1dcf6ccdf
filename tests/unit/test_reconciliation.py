"""Reconciliation classes on a small day, journal parsing, tolerant matching."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from settlement.domain.money import Money
from settlement.domain.reconciliation import (
    JournalEntry,
    JournalFormatError,
    ReconClass,
    StagedFacts,
    Tolerance,
    parse_journal_row,
    reconcile,
)
from settlement.domain.transactions import TransactionType

AMS = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 3, 11)
CUTOFF = datetime(2026, 3, 11, 21, 0)  # 22:00 CET in UTC
T0 = datetime(2026, 3, 11, 10, 0)
P, R, V = TransactionType.PURCHASE, TransactionType.REFUND, TransactionType.REVERSAL


def _staged(tid: str, amount: int = 1000, kind: TransactionType = P, **kw: object) -> StagedFacts:
    values: dict[str, object] = {
        "transaction_id": tid, "transaction_type": kind, "original_transaction_id": None,
        "merchant_id": "M1", "terminal_id": "T1", "card_last4": "4242",
        "amount": Money(amount, "EUR"), "transacted_at": T0, "sent_at": T0, "business_date": DAY,
    }  # fmt: skip
    values.update(kw)
    return StagedFacts(**values)  # type: ignore[arg-type]


def _journal(tid: str, amount: int = 1000, kind: TransactionType = P, **kw: object) -> JournalEntry:
    values: dict[str, object] = {
        "transaction_id": tid, "terminal_id": "T1", "merchant_id": "M1", "transaction_type": kind,
        "amount": Money(amount, "EUR"), "local_time": T0.replace(tzinfo=ZoneInfo("UTC")),
        "card_last4": "4242", "original_transaction_id": None, "business_date": DAY,
    }  # fmt: skip
    values.update(kw)
    return JournalEntry(**values)  # type: ignore[arg-type]


def test_every_class_on_one_day() -> None:
    later = T0 + timedelta(seconds=30)
    staged = [
        _staged("ok"),
        _staged("alt", 1100),
        _staged("late", sent_at=CUTOFF + timedelta(hours=1)),
        _staged("old", business_date=DAY - timedelta(days=1)),
        _staged("orphan", 500, R, original_transaction_id="nowhere"),
        _staged("buy", 700, card_last4="1111"),
        _staged("rev", 700, V, original_transaction_id="buy", card_last4="1111"),
        _staged("stray", 900, card_last4="9999"),
        _staged("renamed", 2000, card_last4="5555", transacted_at=later),
    ]
    journal = [
        _journal("ok"), _journal("alt"), _journal("late"), _journal("orphan", 500, R,
        original_transaction_id="nowhere"), _journal("buy", 700), _journal("rev", 700, V),
        _journal("lost", 300), _journal("JR-1", 2000, card_last4="5555"),
    ]  # fmt: skip
    items = {i.transaction_id: i for i in reconcile(staged, journal, DAY, CUTOFF, Tolerance(0, 60))}
    classes = {tid: item.recon_class for tid, item in items.items()}
    assert classes == {
        "ok": ReconClass.MATCHED,
        "alt": ReconClass.AMOUNT_MISMATCH,
        "late": ReconClass.LATE,
        "old": ReconClass.LATE,
        "orphan": ReconClass.ORPHAN_REFUND,
        "buy": ReconClass.REVERSED,
        "rev": ReconClass.REVERSED,
        "stray": ReconClass.UNEXPECTED_IN_STAGING,
        "renamed": ReconClass.MATCHED,
        "lost": ReconClass.MISSING_IN_STAGING,
    }
    assert items["renamed"].journal_transaction_id == "JR-1"
    assert items["renamed"].match_method == "tolerant"


def test_tolerant_match_respects_window_and_tolerance() -> None:
    staged = [_staged("s", 1005, transacted_at=T0 + timedelta(seconds=90))]
    journal = [_journal("j", 1000)]
    classes = {
        i.transaction_id: i.recon_class
        for i in reconcile(staged, journal, DAY, CUTOFF, Tolerance(5, 60))
    }
    assert classes == {"s": ReconClass.UNEXPECTED_IN_STAGING, "j": ReconClass.MISSING_IN_STAGING}
    items = reconcile(staged, journal, DAY, CUTOFF, Tolerance(5, 120))
    assert [i.recon_class for i in items] == [ReconClass.MATCHED]


def test_parse_journal_row_derives_the_business_date() -> None:
    row = {
        "transaction_id": "t1", "terminal_id": "T1", "merchant_id": "M1", "type": "purchase",
        "amount": "12.50", "currency": "EUR", "local_time": "2026-03-11T22:15:00+01:00",
        "pan_last4": "4242", "original_transaction_id": "",
    }  # fmt: skip
    entry = parse_journal_row(row, AMS, time(22, 0))
    assert entry.business_date == date(2026, 3, 12)
    assert entry.amount == Money(1250, "EUR")
    assert entry.transacted_at == datetime(2026, 3, 11, 21, 15)
    with pytest.raises(JournalFormatError, match="t1"):
        parse_journal_row({**row, "amount": "12.505"}, AMS, time(22, 0))
