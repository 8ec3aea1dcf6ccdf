"""Business-day bounds across DST, and the fast text of times, ids and amounts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_simulator.amounts import amount_text
from pos_simulator.streams import SlotClock
from pos_simulator.timeline import (
    BusinessDay,
    from_ms,
    local_time_text,
    to_ms,
    utc_text,
    uuid7_text,
)
from settlement.domain.currencies import ISO_4217_EXPONENTS
from settlement.domain.money import Money

HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("business_date", "hours"),
    [(date(2026, 11, 27), 24), (date(2026, 3, 29), 23), (date(2026, 10, 25), 25)],
)
def test_the_day_runs_from_the_previous_cutoff_to_this_one(business_date: date, hours: int) -> None:
    day = BusinessDay(business_date, "Europe/Amsterdam", time(22, 0))
    assert day.end_ms - day.start_ms == hours * HOUR_MS
    end = from_ms(day.end_ms).astimezone(timezone(timedelta(hours=1)))
    assert end.date() == business_date or hours != 24


def test_the_slot_clock_knows_offsets_across_a_dst_change() -> None:
    day = BusinessDay(date(2026, 10, 25), "Europe/Amsterdam", time(22, 0))
    clock = SlotClock(day, ["Europe/Amsterdam", "Asia/Kolkata", "America/New_York"])
    before = day.start_ms + 2 * HOUR_MS  # 00:00 local, still summer time
    after = day.start_ms + 6 * HOUR_MS
    assert clock.offset("Europe/Amsterdam", before) == 120
    assert clock.offset("Europe/Amsterdam", after) == 60
    assert clock.offset("Asia/Kolkata", after) == 330


@given(
    st.integers(min_value=0, max_value=4_102_444_800_000),
    st.sampled_from([-600, -300, 0, 60, 330, 345, 540, 840]),
)
def test_time_text_matches_isoformat(ms: int, offset_min: int) -> None:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert utc_text(ms) == moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    local = moment.astimezone(timezone(timedelta(minutes=offset_min)))
    assert local_time_text(ms, offset_min) == local.isoformat(timespec="seconds")
    assert to_ms(moment) == ms


@given(st.integers(min_value=0, max_value=2**48 - 1), st.integers(min_value=0, max_value=2**74 - 1))
def test_uuid7_is_a_valid_version_7_uuid_carrying_the_time(ms: int, bits: int) -> None:
    text = uuid7_text(ms, bits)
    parsed = uuid.UUID(text)
    assert str(parsed) == text
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == ms


def test_uuid7_sorts_by_time() -> None:
    ids = [
        uuid7_text(ms, (ms * 7919) % 2**74)
        for ms in range(1_700_000_000_000, 1_700_000_001_000, 37)
    ]
    assert ids == sorted(ids)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(sorted(ISO_4217_EXPONENTS)))
def test_amount_text_is_money_format(amount_minor: int, currency: str) -> None:
    money = Money(amount_minor, currency)
    assert amount_text(amount_minor, money.exponent) == money.format()


# A UUIDv7 whose last group is a Luhn-valid 12-digit Maestro number (50...): the 1M-day
# benchmark generated it, and the journal import and `eod --labels` refused the day for it.
_PAN_SPELLING_ID = "019cd9de-b666-7da3-8820-502032030269"


def _bits_of(uuid_text: str) -> tuple[int, int]:
    """(ms, random bits) that `uuid7_text` turns into `uuid_text`."""
    hex_digits = uuid_text.replace("-", "")
    low = int(hex_digits[16:], 16) & (2**62 - 1)
    return int(hex_digits[:12], 16), (int(hex_digits[13:16], 16) << 62) | low


def test_an_id_that_would_spell_a_card_number_takes_the_next_value() -> None:
    from settlement.domain.cards import holds_pan

    assert holds_pan(_PAN_SPELLING_ID)
    ms, bits = _bits_of(_PAN_SPELLING_ID)
    issued = uuid7_text(ms, bits)
    assert not holds_pan(issued)
    assert issued == "019cd9de-b666-7da3-8820-50203203026a"  # the next value, same time


@given(st.integers(0, 2**48 - 1), st.integers(0, 2**74 - 1))
def test_other_ids_are_unchanged_and_never_spell_a_card_number(ms: int, bits: int) -> None:
    from pos_simulator.timeline import _uuid7
    from settlement.domain.cards import holds_pan

    issued = uuid7_text(ms, bits)
    assert not holds_pan(issued)
    assert issued == _uuid7(ms, bits) or holds_pan(_uuid7(ms, bits))
