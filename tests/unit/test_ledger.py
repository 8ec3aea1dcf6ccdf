"""Ledger postings balance per currency; broken invariants come back as findings."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.ledger import (
    Account,
    Conservation,
    PayoutIdentity,
    SettledFlow,
    SuspenseFlow,
    check_balanced,
    check_conservation,
    check_payout_identity,
    post,
)
from settlement.domain.transactions import TransactionType

P, R = TransactionType.PURCHASE, TransactionType.REFUND


def test_cross_currency_purchase_posts_through_fx_clearing() -> None:
    postings = post([SettledFlow(P, "USD", "EUR", 5000, 4608, 79, 23)], [])
    assert check_balanced(postings) == []
    by_account = {(p.account, p.currency): (p.debit_minor, p.credit_minor) for p in postings}
    assert by_account[(Account.SCHEME_RECEIVABLE, "USD")] == (5000, 0)
    assert by_account[(Account.MERCHANT_PAYABLE, "EUR")] == (0, 4608 - 79 - 23)
    assert by_account[(Account.FEE_INCOME, "EUR")] == (0, 79)
    assert by_account[(Account.FX_INCOME, "EUR")] == (0, 23)


def test_unbalanced_postings_are_a_finding() -> None:
    postings = post([SettledFlow(R, "EUR", "EUR", 2000, 2000, 0, 0)], [])
    assert check_balanced(postings) == []
    assert check_balanced(postings[:-1])[0].check == "balance"


def test_conservation_and_payout_identity_findings_carry_the_numbers() -> None:
    good = Conservation(100, 60, 20, 15, 5)
    bad = Conservation(100, 60, 20, 15, 0)
    assert check_conservation({"EUR": good}) == []
    [finding] = check_conservation({"EUR": good, "USD": bad})
    assert finding.currency == "USD" and "staged 100" in finding.detail and "= 95" in finding.detail
    assert check_payout_identity({"EUR": PayoutIdentity(100, 80, 15, 5)}) == []
    assert check_payout_identity({"EUR": PayoutIdentity(100, 80, 15, 4)})[0].currency == "EUR"


flows = st.builds(
    SettledFlow,
    st.sampled_from([P, R]),
    st.sampled_from(["EUR", "USD", "JPY"]),
    st.sampled_from(["EUR", "USD"]),
    st.integers(0, 10**12),
    st.integers(0, 10**12),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
)
suspense = st.builds(
    SuspenseFlow,
    st.sampled_from(["held", "exception"]),
    st.sampled_from(list(TransactionType)),
    st.sampled_from(["EUR", "KWD"]),
    st.integers(0, 10**12),
)


@given(st.lists(flows, max_size=20), st.lists(suspense, max_size=10))
def test_any_postings_balance(settled: list[SettledFlow], parked: list[SuspenseFlow]) -> None:
    assert check_balanced(post(settled, parked)) == []
