"""The pure line checks of the three input files: their rules agree with the gateway's and
the simulator's, the PAN pre-check never misses, the rate band and a journal row's date
arithmetic."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_simulator import vocabulary
from settlement.config import load_settings
from settlement.domain.cards import could_hold_pan, holds_pan
from settlement.domain.file_lines import LineRejected
from settlement.domain.fx import RateQuote
from settlement.domain.journal_lines import JOURNAL_COLUMNS, parse_journal_line
from settlement.domain.merchant_lines import (
    MERCHANT_ACCOUNT_COLUMNS,
    MERCHANT_COLUMNS,
    parse_merchant_line,
)
from settlement.domain.rate_lines import RateLine, band_problems, parse_rate_line, rate_jump
from settlement.domain.reconciliation import JournalFormatError, parse_journal_row


def test_columns_are_what_the_simulator_writes() -> None:
    assert tuple(vocabulary.MERCHANT_COLUMNS) == MERCHANT_COLUMNS + MERCHANT_ACCOUNT_COLUMNS
    assert tuple(vocabulary.JOURNAL_COLUMNS) == JOURNAL_COLUMNS


_SPELLED = st.text(alphabet="0123456789 -.\u00a0\u2013\u0661\u0664a|", max_size=60)


_ASCII_SPELLED = st.text(alphabet="0123456789 -.\t\x1ca|:", max_size=60)


@given(st.one_of(_SPELLED, _ASCII_SPELLED, st.text(max_size=60)))
def test_the_pan_pre_check_never_misses_one(text: str) -> None:
    if holds_pan(text):
        assert could_hold_pan(text)


@pytest.mark.parametrize(
    "text", ["4111111111111111", "4111 1111 1111 1111", "card: 4111-1111-1111-1111.",
             "".join(chr(0x0660 + int(d)) for d in "4111111111111111")],
)  # fmt: skip
def test_the_pan_pre_check_sees_each_spelling(text: str) -> None:
    assert holds_pan(text) and could_hold_pan(text)


def _quote(rate: str) -> RateQuote:
    return RateQuote("USD", Decimal(rate), date(2026, 3, 10), "ecb")


def test_the_band_is_symmetric_in_ratio() -> None:
    previous = _quote("1.0000")
    assert rate_jump(Decimal("1.25"), previous, 25) is None
    assert rate_jump(Decimal("0.80"), previous, 25) is None
    assert rate_jump(Decimal("1.2501"), previous, 25) is not None
    assert rate_jump(Decimal("0.7999"), previous, 25) is not None
    assert rate_jump(Decimal("10"), None, 25) is None  # nothing known before: no band


def test_the_band_follows_earlier_lines_of_the_same_file() -> None:
    day = date(2026, 3, 11)
    lines = [(2, RateLine(day, "USD", Decimal("1.2"))),
             (3, RateLine(date(2026, 3, 12), "USD", Decimal("1.45")))]  # fmt: skip
    published = {"USD": [(date(2026, 3, 10), Decimal("1.0"))]}
    assert band_problems(lines, {}, published, 25) == []
    problems = band_problems(lines[1:], {}, published, 25)
    assert [(number, problem.reason) for number, problem in problems] == [(3, "rate_jump")]


@pytest.mark.parametrize(
    "local_time",
    ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2026-03-11T10:00:00"],
)
def test_a_journal_row_at_the_calendars_ends_is_a_format_error(local_time: str) -> None:
    row = {"transaction_id": "T1", "terminal_id": "A", "merchant_id": "M1", "type": "purchase",
           "amount": "1.00", "currency": "EUR", "local_time": local_time}  # fmt: skip
    with pytest.raises(JournalFormatError):
        parse_journal_row(row, ZoneInfo("Europe/Amsterdam"), time(22))


def test_rate_dates_follow_the_plausible_time_window() -> None:
    rules = load_settings().rate_rules
    now = datetime(2026, 3, 20, 12, 0)
    row = {"date": "2026-03-20", "currency": "USD", "units_per_eur": "1.1"}
    assert parse_rate_line(row, now, rules).rate_date == date(2026, 3, 20)
    for day in ("2026-03-23", "2015-01-01"):
        with pytest.raises(LineRejected, match="implausible_time"):
            parse_rate_line({**row, "date": day}, now, rules)


_VALUE = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789.-+eE ", max_size=25),
    st.sampled_from(["", "EUR", "JPY", "5411", "NL", "purchase", "refund", "Europe/Amsterdam",
                     "2026-03-11", "2026-03-11T10:00:00+01:00", "9999-12-31T23:59:59-12:00",
                     "NaN", "1E+30", "9" * 5000]),
)  # fmt: skip


@given(
    st.fixed_dictionaries({name: _VALUE for name in MERCHANT_COLUMNS + MERCHANT_ACCOUNT_COLUMNS})
)
def test_a_merchant_line_is_parsed_or_rejected_never_a_crash(row: dict[str, str]) -> None:
    try:
        parse_merchant_line(row)
    except LineRejected:
        pass


@given(st.fixed_dictionaries({name: _VALUE for name in JOURNAL_COLUMNS}))
def test_a_journal_line_is_parsed_or_rejected_never_a_crash(row: dict[str, str]) -> None:
    window = load_settings().time_window
    try:
        parse_journal_line(row, ZoneInfo("Europe/Amsterdam"), time(22), datetime(2026, 3, 11),
                           window)  # fmt: skip
    except LineRejected:
        pass


@given(st.fixed_dictionaries({"date": _VALUE, "currency": _VALUE, "units_per_eur": _VALUE}))
def test_a_rate_line_is_parsed_or_rejected_never_a_crash(row: dict[str, str]) -> None:
    try:
        parse_rate_line(row, datetime(2026, 3, 11), load_settings().rate_rules)
    except LineRejected:
        pass
