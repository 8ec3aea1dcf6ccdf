"""Merchants' settlement accounts: an IBAN of the merchant's country and its bank's BIC.

Drawn for the first `ACCOUNTS_DRAWN` merchants and for the first merchant of each country;
past them a merchant is an outlet of a chain and settles into the account of one of its
country's drawn merchants (the `index`-th, round the list), as a chain's outlets share the
chain's account. A drawn IBAN costs up to a second of CPU (`draw_account`), so a pool of
50,000 merchants drawing each took about 20 minutes; every pool up to `ACCOUNTS_DRAWN`
merchants is as it was.

Each drawn account comes from an RNG of its own (seeded by the run's seed and the merchant
id), so no other draw of the pool depends on it: a large pool's accounts are drawn by a
second process while this one builds the rest of the pool (`drawing_accounts`; the 1M
day's 303 accounts took ~3.7 s, most of the merchants' share of the pool's time). The
accounts are the same whichever process draws them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Protocol

from schwifty import IBAN

from pos_simulator.ibans import planned_xeger
from settlement import second_process
from settlement.domain.bank_accounts import bic_fits_iban
from settlement.domain.cards import holds_pan
from settlement.second_process import Child

ACCOUNTS_DRAWN = 300  # merchants whose settlement account is drawn, plus each country's first
# From this many drawn accounts (~12 ms each) a second process draws them: under it, the
# ~0.4 s of starting one (it imports schwifty) is more than the draws.
ASIDE_MIN_ACCOUNTS = 100

Account = tuple[str, str]  # IBAN and BIC; "" where none is known
NO_ACCOUNT: Account = ("", "")


class Outlet(Protocol):
    """What the accounts need of a merchant."""

    @property
    def index(self) -> int: ...
    @property
    def merchant_id(self) -> str: ...
    @property
    def country_code(self) -> str: ...


def merchant_id_of(index: int) -> str:
    return f"M{index + 1:07d}"


def drawn_merchants(countries: Sequence[str]) -> list[tuple[str, str]]:
    """(merchant id, country) of the merchants whose account is drawn, in index order;
    `countries` is the pool's merchants' countries in index order."""
    seen: set[str] = set()
    drawn = []
    for index, country in enumerate(countries):
        if index < ACCOUNTS_DRAWN or country not in seen:
            drawn.append((merchant_id_of(index), country))
        seen.add(country)
    return drawn


def draw_account(seed: int, merchant_id: str, country: str) -> Account:
    """An IBAN of `country` and its bank's BIC (schwifty's bank registry; none when the
    registry names no bank of the IBAN's country, or one whose BIC does not fit it). An
    IBAN whose digits hold a Luhn-valid card-number-length run is drawn again: real IBANs
    do that by chance, but a generated day's files are scanned for card numbers."""
    rng = random.Random(f"iban:{seed}:{merchant_id}")
    with planned_xeger():  # the same draws, made faster (pos_simulator/ibans.py)
        try:
            iban = IBAN.random(country_code=country, random=rng)
        except ValueError:  # no IBANs in this country
            return NO_ACCOUNT
        while holds_pan(str(iban)):
            iban = IBAN.random(country_code=country, random=rng)
    bic = IBAN(str(iban)).bic
    if bic is None or not bic_fits_iban(str(bic), str(iban)):  # the registry errs, rarely
        return str(iban), ""
    return str(iban), str(bic)


def draw_accounts(seed: int, wanted: Sequence[tuple[str, str]]) -> dict[str, Account]:
    """merchant id -> account, for each (merchant id, country) wanted."""
    return {
        merchant_id: draw_account(seed, merchant_id, country) for merchant_id, country in wanted
    }


@contextmanager
def drawing_accounts(
    seed: int, wanted: Sequence[tuple[str, str]]
) -> Iterator[Callable[[], dict[str, Account]]]:
    """The accounts `wanted`, drawn while the caller goes on: what it is given returns them
    when called. Drawn by a second process when there are many (`settlement.second_process`);
    here, to the same accounts, when there are few or that process cannot start or fails
    (then its error, if it is one, is raised here as the draw meets it)."""
    child = None
    if len(wanted) >= ASIDE_MIN_ACCOUNTS:
        child = second_process.try_start(_draw, (seed, tuple(wanted)), "accounts")
    if not isinstance(child, Child):
        yield lambda: draw_accounts(seed, wanted)
        return
    try:
        yield lambda: _drawn_by(child, seed, wanted)
    finally:
        child.stop()


def _draw(job: tuple[int, tuple[tuple[str, str], ...]], pipe: Connection) -> None:
    """The second process: draw the accounts, send them."""
    seed, wanted = job
    second_process.report_to_parent(pipe, lambda _tell: ("done", draw_accounts(seed, wanted)))


def _drawn_by(child: Child, seed: int, wanted: Sequence[tuple[str, str]]) -> dict[str, Account]:
    message = child.receive()
    if message is None or message[0] != "done":
        return draw_accounts(seed, wanted)  # failed or gone: the same draws, here
    accounts: dict[str, Account] = message[1]
    return accounts


def account_for_each(merchants: Sequence[Outlet], drawn: dict[str, Account]) -> list[Account]:
    """Each merchant's account, in order: its own if drawn, else the chain's (`drawn` holds
    every drawn merchant's, as `draw_accounts` returns them)."""
    chains: dict[str, list[Account]] = {}
    accounts = []
    for merchant in merchants:
        own = drawn.get(merchant.merchant_id)
        same_country = chains.setdefault(merchant.country_code, [])
        if own is not None:
            same_country.append(own)
            accounts.append(own)
        else:
            accounts.append(same_country[merchant.index % len(same_country)])
    return accounts
