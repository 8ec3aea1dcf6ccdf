"""The day's density (pos_simulator/density.py): every day of 20,000 transactions or fewer is
sized exactly as before (so every generated day keeps its bytes), larger days grow."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from pos_simulator import cli
from pos_simulator.accounts import ACCOUNTS_DRAWN
from pos_simulator.countries import COUNTRIES
from pos_simulator.density import GROWING_ABOVE_TRANSACTIONS, PoolSizes, pool_sizes
from pos_simulator.pools import build_pools

SMALL = st.integers(min_value=1, max_value=GROWING_ABOVE_TRANSACTIONS)
LARGE = st.integers(min_value=GROWING_ABOVE_TRANSACTIONS + 1, max_value=10**8)


def _old_demo(n: int) -> PoolSizes:
    """settlement/cli/demo.py's rule before the density had a home."""
    return PoolSizes(max(20, min(300, n // 20)), max(1_000, min(10_000, 2 * n)))


@given(SMALL)
def test_small_days_keep_the_sizes_each_command_always_used(n: int) -> None:
    assert pool_sizes(n, "generate") == PoolSizes(300, 10_000)  # pos-sim generate's defaults
    assert pool_sizes(n, "run") == PoolSizes(50, 2_000)  # pos-sim run's defaults
    assert pool_sizes(n, "demo") == _old_demo(n)


@given(LARGE, st.sampled_from(["generate", "run", "demo"]))
def test_large_days_grow_the_pools_with_the_day(n: int, command: str) -> None:
    sizes = pool_sizes(n, command)
    assert sizes == PoolSizes(n // 20, n // 2)
    assert sizes.merchants >= 1_000 and sizes.cards >= 10_000  # at or past every old cap


def test_a_million_transaction_day_has_fifty_thousand_merchants_and_half_a_million_cards() -> None:
    assert pool_sizes(1_000_000) == PoolSizes(50_000, 500_000)
    assert pool_sizes(10_000_000) == PoolSizes(500_000, 5_000_000)


def test_generate_sizes_the_pools_from_n_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, int, int]] = []

    def capture(business_date: object, sizes: tuple[int, int, int, int], *a: object,
                **k: object) -> None:  # fmt: skip
        seen.append(sizes)
        raise SystemExit(0)

    runner = CliRunner()
    monkeypatch.setattr(cli, "_config", capture)
    day = ["generate", "--business-date", "2026-10-14"]
    runner.invoke(cli.app, [*day, "-n", "500"])
    runner.invoke(cli.app, [*day])
    runner.invoke(cli.app, [*day, "-n", "1000000"])
    runner.invoke(cli.app, [*day, "-n", "1000000", "--merchants", "40", "--cards", "900"])
    assert seen == [
        (42, 500, 300, 10_000),
        (42, 10_000, 300, 10_000),
        (42, 1_000_000, 50_000, 500_000),
        (42, 1_000_000, 40, 900),
    ]


def test_past_300_merchants_outlets_settle_into_a_drawn_account_of_their_country() -> None:
    """A chain's outlets share its account: the first 300 merchants' IBANs are drawn (each
    its own), every later one reuses a drawn IBAN of its own country, so a 50,000-merchant
    pool draws about 300 IBANs, not 50,000."""
    pools = build_pools(3, 420, 200, COUNTRIES, 2026)
    merchants = [(m, *account) for m, account in zip(pools.merchants, pools.accounts, strict=True)]
    drawn = {iban: (m, bic) for m, iban, bic in merchants[:ACCOUNTS_DRAWN] if iban}
    assert len(drawn) == len([iban for _, iban, _ in merchants[:ACCOUNTS_DRAWN] if iban])
    outlets = [(m, iban, bic) for m, iban, bic in merchants[ACCOUNTS_DRAWN:] if iban]
    assert outlets
    for outlet, iban, bic in outlets:
        # its country's first merchant if none of the first 300 was of that country
        owner, owners_bic = drawn.get(iban) or next((m, b) for m, i, b in merchants if i == iban)
        assert owner.country_code == outlet.country_code and owners_bic == bic
