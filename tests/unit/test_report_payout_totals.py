"""The page's payout totals per currency (summed a column at a time in C) equal the plain
per-row sums they replaced, whatever the payouts: several currencies, merchant debits, a
merchant paid in two currencies, amounts past 2**63."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.netting import PayoutDirection
from settlement.reports.gather_books import _payout_totals
from settlement.reports.model import PayoutRow, PayoutTotal

AMOUNTS = st.integers(min_value=-(2**70), max_value=2**70)
PAYOUTS = st.builds(
    PayoutRow, st.sampled_from(["M1", "M2", "M3"]), st.just("name"),
    st.sampled_from(["EUR", "JPY", "USD"]), AMOUNTS, AMOUNTS, AMOUNTS, AMOUNTS, AMOUNTS,
    st.sampled_from(list(PayoutDirection)), st.integers(0, 10**6), AMOUNTS, AMOUNTS,
)  # fmt: skip


def _reference(rows: list[PayoutRow]) -> tuple[PayoutTotal, ...]:
    """One row at a time, as the page summed them before."""
    by_currency: dict[str, list[PayoutRow]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    return tuple(
        PayoutTotal(
            currency, len({r.merchant_id for r in group}),
            sum(r.purchases_minor for r in group), sum(r.refunds_minor for r in group),
            sum(r.fees_minor for r in group), sum(r.fx_markup_minor for r in group),
            sum(r.payout_minor for r in group),
            sum(r.direction == PayoutDirection.DEBIT for r in group),
            sum(r.line_count for r in group), sum(r.carried_in_minor for r in group),
            sum(r.carried_out_minor for r in group),
        )
        for currency, group in sorted(by_currency.items())
    )  # fmt: skip


@given(st.lists(PAYOUTS, max_size=30))
def test_the_totals_are_the_per_row_sums(rows: list[PayoutRow]) -> None:
    assert _payout_totals(rows) == _reference(rows)
