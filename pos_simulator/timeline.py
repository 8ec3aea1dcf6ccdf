"""The business day as instants, and fast text for the times and ids every message carries.

Instants are integer milliseconds since the Unix epoch (UTC). The day generated for business
date D runs from D-1 at the cutoff to D at the cutoff, business-timezone wall clock, exactly
as the settlement side assigns business dates. Formatting goes through small integer
arithmetic instead of `datetime.isoformat` because it runs twice per message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from settlement.domain.cards import holds_pan

MS_PER_S = 1000
MS_PER_MIN = 60_000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


@dataclass(frozen=True, slots=True)
class BusinessDay:
    """[start_ms, end_ms): from the previous day's cutoff to this business date's cutoff."""

    business_date: date
    timezone: str
    cutoff: time

    @property
    def start_ms(self) -> int:
        return self._cutoff_ms(self.business_date - timedelta(days=1))

    @property
    def end_ms(self) -> int:
        return self._cutoff_ms(self.business_date)

    def _cutoff_ms(self, day: date) -> int:
        return to_ms(datetime.combine(day, self.cutoff, tzinfo=ZoneInfo(self.timezone)))


def offset_minutes(zone: ZoneInfo, ms: int) -> int:
    offset = from_ms(ms).astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset
    return int(offset.total_seconds()) // 60


@lru_cache(maxsize=256)
def offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


# Text up to the minute, by minute: a day has 1,440 minutes times a few offsets, and the
# prefix is most of the cost of formatting a timestamp.
_CACHE_LIMIT = 1 << 16
_utc_minutes: dict[int, str] = {}
_local_minutes: dict[int, str] = {}
_OFFSET_KEY = 1 << 11  # offsets are within -14:00..+14:00 = +-840 min


@lru_cache(maxsize=64)
def _date_text(day_number: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day_number)).isoformat()


def _minute_text(minute: int) -> str:
    day_number, minute_of_day = divmod(minute, 1440)
    hours, minutes = divmod(minute_of_day, 60)
    return f"{_date_text(day_number)}T{TWO_DIGITS[hours]}:{TWO_DIGITS[minutes]}:"


# Zero-padded numbers by table: a format spec like `:02d` costs more than the rest together.
TWO_DIGITS: Final = tuple(f"{n:02d}" for n in range(100))
THREE_DIGITS: Final = tuple(f"{n:03d}" for n in range(1000))


def utc_text(ms: int) -> str:
    """ISO 8601 UTC to the millisecond: `2026-11-27T22:15:02.456Z`."""
    minute, ms_of_minute = divmod(ms, MS_PER_MIN)
    prefix = _utc_minutes.get(minute)
    if prefix is None:
        if len(_utc_minutes) > _CACHE_LIMIT:
            _utc_minutes.clear()
        prefix = _utc_minutes[minute] = _minute_text(minute)
    seconds, millis = divmod(ms_of_minute, MS_PER_S)
    return f"{prefix}{TWO_DIGITS[seconds]}.{THREE_DIGITS[millis]}Z"


def local_time_text(ms: int, offset_min: int) -> str:
    """ISO 8601 wall clock with its UTC offset, to the second: `2026-11-27T23:15:02+01:00`."""
    minute, ms_of_minute = divmod(ms, MS_PER_MIN)
    key = minute * 2 * _OFFSET_KEY + offset_min + _OFFSET_KEY
    prefix = _local_minutes.get(key)
    if prefix is None:
        if len(_local_minutes) > _CACHE_LIMIT:
            _local_minutes.clear()
        prefix = _local_minutes[key] = _minute_text(minute + offset_min)
    return f"{prefix}{TWO_DIGITS[ms_of_minute // MS_PER_S]}{offset_text(offset_min)}"


_UUID7_VERSION = 0x7 << 76
_UUID7_VARIANT = 0b10 << 62
_RAND_A = 0xFFF << 64  # 12 random bits after the version nibble
_HEX_GUARD = 1 << 128


def uuid7_text(ms: int, random_bits: int) -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix ms, then 74 bits from the caller's seeded RNG.

    Ids sort by time, which keeps the staging table's B-tree appends sequential, and they
    are reproducible because the random part comes from the simulation's own RNG. About two
    ids in a million spell a card number in their digits (`8820-502032030269`: 16 digits, a
    dash, Luhn-valid), and the settlement side rightly refuses a card number in any field:
    such an id takes the next random value instead (no draw from the RNG, so every other
    id of the day stays the same).
    """
    text = _uuid7(ms, random_bits)
    while _digit_groups_run(text) and holds_pan(text):
        random_bits = (random_bits + 1) % _RANDOM_VALUES
        text = _uuid7(ms, random_bits)
    return text


_RANDOM_VALUES = 1 << 74
_SHORTEST_PAN = 12  # settlement.domain.cards: 12 digits under a Maestro prefix, else 13-19


def _digit_groups_run(text: str) -> bool:
    """The cheap test before the real one (a fifth of its cost): do whole groups of digits
    in a row hold 12 digits? A hex group with a letter breaks a chain of digit groups (it is
    glued to it), so the real test can only find a card number where this one is true."""
    run = 0
    for group in text.split("-"):
        run = run + len(group) if group.isdigit() else 0
        if run >= _SHORTEST_PAN:
            return True
    return False


def _uuid7(ms: int, random_bits: int) -> str:
    rand_a = (random_bits << 2) & _RAND_A
    value = (ms << 80) | _UUID7_VERSION | rand_a | _UUID7_VARIANT | (random_bits & (2**62 - 1))
    h = hex(value | _HEX_GUARD)  # "0x1" then exactly 32 digits, leading zeros kept
    return f"{h[3:11]}-{h[11:15]}-{h[15:19]}-{h[19:23]}-{h[23:]}"
