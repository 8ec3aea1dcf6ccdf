"""Merchants and cards, built once per run: Faker for names, a seeded RNG for everything else.

Faker costs ~0.1 ms a name, so it only fills the merchant pool; the transaction loop never
calls it. Each locale's Faker is seeded from the run's seed, so pools are reproducible for
the pinned Faker version.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from faker import Faker

from pos_simulator import amounts, cards, cross_border
from pos_simulator.accounts import (
    Account,
    account_for_each,
    drawing_accounts,
    drawn_merchants,
    merchant_id_of,
)
from pos_simulator.allocation import largest_remainder, with_minimum_one
from pos_simulator.cards import Card, CardPool, CardsAt, NumberSet
from pos_simulator.countries import BY_CODE as COUNTRY_BY_CODE
from pos_simulator.countries import COUNTRIES, Country
from pos_simulator.mcc import BY_CODE, MCC_TABLE, Mcc
from pos_simulator.shapes import SHAPE_WEIGHTS, HourWeights
from settlement.counting import ProgressCallback, counted
from settlement.domain.currencies import minor_unit_exponent

# Seeded first so every day has merchants that the fraud scenarios need.
REQUIRED_MCCS: tuple[tuple[str, bool], ...] = (
    ("5944", False),
    ("5732", False),
    ("5818", True),
    ("7995", True),
    ("7995", False),  # a betting shop: the night scenario in person
)
MIN_MERCHANTS = len(REQUIRED_MCCS) + 5
MERCHANTS_PROGRESS_EVERY = 100
CONTACTLESS_LIMIT_EUR = 50.0
FEE_FIXED_EUR = {False: 0.10, True: 0.25}  # card-present, online
FEE_STEP_MINOR = 5
_EUR_RATES = {country.currency: country.eur_rate for country in COUNTRIES}
# Only what company names need: loading every provider for 25 locales costs a second.
FAKER_PROVIDERS = ["faker.providers.person", "faker.providers.company"]


@dataclass(frozen=True, slots=True)
class Merchant:
    index: int
    merchant_id: str
    name: str
    mcc: Mcc
    country: Country
    city: str
    timezone: str
    currency: str  # of its sales
    exponent: int
    mdr_bps: int
    fee_fixed_minor: int
    # Its terminals' ids after its merchant_id ("-T01", "-T02"...; "-W01" online): one tuple
    # shared by every merchant with as many, where 136,000 id strings held ~9 MiB at 1M.
    terminal_suffixes: tuple[str, ...]
    online: bool
    # Its traffic at local hour h is `hour_shape[h] * size` (`hour_weight`): the category's
    # shape, one tuple shared by every merchant of that shape, times this merchant's own size.
    # 24 floats a merchant held ~20 MiB at 50,000 merchants (docs/simulator.md).
    hour_shape: HourWeights
    size: float
    log_mu_minor: float  # lognormal location of amounts, in this currency's minor units
    sigma: float  # lognormal scale of amounts (the category's)
    contactless_limit_minor: int
    country_code: str  # copies of country.code and mcc.code: read once per message
    mcc_code: str
    settlement_currency: str  # of its payouts and fee_fixed_minor (see cross_border)

    @property
    def terminals(self) -> tuple[str, ...]:
        return tuple([self.merchant_id + suffix for suffix in self.terminal_suffixes])

    def hour_weight(self, hour: int) -> float:
        """Its traffic weight at local `hour`: the very double `weight * size` was."""
        return self.hour_shape[hour] * self.size


@dataclass(frozen=True, slots=True)
class Pools:
    """The day's merchants and cards, and the account each merchant is paid into.

    The accounts stand beside the merchants, `accounts[i]` merchants[i]'s (IBAN, BIC; empty
    where none is known), because they are drawn aside while the merchants are made: made
    first and then copied with their account, the 1M day's 50,000 merchants stood twice in
    memory, and the freed first copies kept `pos-sim generate` ~10 MB larger all day (its
    peak RSS, 1M over 100k, went 1.55 -> 1.45 in `python -m bench day`)."""

    merchants: tuple[Merchant, ...]
    accounts: tuple[Account, ...]
    cards: Sequence[Card]  # a CardPool: packed, index i is card i
    cards_by_country: dict[str, Sequence[Card]]  # each country's cards, one block of the pool


def build_pools(
    seed: int,
    merchant_count: int,
    card_count: int,
    countries: tuple[Country, ...],
    year: int,
    *,
    cross_currency_share: float = cross_border.DEFAULT_SHARE,
    progress: ProgressCallback | None = None,
) -> Pools:
    """`progress` is told the merchants and cards built (a merchant's IBAN can take a
    thousand draws; past `ACCOUNTS_DRAWN` merchants they share accounts, chain outlets)."""
    if merchant_count < MIN_MERCHANTS or card_count < 10:
        raise ValueError(f"need at least {MIN_MERCHANTS} merchants and 10 cards")
    rng = random.Random(f"pools:{seed}")
    plan = _country_plan(merchant_count, countries)
    rng.shuffle(plan)
    # The accounts come from RNGs of their own: drawn (aside, when many) while the rest is built.
    with drawing_accounts(seed, drawn_merchants([c.code for c in plan])) as drawn:
        settles_in = cross_border.settlement_currencies(
            seed, [c.currency for c in plan], cross_currency_share
        )
        merchants = _merchants(rng, seed, plan, settles_in, progress)
        pool, by_country = _cards(rng, card_count, {c.code for c in plan}, year, progress)
        accounts = tuple(account_for_each(merchants, drawn()))
    return Pools(merchants, accounts, pool, by_country)


def _fee(online: bool, currency: str) -> int:
    fee = amounts.minor_from_eur(FEE_FIXED_EUR[online], currency, _EUR_RATES[currency])
    return amounts.round_to_step(fee, FEE_STEP_MINOR)


def _country_plan(count: int, countries: tuple[Country, ...]) -> list[Country]:
    """Countries for `count` merchants by weight; 3-decimal currencies get a token one."""
    shares = largest_remainder(count, [country.merchant_weight for country in countries])
    three_decimal = [
        i for i, country in enumerate(countries) if minor_unit_exponent(country.currency) == 3
    ]
    shares = with_minimum_one(shares, three_decimal)
    return [country for country, share in zip(countries, shares, strict=True) for _ in range(share)]


def _merchants(
    rng: random.Random,
    seed: int,
    plan: list[Country],
    settles_in: list[str],
    progress: ProgressCallback | None = None,
) -> tuple[Merchant, ...]:
    """The merchants of the shuffled `plan` of countries, each settled in its currency of
    `settles_in`."""
    fakers: dict[str, Faker] = {}
    weights = [mcc.merchant_weight for mcc in MCC_TABLE]
    merchants: list[Merchant] = []
    for index, country in enumerate(counted(plan, progress, MERCHANTS_PROGRESS_EVERY)):
        if index < len(REQUIRED_MCCS):
            code, online = REQUIRED_MCCS[index]
            mcc = BY_CODE[code]
        else:
            mcc = rng.choices(MCC_TABLE, weights=weights)[0]
            online = rng.random() < mcc.online_share
        faker = fakers.get(country.faker_locale)
        if faker is None:
            faker = Faker(country.faker_locale, providers=FAKER_PROVIDERS)
            fakers[country.faker_locale] = faker
            faker.seed_instance(f"{seed}:{country.faker_locale}")
        merchant = _merchant(
            rng, index, faker.company(), mcc=mcc, online=online, country=country,
            settles_in=settles_in[index],
        )  # fmt: skip
        merchants.append(merchant)
    return tuple(merchants)


def _merchant(
    rng: random.Random,
    index: int,
    name: str,
    *,
    mcc: Mcc,
    online: bool,
    country: Country,
    settles_in: str,
) -> Merchant:
    """Merchant `index` of `country`, paid out in `settles_in` (its sales currency, or
    another: `cross_border`), its fixed fee priced in that currency."""
    city = country.cities[int(rng.random() * len(country.cities))]
    merchant_id = merchant_id_of(index)
    terminal_count = 1 if online else rng.randint(1, mcc.terminals)
    size = rng.lognormvariate(0.0, 0.6) * mcc.traffic
    return Merchant(
        index=index,
        merchant_id=merchant_id,
        name=name,
        mcc=mcc,
        country=country,
        city=city.name,
        timezone=city.timezone,
        currency=country.currency,
        exponent=minor_unit_exponent(country.currency),
        mdr_bps=mcc.mdr_bps + rng.randint(-20, 30) + (30 if online else 0),
        fee_fixed_minor=_fee(online, settles_in),
        terminal_suffixes=terminal_suffixes(online, terminal_count),
        online=online,
        hour_shape=SHAPE_WEIGHTS["online" if online else mcc.shape],
        size=size,
        log_mu_minor=_log_mu_minor(mcc.code, country.code),
        sigma=mcc.sigma,
        contactless_limit_minor=_contactless_limit_minor(country.code),
        country_code=country.code,
        mcc_code=mcc.code,
        settlement_currency=settles_in,
    )


# A merchant's figures that depend only on its category and country: one object for each,
# shared by their merchants (a float and an int a merchant held ~2.7 MiB at 50,000).
@cache
def _log_mu_minor(mcc_code: str, country_code: str) -> float:
    """The lognormal location of the category's amounts, in the country's minor units."""
    country = COUNTRY_BY_CODE[country_code]
    shift = amounts.log_minor_per_eur(country.currency, country.eur_rate)
    return BY_CODE[mcc_code].log_median_eur + shift


@cache
def _contactless_limit_minor(country_code: str) -> int:
    country = COUNTRY_BY_CODE[country_code]
    return amounts.minor_from_eur(CONTACTLESS_LIMIT_EUR, country.currency, country.eur_rate)


@cache
def terminal_suffixes(online: bool, count: int) -> tuple[str, ...]:
    """The suffixes of a merchant's `count` terminals, the same tuple for every such merchant."""
    prefix = "W" if online else "T"
    return tuple(f"-{prefix}{k:02d}" for k in range(1, count + 1))


