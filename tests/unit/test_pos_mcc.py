"""The MCC table holds real ISO 18245 codes with their real descriptions (checked against the
independent `iso18245` database), and every profile in it is usable."""

from __future__ import annotations

import iso18245
import pytest

from pos_simulator.mcc import MCC_TABLE
from pos_simulator.shapes import SHAPES, opening_hours


def test_there_are_at_least_forty_codes() -> None:
    assert len(MCC_TABLE) >= 40
    assert len({mcc.code for mcc in MCC_TABLE}) == len(MCC_TABLE)


@pytest.mark.parametrize("mcc", MCC_TABLE, ids=lambda mcc: mcc.code)
def test_each_code_is_a_real_iso_18245_code_with_its_description(mcc: object) -> None:
    from pos_simulator.mcc import Mcc

    assert isinstance(mcc, Mcc)
    record = iso18245.get_mcc(mcc.code)  # raises MCCNotFound for an invented code
    wordings = {record.iso_description, record.visa_description,
                record.mastercard_description, record.stripe_description}  # fmt: skip
    assert mcc.description in wordings
    assert mcc.shape in SHAPES and opening_hours(mcc.shape)
    assert mcc.median_eur > 0 and 0 < mcc.sigma < 2
    assert 0 <= mcc.online_share <= 1 and mcc.terminals >= 1 and 0 < mcc.mdr_bps < 1000


def test_the_scenarios_have_their_kinds_of_merchant() -> None:
    assert {m.code for m in MCC_TABLE if m.high_risk} >= {"7995", "6051", "7273", "5967"}
    assert {m.code for m in MCC_TABLE if m.high_value} >= {"5732", "5944"}


def test_shapes_cover_the_day_and_bars_are_open_at_night() -> None:
    assert all(len(shape) == 24 for shape in SHAPES.values())
    assert 1 in opening_hours("bar") and 3 not in opening_hours("retail")
    assert len(opening_hours("always")) == 24
