"""Business dates: which settlement day a transaction belongs to, and when that day closes.

A business day ends at the cutoff (local wall clock in the business timezone), not at
midnight: a payment at or after the cutoff belongs to the next day's batch. The gateway
stamps staged rows with `business_date_of`, and reconciliation stamps journal rows with the
same function, so both sides agree on the date by construction.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_YYYY_MM_DD = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The business dates a run can do arithmetic on: a run's late lookback (up to 60 days)
# went below date.min (an unexpected OverflowError), and a date of year 9999 completed as
# an empty day became the last completed date. No card was ever settled outside these.
FIRST_BUSINESS_DATE, LAST_BUSINESS_DATE = date(1970, 1, 1), date(9998, 12, 31)


def parse_business_date(text: str) -> date:
    """A business date an operator typed: YYYY-MM-DD in range; ValueError with the reason.
    date.fromisoformat alone also takes 20261014 and ISO week dates such as 2026-W42-3."""
    if not _YYYY_MM_DD.fullmatch(text):
        raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD)")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None
    if not FIRST_BUSINESS_DATE <= day <= LAST_BUSINESS_DATE:
        raise ValueError(
            f"{text}: outside {FIRST_BUSINESS_DATE} to {LAST_BUSINESS_DATE} (expected YYYY-MM-DD)"
        )
    return day


def business_date_of(local_time: datetime, zone: ZoneInfo, cutoff: time) -> date:
    """The business date of an instant: its date in `zone`, plus one day at/after `cutoff`."""
    if local_time.tzinfo is None or local_time.utcoffset() is None:
        raise ValueError(f"local_time must be timezone-aware, got {local_time.isoformat()}")
    in_zone = local_time.astimezone(zone)
    limit = cutoff if cutoff.tzinfo is None else cutoff.replace(tzinfo=None)  # .time() is naive
    if in_zone.time() >= limit:
        return in_zone.date() + timedelta(days=1)
    return in_zone.date()


def cutoff_instant(business_date: date, zone: ZoneInfo, cutoff: time) -> datetime:
    """The instant business date D closes, as naive UTC (the convention of staged rows).

    D's window is [cutoff on D-1, cutoff on D) in `zone`; wall-clock times that a DST jump
    skips resolve with fold=0, as zoneinfo does.
    """
    local = datetime.combine(business_date, cutoff.replace(tzinfo=None), tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def opening_instant(business_date: date, zone: ZoneInfo, cutoff: time) -> datetime:
    """The instant business date D opens (the previous day's cutoff), as naive UTC."""
    return cutoff_instant(business_date - timedelta(days=1), zone, cutoff)


def business_days_between(start: date, end: date) -> int:
    """Weekdays (Mon-Fri) after `start` up to and including `end`; 0 when end <= start.

    The age of an open reconciliation item; holidays are not modelled, weekends are.
    """
    if end <= start:
        return 0
    full_weeks, extra = divmod((end - start).days, 7)
    count = full_weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


def easter_sunday(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def is_target_business_day(day: date) -> bool:
    """TARGET (the Eurosystem's payment system, which settles SEPA) is open Monday to
    Friday except 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December (ECB,
    "TARGET closing days")."""
    if day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (5, 1), (12, 25), (12, 26)}:
        return False
    easter = easter_sunday(day.year)
    return day not in {easter - timedelta(days=2), easter + timedelta(days=1)}


def next_target_business_day(day: date) -> date:
    """The first TARGET business day after `day`."""
    following = day + timedelta(days=1)
    while not is_target_business_day(following):
        following += timedelta(days=1)
    return following
