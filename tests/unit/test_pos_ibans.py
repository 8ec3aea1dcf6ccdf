"""The planned BBAN maker draws what rstr's `Xeger` draws: the same IBANs, the same RNG after.

Differential against schwifty as it ships (`IBAN.random` outside `planned_xeger`), for every
IBAN country of the simulator and runs of draws, and against `Xeger` on hostile patterns.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rstr.xeger import Xeger
from schwifty import IBAN

from pos_simulator.countries import COUNTRIES
from pos_simulator.ibans import PlannedXeger, planned_xeger


def _iban_countries() -> list[str]:
    found = []
    for country in COUNTRIES:
        try:
            IBAN.random(country_code=country.code, random=random.Random(0))
        except ValueError:
            continue
        found.append(country.code)
    return found


IBAN_COUNTRIES = _iban_countries()


@pytest.mark.parametrize("country", IBAN_COUNTRIES)
def test_planned_draws_are_schwiftys_draws(country: str) -> None:
    for seed in range(12):
        shipped, planned = random.Random(f"{country}:{seed}"), random.Random(f"{country}:{seed}")
        wanted = [str(IBAN.random(country_code=country, random=shipped)) for _ in range(5)]
        with planned_xeger():
            got = [str(IBAN.random(country_code=country, random=planned)) for _ in range(5)]
        assert got == wanted
        assert planned.getstate() == shipped.getstate()


def test_schwiftys_own_maker_is_back_after_the_block() -> None:
    from schwifty import bban  # noqa: PLC0415

    before = vars(bban)["Rstr"]
    with pytest.raises(RuntimeError), planned_xeger():
        assert vars(bban)["Rstr"] is PlannedXeger
        raise RuntimeError
    assert vars(bban)["Rstr"] is before
    assert len(IBAN_COUNTRIES) >= 15  # the test above covers most of the pool's countries


PATTERNS = [
    r"^\d{8}\d{16}$", r"^[A-Z]{4}\d{14}$", r"^\d{3}[A-Z0-9]{2,5}X$", r"^[0-9A-F]{1,3}-\d*$",
    r"^a+[bc]?[^xyz]{2}$", r"^(ab|cd){2}\w\s$", r"^\d{0}[7-9]{3,3}$", "",
]  # fmt: skip


@settings(max_examples=40)
@given(st.sampled_from(PATTERNS), st.integers(0, 2**32))
def test_planned_xeger_is_rstrs_xeger(pattern: str, seed: int) -> None:
    shipped, planned = random.Random(seed), random.Random(seed)
    assert PlannedXeger(planned).xeger(pattern) == Xeger(shipped).xeger(pattern)
    assert planned.getstate() == shipped.getstate()
