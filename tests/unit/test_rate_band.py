"""The jump band a new rate must fall in (settlement.domain.rate_lines.rate_jump): its
message names the band, and a previous rate more than a year older anchors none."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from settlement.domain.fx import SOURCE_ECB, RateQuote
from settlement.domain.rate_lines import (
    BAND_ANCHOR_MAX_AGE_DAYS,
    RateLine,
    band_problems,
    is_published,
    rate_jump,
)

# The ECB quoted ISK 290 on 2008-12-09, then nothing until 2018.
ISK_2008 = RateQuote("ISK", Decimal("290"), date(2008, 12, 9), SOURCE_ECB)


def test_the_message_names_the_band_in_both_directions() -> None:
    previous = RateQuote("TRY", Decimal("20.0434"), date(2021, 12, 20), SOURCE_ECB)
    problem = rate_jump(Decimal("14.7132"), previous, 25, date(2021, 12, 21))
    assert problem == (
        "TRY 14.7132 is -26.6% from the last known rate 20.0434 (ecb, 2021-12-20): outside "
        "its 25% band 16.03472..25.05425"
    )
    assert rate_jump(Decimal("16.0348"), previous, 25, date(2021, 12, 21)) is None


def test_a_rate_more_than_a_year_older_anchors_no_band() -> None:
    last_day = ISK_2008.rate_date + timedelta(days=BAND_ANCHOR_MAX_AGE_DAYS)
    assert rate_jump(Decimal("125.01"), ISK_2008, 25, last_day) is not None
    assert rate_jump(Decimal("125.01"), ISK_2008, 25, last_day + timedelta(days=1)) is None
    assert rate_jump(Decimal("125.01"), ISK_2008, 25, date(2018, 1, 2)) is None


TRY_SHIPPED = [(date(2021, 12, 20), Decimal("20.0434")), (date(2021, 12, 21), Decimal("14.7132"))]


def _line(day: date, rate: str) -> tuple[int, RateLine]:
    return 2, RateLine(day, "TRY", Decimal(rate))


def test_the_ecb_rate_as_shipped_meets_no_band() -> None:
    """TRY's real -26.6% of 2021-12-21 is the ECB's publication: equal to the shipped
    value (as a number: trailing zeros too), it is not judged."""
    published = {"TRY": TRY_SHIPPED}
    for text in ("14.7132", "14.71320"):
        assert band_problems([_line(date(2021, 12, 21), text)], {}, published, 25) == []


def test_any_other_rate_still_meets_the_band() -> None:
    """Not the shipped value (one digit off, ten times), or a date the shipped history does
    not hold (after its end): judged against the latest earlier known rate."""
    published = {"TRY": TRY_SHIPPED}
    for day, text in [
        (date(2021, 12, 21), "14.7131"),  # 26.6% from 20.0434, not the ECB's figure
        (date(2021, 12, 21), "147.132"),
        (date(2021, 12, 22), "20.0434"),  # after the history: +36% from 14.7132
    ]:
        assert band_problems([_line(day, text)], {}, published, 25), (day, text)
    assert band_problems([_line(date(2021, 12, 22), "14.80")], {}, published, 25) == []


def test_is_published_needs_the_same_date_and_value() -> None:
    assert is_published(RateLine(date(2021, 12, 20), "TRY", Decimal("20.0434")), TRY_SHIPPED)
    assert not is_published(RateLine(date(2021, 12, 19), "TRY", Decimal("20.0434")), TRY_SHIPPED)
    assert not is_published(RateLine(date(2021, 12, 22), "TRY", Decimal("14.7132")), TRY_SHIPPED)
    assert not is_published(RateLine(date(2021, 12, 20), "TRY", Decimal("20.0434")), [])
