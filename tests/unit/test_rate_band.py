"""The jump band a new rate must fall in (settlement.domain.rate_lines.rate_jump): its
message names the band, and a previous rate more than a year older anchors none."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from settlement.domain.fx import SOURCE_ECB, RateQuote
from settlement.domain.rate_lines import BAND_ANCHOR_MAX_AGE_DAYS, rate_jump

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
