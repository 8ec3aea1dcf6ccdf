"""The pain.001 text rendering equals, byte for byte, the ElementTree rendering it replaced
(tests/support/pain001_tree.py), on orders built from any text: the domain cuts names to
the SEPA set first, but the renderer must not depend on it, so these orders are built
directly with raw text (markup, controls, surrogates, empty strings, no BIC)."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from settlement.adapters.pain001 import render
from settlement.domain.bank_accounts import BankAccount
from settlement.domain.credit_transfer import (
    CreditTransfer,
    Party,
    PaymentOrder,
    payment_order,
    payout_transfer,
)
from tests.support import pain001_tree

DAY = date(2026, 3, 11)
CUTOFF = datetime(2026, 3, 11, 21, 0)
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "&", "<b>", "a]]>b", "\r\n\t", "\ud800", "\"'", "&amp;"]),
)
BIC = st.one_of(st.none(), HOSTILE)


@st.composite
def parties(draw: st.DrawFn) -> Party:
    return Party(draw(HOSTILE), BankAccount(draw(HOSTILE), draw(BIC)))


@st.composite
def orders(draw: st.DrawFn) -> PaymentOrder:
    transfers = draw(
        st.lists(
            st.builds(
                CreditTransfer,
                HOSTILE,
                st.integers(min_value=1, max_value=10**15),
                parties(),
                HOSTILE,
            ),
            min_size=1,
            max_size=5,
        )
    )
    created = draw(st.datetimes(min_value=datetime(1000, 1, 1)))
    return PaymentOrder(
        draw(HOSTILE), draw(HOSTILE), created, draw(st.dates()), draw(parties()), tuple(transfers)
    )


@given(orders())
def test_the_text_rendering_is_the_element_tree_rendering(order: PaymentOrder) -> None:
    assert render(order) == pain001_tree.render(order)


def test_a_day_of_many_payouts_renders_the_same_bytes() -> None:
    accounts = [
        BankAccount("DE89370400440532013000", "COBADEFFXXX"),
        BankAccount("NL91ABNA0417164300"),
    ]
    transfers = [
        payout_transfer(DAY, f"M{i:07d}", f"Händler {i} & Söhne", accounts[i % 2], 7 * i + 1)
        for i in range(2_000)
    ]
    debtor = Party("Cardsettle Acquiring B.V.", BankAccount("NL91ABNA0417164300", "ABNANL2A"))
    order = payment_order(DAY, CUTOFF, debtor, transfers)
    assert order is not None
    assert render(order) == pain001_tree.render(order)
