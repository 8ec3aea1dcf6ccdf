"""The CSV files' amount text is `Money.format`'s, for every ISO 4217 exponent and any
integer of minor units (far past 2**63 and 2**53 too), and stays a number in a sheet."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.csv_cells import spreadsheet_safe
from settlement.domain.currencies import ISO_4217_EXPONENTS, UnknownCurrencyError
from settlement.domain.money import Money
from settlement.reports.amount_text import AmountMemos, AmountTexts

# One currency of each exponent ISO 4217 has (0, 2, 3, 4 today).
ONE_PER_EXPONENT = sorted({e: c for c, e in sorted(ISO_4217_EXPONENTS.items())}.values())
EDGES = [0, 1, -1, 9, -9, 10, -10, 99, -99, 100, -100, 999, -1000, 10**4, -(10**4) - 1]


@given(st.sampled_from(ONE_PER_EXPONENT), st.one_of(st.integers(), st.sampled_from(EDGES)))
def test_the_amount_text_is_money_format(currency: str, minor: int) -> None:
    text = AmountTexts()[currency](minor)
    assert text == Money(minor, currency).format()
    assert spreadsheet_safe(text) == text  # a number: never escaped
    assert Money.parse(text, currency).amount_minor == minor


@pytest.mark.parametrize("currency", sorted(ISO_4217_EXPONENTS))
def test_every_currency_formats_its_edges(currency: str) -> None:
    texts = AmountTexts()
    assert [texts[currency](m) for m in EDGES] == [Money(m, currency).format() for m in EDGES]


def test_an_unknown_currency_is_refused_as_money_refuses_it() -> None:
    with pytest.raises(UnknownCurrencyError, match="XXY"):
        AmountTexts()["XXY"]


@given(st.lists(st.tuples(st.sampled_from(ONE_PER_EXPONENT), st.sampled_from(EDGES))))
def test_a_memo_gives_the_text_of_every_amount_it_has_seen(amounts: list[tuple[str, int]]) -> None:
    """Each lookup, first (made) or repeated (remembered), is `Money.format`'s text of that
    currency: a memo never hands one currency's or amount's text to another."""
    memos = AmountMemos()
    for currency, minor in amounts * 2:
        assert memos[currency][minor] == Money(minor, currency).format()


def test_a_memo_refuses_an_unknown_currency() -> None:
    with pytest.raises(UnknownCurrencyError, match="XXY"):
        AmountMemos()["XXY"]


def test_memos_stop_remembering_at_their_limit_and_still_give_every_text() -> None:
    """A day of all-distinct amounts (hostile, or just large) must not grow the memo past
    its budget, shared by the currencies; past it each text is made again, the same."""
    memos = AmountMemos(limit=5)
    for minor in range(20):
        for currency in ("EUR", "JPY", "BHD"):
            assert memos[currency][minor] == Money(minor, currency).format()
            assert memos[currency][minor] == Money(minor, currency).format()
    assert sum(len(memo) for memo in memos.values()) == 5