def _cards(
    rng: random.Random,
    count: int,
    merchant_countries: set[str],
    year: int,
    progress: ProgressCallback | None = None,
) -> tuple[CardPool, dict[str, Sequence[Card]]]:
    """Cards by home country: weighted like merchants, at least one per merchant country;
    each country's cards one block of the pool, in `COUNTRIES` order."""
    shares = largest_remainder(count, [math.sqrt(c.merchant_weight) for c in COUNTRIES])
    needed = [i for i, c in enumerate(COUNTRIES) if c.code in merchant_countries]
    shares = with_minimum_one(shares, needed)
    pool, by_country = CardPool(), dict[str, Sequence[Card]]()
    seen = NumberSet(sum(shares))  # the PANs as integers: a PAN never starts with 0
    make_pan, make_expiry = cards.pan_maker(rng), cards.expiry_maker(rng, year)
    for country, share in zip(COUNTRIES, shares, strict=True):
        pick_brand, code, first = cards.brand_picker(rng, country.code), country.code, len(pool)
        for _ in range(share):
            brand = pick_brand()
            pan = make_pan(brand)
            while not seen.add(int(pan)):
                pan = make_pan(brand)
            pool.append(pan, make_expiry(), brand.name, code)
        if share:
            by_country[code] = CardsAt(pool, range(first, len(pool)))
        if progress is not None:  # a country at a time: 25 calls, none in the loop
            progress(share)
    return pool, by_country
