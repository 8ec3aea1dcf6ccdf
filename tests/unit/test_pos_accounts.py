"""Merchants' settlement accounts (pos_simulator/accounts.py): the same whichever process
draws them, and the same as before they moved there (pinned bytes of merchants.csv)."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

import pytest

from pos_simulator import accounts
from pos_simulator.accounts import ACCOUNTS_DRAWN, account_for_each, drawn_merchants
from pos_simulator.countries import COUNTRIES
from pos_simulator.pools import build_pools
from pos_simulator.writer import write_merchants

# merchants.csv of build_pools(7, 400, 300, COUNTRIES, 2026), written by the code before the
# accounts were drawn aside (main at 37be4a5): 357 merchants with an IBAN, chains included.
PINNED_MERCHANTS_SHA256 = "8e4e8c61b8ce3a12b070c303e6300c15277872ab54ccfa152bfccb1daa841178"


def _merchants_csv(tmp_path: Path, name: str) -> bytes:
    path = tmp_path / name
    pools = build_pools(7, 400, 300, COUNTRIES, 2026)
    write_merchants(path, pools.merchants, pools.accounts)
    return path.read_bytes()


def test_a_second_process_draws_the_accounts_this_one_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aside = _merchants_csv(tmp_path, "aside.csv")  # 300+ accounts: drawn by a second process
    monkeypatch.setattr(accounts, "ASIDE_MIN_ACCOUNTS", 10**9)
    here = _merchants_csv(tmp_path, "here.csv")
    assert aside == here
    assert hashlib.sha256(here).hexdigest() == PINNED_MERCHANTS_SHA256
    assert multiprocessing.active_children() == []


def test_the_first_merchants_and_each_countrys_first_are_drawn() -> None:
    countries = ["NL"] * ACCOUNTS_DRAWN + ["NL", "PL", "NL", "PL", "JP"]
    drawn = drawn_merchants(countries)
    assert len(drawn) == ACCOUNTS_DRAWN + 2
    assert drawn[-2:] == [("M0000302", "PL"), ("M0000305", "JP")]


def test_an_outlet_settles_into_its_chains_account_round_the_list() -> None:
    class Shop:
        def __init__(self, index: int, country: str) -> None:
            self.index, self.merchant_id, self.country_code = index, f"M{index}", country

    shops = [Shop(0, "NL"), Shop(1, "NL"), Shop(2, "JP"), Shop(3, "NL"), Shop(4, "NL")]
    drawn = {"M0": ("NL1", "B1"), "M1": ("NL2", "B2"), "M2": accounts.NO_ACCOUNT}
    assert account_for_each(shops, drawn) == [
        ("NL1", "B1"), ("NL2", "B2"), ("", ""), ("NL2", "B2"), ("NL1", "B1"),
    ]  # fmt: skip


def test_a_country_without_ibans_gets_no_account_from_the_second_process_too() -> None:
    wanted = [(f"M{i:07d}", "ZZ") for i in range(accounts.ASIDE_MIN_ACCOUNTS)]
    with accounts.drawing_accounts(7, wanted) as drawn:
        assert drawn() == {merchant_id: accounts.NO_ACCOUNT for merchant_id, _ in wanted}
    assert multiprocessing.active_children() == []


def test_a_second_process_that_cannot_start_leaves_the_draws_to_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []

    def no_process(*args: object) -> None:
        started.append(args)
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(accounts.second_process, "start", no_process)
    here = _merchants_csv(tmp_path, "here.csv")
    assert len(started) == 1  # it was asked for, and the pool was drawn here instead
    assert hashlib.sha256(here).hexdigest() == PINNED_MERCHANTS_SHA256
