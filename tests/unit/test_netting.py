"""The settlement contract to the minor unit: fees, FX, markup, refunds, negative payouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.fx import SOURCE_ECB, CrossRate, RateQuote, cross_rate, identity_rate
from settlement.domain.money import Money
from settlement.domain.netting import MerchantTerms, Payout, net, price_line
from settlement.domain.transactions import TransactionType

DAY = date(2026, 3, 11)
QUOTES = {
    "EUR": RateQuote("EUR", Decimal(1), DAY, SOURCE_ECB),
    "USD": RateQuote("USD", Decimal("1.0850"), DAY, SOURCE_ECB),
    "JPY": RateQuote("JPY", Decimal("161.50"), DAY, SOURCE_ECB),
    "GBP": RateQuote("GBP", Decimal("0.8500"), DAY, SOURCE_ECB),
}
M1 = MerchantTerms("M1", "EUR", mdr_bps=150, fee_fixed_minor=10)
M2 = MerchantTerms("M2", "USD", mdr_bps=200, fee_fixed_minor=25)
M3 = MerchantTerms("M3", "JPY", mdr_bps=100, fee_fixed_minor=0)
P, R = TransactionType.PURCHASE, TransactionType.REFUND


def _rate(src: str, dst: str) -> CrossRate:
    return cross_rate(QUOTES[src], QUOTES[dst])


def _line(tid: str, kind: TransactionType, amount: Money, terms: MerchantTerms):  # type: ignore[no-untyped-def]
    rate = _rate(amount.currency, terms.settlement_currency)
    return price_line(tid, kind, amount, terms=terms, rate=rate, fx_markup_bps=50)


def test_hand_computed_day() -> None:
    lines = [
        _line("P1", P, Money(10000, "EUR"), M1),  # fee 150 + 10
        _line("P2", P, Money(300, "EUR"), M1),  # 4.5 -> 4 (half-even) + 10
        _line("P3", P, Money(5000, "USD"), M1),  # 4608.29 -> 4608; fee 69 + 10; markup 23
        _line("R1", R, Money(2000, "EUR"), M1),  # no fee
        _line("P4", P, Money(8000, "EUR"), M2),  # 8680; fee 173.6 -> 174 + 25; markup 43
        _line("R2", R, Money(20000, "USD"), M2),
        _line("P6", P, Money(1000, "GBP"), M3),  # 1900 JPY; fee 19; markup 9.5 -> 10
    ]
    fees = {line.transaction_id: line.fee.amount_minor for line in lines}
    assert fees == {"P1": 160, "P2": 14, "P3": 79, "R1": 0, "P4": 199, "R2": 0, "P6": 19}
    markups = {line.transaction_id: line.fx_markup.amount_minor for line in lines}
    assert markups == {"P1": 0, "P2": 0, "P3": 23, "R1": 0, "P4": 43, "R2": 0, "P6": 10}
    payouts = net(lines)
    assert payouts[("M1", "EUR")] == Payout("M1", "EUR", 14908, 2000, 253, 23, 4)
    assert payouts[("M1", "EUR")].payout_minor == 12632
    assert payouts[("M2", "USD")].payout_minor == 8680 - 20000 - 199 - 43 == -11562
    assert payouts[("M2", "USD")].is_debit
    assert payouts[("M3", "JPY")].payout_minor == 1871
    assert sum(line.net.amount_minor for line in lines if line.merchant_id == "M1") == 12632


def test_reversal_never_settles() -> None:
    with pytest.raises(ValueError, match="never settles"):
        _line("V1", TransactionType.REVERSAL, Money(100, "EUR"), M1)


def test_rate_must_target_the_settlement_currency() -> None:
    with pytest.raises(ValueError, match="rate targets"):
        price_line(
            "P", P, Money(1, "EUR"), terms=M2, rate=identity_rate("EUR", DAY), fx_markup_bps=0
        )


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 10**9), st.sampled_from(list(QUOTES))),
        max_size=30,
    ),
    st.integers(0, 500),
    st.integers(0, 1000),
)
def test_payout_is_the_sum_of_line_nets(
    rows: list[tuple[bool, int, str]], mdr_bps: int, fixed: int
) -> None:
    terms = MerchantTerms("M", "USD", mdr_bps, fixed)
    lines = [
        _line(str(i), P if purchase else R, Money(amount, ccy), terms)
        for i, (purchase, amount, ccy) in enumerate(rows)
    ]
    payout = net(lines).get(("M", "USD"), Payout("M", "USD"))
    assert payout.payout_minor == sum(line.net.amount_minor for line in lines)
    assert payout.line_count == len(lines)
