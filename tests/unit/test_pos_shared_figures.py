"""A merchant's amount location and contactless limit, shared by category and country, are
the figures each merchant computed for itself (the replaced formulas, restated here)."""

from __future__ import annotations

from datetime import date

from pos_simulator import amounts
from pos_simulator.config import DayConfig
from pos_simulator.generate import pools_for
from pos_simulator.pools import CONTACTLESS_LIMIT_EUR

CONFIG = DayConfig(seed=4, business_date=date(2026, 10, 14), transactions=1,
                   merchants=700, cards=300)  # fmt: skip


def test_shared_figures_are_the_figures_each_merchant_made() -> None:
    pools = pools_for(CONFIG)
    for merchant in pools.merchants:
        country, mcc = merchant.country, merchant.mcc
        log_mu = mcc.log_median_eur + amounts.log_minor_per_eur(country.currency, country.eur_rate)
        assert merchant.log_mu_minor.hex() == log_mu.hex()
        limit = amounts.minor_from_eur(CONTACTLESS_LIMIT_EUR, country.currency, country.eur_rate)
        assert merchant.contactless_limit_minor == limit
    pairs = {(m.mcc.code, m.country.code) for m in pools.merchants}
    assert len({id(m.log_mu_minor) for m in pools.merchants}) == len(pairs)
    countries = {m.country.code for m in pools.merchants}
    assert len({id(m.contactless_limit_minor) for m in pools.merchants}) <= len(countries)
