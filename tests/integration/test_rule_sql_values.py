"""The rendered rules compute what the domain computes, on SQLite and on PostgreSQL.

`half_even_sql` (the SQL of `formula.HalfEvenDiv`) equals `money.half_even_quotient` on
generated integers, ties and values near the 64-bit edge included; the settlement line
formulas (`netting.CONVERTED_MINOR`, `FEE_MINOR`, `FX_MARKUP_MINOR`) and the payout
(`PAYOUT_MINOR`, `IS_DEBIT`) rendered by `sql_render` give `formula.evaluate`'s numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, text

from settlement.adapters.sql_render import condition, expression, half_even_sql
from settlement.domain import netting
from settlement.domain.formula import evaluate, holds
from settlement.domain.money import half_even_quotient

INT64_MAX = 2**63 - 1
CHECKS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def conn(db_url: str) -> Iterator[Connection]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _bigint(name: str) -> str:
    return f"CAST(:{name} AS BIGINT)"


def _text(name: str) -> str:
    return f"CAST(:{name} AS VARCHAR(8))"


@st.composite
def quotients(draw: st.DrawFn) -> tuple[int, int]:
    denominator = draw(st.one_of(st.integers(1, 20), st.integers(1, INT64_MAX)))
    kind = draw(st.sampled_from(["any", "tie", "big"]))
    if kind == "tie" and denominator % 2 == 0:  # exactly q + 1/2
        q = draw(st.integers(0, (INT64_MAX - denominator) // denominator))
        return q * denominator + denominator // 2, denominator
    if kind == "big":
        return draw(st.integers(INT64_MAX - 10**6, INT64_MAX)), denominator
    return draw(st.integers(0, INT64_MAX)), denominator


@given(quotients())
@example((5, 2)).via("a tie, even below")
@example((7, 2)).via("a tie, odd below")
@example((INT64_MAX, 2)).via("the largest numerator")
@example((INT64_MAX - 1, INT64_MAX)).via("a denominator near the edge")
@example((0, 10_000)).via("zero")
@CHECKS
def test_half_even_sql_is_the_domain_quotient(conn: Connection, pair: tuple[int, int]) -> None:
    numerator, denominator = pair
    rendered = half_even_sql(_bigint("n"), _bigint("d"))
    found = conn.execute(text(f"SELECT {rendered}"), {"n": numerator, "d": denominator}).scalar()
    assert found == half_even_quotient(numerator, denominator)


LINE_INPUTS = st.fixed_dictionaries(
    {
        "amount_minor": st.integers(1, 10**8),  # products stay within BIGINT, as the
        "rate_numerator": st.integers(1, 10**6),  # run's fx step requires of a rate
        "rate_denominator": st.integers(1, 10**8),
        "mdr_bps": st.integers(0, 10_000),
        "fee_fixed_minor": st.integers(0, 1_000),
        "fx_markup_bps": st.integers(0, 1_000),
        "transaction_type": st.sampled_from(["purchase", "refund"]),
        "currency": st.sampled_from(["EUR", "USD"]),
        "settlement_currency": st.sampled_from(["EUR", "USD"]),
    }
)


def _columns(inputs: dict[str, int | str]) -> dict[str, str]:
    return {k: _bigint(k) if isinstance(v, int) else _text(k) for k, v in inputs.items()}


@given(LINE_INPUTS)
@example(
    {
        "amount_minor": 125,
        "rate_numerator": 1,
        "rate_denominator": 1,
        "mdr_bps": 200,
        "fee_fixed_minor": 0,
        "fx_markup_bps": 200,
        "transaction_type": "purchase",
        "currency": "USD",
        "settlement_currency": "EUR",
    }  # fmt: skip
).via("fee and markup both a tie: 2.5 -> 2")
@CHECKS
def test_the_rendered_line_formulas_price_as_the_domain(
    conn: Connection, inputs: dict[str, int | str]
) -> None:
    converted = evaluate(netting.CONVERTED_MINOR, inputs)
    priced = {**inputs, "converted_minor": converted}
    columns = _columns(priced)
    statement = ", ".join(
        expression(formula, columns)
        for formula in (netting.CONVERTED_MINOR, netting.FEE_MINOR, netting.FX_MARKUP_MINOR)
    )
    found = conn.execute(text(f"SELECT {statement}"), priced).one()
    expected = [evaluate(f, priced) for f in (netting.CONVERTED_MINOR, netting.FEE_MINOR,
                                               netting.FX_MARKUP_MINOR)]  # fmt: skip
    assert list(found) == expected


@given(st.fixed_dictionaries({total: st.integers(0, 10**12) for total in netting.LINE_SHARES}))
@CHECKS
def test_the_rendered_payout_nets_as_the_domain(conn: Connection, totals: dict[str, int]) -> None:
    columns = _columns(dict(totals))
    net, debit = expression(netting.PAYOUT_MINOR, columns), condition(netting.IS_DEBIT, columns)
    found = conn.execute(text(f"SELECT {net}, CASE WHEN {debit} THEN 1 ELSE 0 END"), totals).one()
    assert found[0] == evaluate(netting.PAYOUT_MINOR, totals)
    assert bool(found[1]) == holds(netting.IS_DEBIT, totals)
