"""The seeded traffic builder of the fraud tests (tests/support/fraud_traffic.py) makes
traffic shaped like cardholders' days, the same for the same seed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from settlement.domain.transactions import EntryMode
from tests.support.fraud_traffic import Traffic


def test_plain_traffic_is_seeded_and_shaped_like_cardholders() -> None:
    first, again = (
        Traffic(seed=3, cards_count=50).plain(days=5),
        Traffic(seed=3, cards_count=50).plain(days=5),
    )
    assert first == again
    per_card_day: defaultdict[tuple[str, date], int] = defaultdict(int)
    for tx in first:
        per_card_day[tx.card_token, tx.business_date] += 1
    assert max(per_card_day.values()) <= 5
    assert {tx.entry_mode for tx in first} >= {EntryMode.ECOMMERCE, EntryMode.CHIP}
