"""Business date derivation: cutoff in the business timezone, DST and offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.calendar import business_date_of, cutoff_instant, opening_instant

AMS = ZoneInfo("Europe/Amsterdam")
CUTOFF = time(22, 0)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-03-10T21:59:59+01:00", date(2026, 3, 10)),
        ("2026-03-10T22:00:00+01:00", date(2026, 3, 11)),
        ("2026-03-10T23:30:00+01:00", date(2026, 3, 11)),
        ("2026-03-10T00:00:00+01:00", date(2026, 3, 10)),
        # A terminal in London at 21:30 local is 22:30 in Amsterdam: next business day.
        ("2026-03-10T21:30:00+00:00", date(2026, 3, 11)),
        # New York 15:59 EST = 21:59 CET: same day.
        ("2026-03-10T15:59:00-05:00", date(2026, 3, 10)),
        # Summer time: 20:00 UTC = 22:00 CEST -> next day.
        ("2026-07-01T20:00:00+00:00", date(2026, 7, 2)),
        ("2026-12-31T22:00:00+01:00", date(2027, 1, 1)),
    ],
)
def test_business_date_of(local: str, expected: date) -> None:
    assert business_date_of(_at(local), AMS, CUTOFF) == expected


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business_date_of(datetime(2026, 3, 10, 12, 0), AMS, CUTOFF)


def test_cutoff_instant_follows_dst() -> None:
    assert cutoff_instant(date(2026, 3, 28), AMS, CUTOFF) == datetime(2026, 3, 28, 21, 0)
    assert cutoff_instant(date(2026, 3, 29), AMS, CUTOFF) == datetime(2026, 3, 29, 20, 0)
    assert opening_instant(date(2026, 3, 29), AMS, CUTOFF) == datetime(2026, 3, 28, 21, 0)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    st.sampled_from([time(22, 0), time(0, 0), time(17, 30)]),
)
def test_instant_falls_inside_its_business_day(moment: datetime, cutoff: time) -> None:
    aware = moment.replace(tzinfo=UTC)
    day = business_date_of(aware, AMS, cutoff)
    naive_utc = moment
    assert opening_instant(day, AMS, cutoff) <= naive_utc < cutoff_instant(day, AMS, cutoff) or (
        # A skipped/repeated wall-clock hour can make the window shorter or longer by one hour.
        abs(naive_utc - cutoff_instant(day, AMS, cutoff)) <= timedelta(hours=1)
        or abs(naive_utc - opening_instant(day, AMS, cutoff)) <= timedelta(hours=1)
    )
