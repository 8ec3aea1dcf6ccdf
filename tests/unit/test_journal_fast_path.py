"""The journal's fast path only ever accepts what the careful path accepts, and builds the
very row the careful path builds; and it does clear a plain line (else it is dead weight)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from settlement.config import load_settings
from settlement.domain.file_lines import LineRejected
from settlement.domain.journal_lines import (
    _REMEMBERED_TIMES,
    JOURNAL_COLUMNS,
    JournalLine,
    _local_instants,
    _plain_instant,
    _plain_line,
    journal_line,
    parse_journal_line,
)

NOW = datetime(2026, 3, 11, 21, 0)
ZONE, CUTOFF = ZoneInfo("Europe/Amsterdam"), time(22)
WINDOW = load_settings().time_window
SPAN = WINDOW.around(NOW)
# One for the whole module, as a reader keeps one for a whole import: the lines below meet
# their times both as new and as remembered ones.
INSTANT_OF = _local_instants(SPAN, ZONE, CUTOFF)
PLAIN = ["T1", "TERM1", "M1", "purchase", "12.50", "EUR", "2026-03-11T22:00:00+01:00", "1234", ""]


def _careful(values: list[str]) -> JournalLine | None:
    row = dict(zip(JOURNAL_COLUMNS, (value.strip() for value in values), strict=True))
    try:
        return journal_line(parse_journal_line(row, ZONE, CUTOFF, NOW, WINDOW))
    except LineRejected:
        return None


def test_the_fast_path_clears_a_plain_line() -> None:
    fast = _plain_line(",".join(PLAIN), INSTANT_OF)
    assert fast is not None and fast == _careful(PLAIN)
    assert fast.business_date.isoformat() == "2026-03-12"  # at the cutoff: the next day


_IDS = st.sampled_from([
    "T1", "T2", "4111111111111111", "4111-1111-1111-1111", "a b", "", "T\x00", "x" * 70,
    "01a2388e-a20c-74f7-a20d-973373ec08e5", " T1", "T:1.-_", "T1,T2", ",", "T1|T2",
])  # fmt: skip
_AMOUNTS = st.sampled_from([
    "12.50", "0.01", "0", "0.00", "012.5", "1.005", "9999999999999", "99999999999.99",
    "\u0661\u0662", "1e3", "-5", "12.", "5",
])  # fmt: skip
_TIMES = st.sampled_from([
    "2026-03-11T22:00:00+01:00", "2026-03-11T21:59:59.999999+01:00", "2026-03-11T21:00:00Z",
    "2026-03-11T16:00:00-05:00", "2026-02-30T10:00:00+01:00", "2026-03-11T22:00:00",
    "2025-01-01T00:00:00+01:00", "2026-03-13T22:00:00+01:00", "2026-03-11T23:45:00+05:45",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "2026-03-11 22:00:00+01:00",
])  # fmt: skip


_LINES = st.tuples(
    _IDS,
    _IDS,
    _IDS,
    st.sampled_from(["purchase", "refund", "reversal", "Purchase", ""]),
    _AMOUNTS,
    st.sampled_from(["EUR", "JPY", "KWD", "eur", "XXX", "BGN", "ZZZ"]),
    _TIMES,
    st.sampled_from(["1234", "123", "\u0661234", "12345"]),
    st.one_of(_IDS, st.just("")),
)


@given(_LINES)
def test_whatever_the_fast_path_clears_the_careful_path_reads_the_same(
    line: tuple[str, ...],
) -> None:
    values = list(line)
    fast = _plain_line(",".join(values), INSTANT_OF)
    if fast is not None:
        assert fast == _careful(values)


@given(st.integers(min_value=-3 * 86_400, max_value=2 * 86_400), st.integers(-720, 840))
def test_times_and_offsets_give_the_careful_business_date_and_instant(
    shift_s: int, offset_min: int
) -> None:
    zone = ZoneInfo("UTC") if offset_min == 0 else None
    offset = timedelta(minutes=offset_min)
    instant = NOW + timedelta(seconds=shift_s)
    local = (instant + offset).isoformat() + (
        "Z"
        if zone
        else f"{'+' if offset_min >= 0 else '-'}{abs(offset_min) // 60:02}:"
        f"{abs(offset_min) % 60:02}"
    )
    values = [*PLAIN[:6], local, *PLAIN[7:]]
    fast = _plain_line(",".join(values), INSTANT_OF)
    assert fast == _careful(values)


def test_a_remembered_local_time_reads_as_a_new_one() -> None:
    texts = [
        "2026-03-11T22:00:00+01:00",  # plain
        "2026-02-30T10:00:00+01:00",  # no such day: the careful path decides
        "2025-01-01T00:00:00+01:00",  # outside the window
    ]
    instant_of = _local_instants(SPAN, ZONE, CUTOFF)
    for text in texts * 2:
        assert instant_of(text) == _plain_instant(text, SPAN, ZONE, CUTOFF)
    assert instant_of(texts[0]) is not None and instant_of(texts[1]) is None


def test_local_times_are_forgotten_in_bulk_and_read_again_the_same() -> None:
    instant_of = _local_instants(SPAN, ZONE, CUTOFF)
    texts = [
        (NOW + timedelta(seconds=second)).isoformat() + "Z"
        for second in range(_REMEMBERED_TIMES + 10)
    ]
    for text in texts + texts[:20]:
        assert instant_of(text) == _plain_instant(text, SPAN, ZONE, CUTOFF)
