"""The plausible-timestamp rule: never raises, whatever the year; bounds on every side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.domain.plausibility import TimeWindow
from tests.support.example_budget import examples

WINDOW = TimeWindow(timedelta(days=3650), timedelta(days=1), timedelta(days=30))
NOW = datetime(2026, 12, 3, 7, 0)
EAST, WEST = timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))


def test_an_ordinary_message_is_plausible() -> None:
    local = datetime(2026, 11, 30, 8, 7, tzinfo=EAST)
    assert WINDOW.implausibility(NOW, local, local.astimezone(UTC) + timedelta(seconds=3)) is None


def test_the_calendar_edges_are_implausible_not_errors() -> None:
    assert "days old" in str(WINDOW.implausibility(NOW, datetime(1, 1, 1, tzinfo=EAST)))
    far = datetime(9999, 12, 31, 23, 59, tzinfo=WEST)
    assert "ahead" in str(WINDOW.implausibility(NOW, far))
    local = datetime(2026, 11, 30, tzinfo=UTC)
    assert "sent_at" in str(WINDOW.implausibility(NOW, local, datetime(1, 1, 1, tzinfo=EAST)))


def test_delivery_delay_and_skew_bound_sent_at() -> None:
    local = datetime(2026, 11, 1, tzinfo=UTC)
    assert WINDOW.implausibility(NOW, local, local + timedelta(days=30)) is None
    assert WINDOW.implausibility(NOW, local, local + timedelta(days=30, seconds=1)) is not None
    assert WINDOW.implausibility(NOW, local, local - timedelta(days=1)) is None
    assert WINDOW.implausibility(NOW, local, local - timedelta(days=1, seconds=1)) is not None


@given(
    st.datetimes(timezones=st.sampled_from([EAST, WEST, UTC])),
    st.datetimes(timezones=st.sampled_from([EAST, WEST, UTC])) | st.none(),
    st.integers(1, 999_999_999),
)
def test_never_raises(local: datetime, sent: datetime | None, age_days: int) -> None:
    window = TimeWindow(timedelta(days=age_days), timedelta(days=age_days), timedelta(days=30))
    window.implausibility(NOW, local, sent)


ZONES = st.sampled_from([EAST, WEST, UTC])
NEAR_S = st.integers(-40 * 86_400, 40 * 86_400)


@settings(max_examples=examples(3000), deadline=None)
@given(
    st.datetimes(timezones=ZONES) | st.tuples(st.integers(0, 2), NEAR_S, ZONES),
    st.datetimes(timezones=ZONES) | st.tuples(NEAR_S, ZONES),
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
)
def test_the_batch_span_decides_as_the_plain_rule(
    local_draw: datetime | tuple[int, int, timezone],
    sent_draw: datetime | tuple[int, timezone],
    now: datetime,
) -> None:
    """`PlausibleSpan` avoids comparisons across zones; its verdict is the rule's, stated
    plainly here, at the calendar's edges and, as often, within days of the window's bounds
    and of each other, where the bounds are decided."""
    earliest = now.replace(tzinfo=UTC) - WINDOW.max_age
    latest = now.replace(tzinfo=UTC) + WINDOW.max_ahead
    if isinstance(local_draw, tuple):
        anchor, offset_s, zone = local_draw
        local = ((earliest, now.replace(tzinfo=UTC), latest)[anchor]
                 + timedelta(seconds=offset_s)).astimezone(zone)  # fmt: skip
    else:
        local = local_draw
    if isinstance(sent_draw, tuple) and local.year not in (1, 9999):
        sent = (local + timedelta(seconds=sent_draw[0])).astimezone(sent_draw[1])
    else:
        sent = sent_draw if isinstance(sent_draw, datetime) else local
    plain = (
        earliest <= local <= latest
        and earliest <= sent <= latest
        and -WINDOW.max_ahead <= sent - local <= WINDOW.max_delivery_delay
    )
    assert (WINDOW.around(now).implausibility(local, sent) is None) is plain
    assert (WINDOW.implausibility(now, local, sent) is None) is plain


@settings(max_examples=examples(3000), deadline=None)
@given(
    st.datetimes(timezones=ZONES) | st.tuples(st.integers(0, 2), NEAR_S, ZONES),
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
    st.sampled_from([1, 3650, 999_999_999]),
    st.sampled_from([0, 1, 86_400, 10**13]),  # the last: past the calendar
)
def test_the_naive_utc_check_decides_as_the_rule_without_sent_at(
    local_draw: datetime | tuple[int, int, timezone], now: datetime, age_days: int, ahead_s: int
) -> None:
    """`holds_utc` (the journal's check: no sent_at) is the rule's verdict on the same
    instant, at the window's bounds, at the calendar's edges and with unbounded windows."""
    window = TimeWindow(timedelta(days=age_days), timedelta(seconds=ahead_s), timedelta(days=30))
    span = window.around(now)
    if isinstance(local_draw, tuple):
        anchor, offset_s, zone = local_draw
        bound = (span.earliest, now.replace(tzinfo=UTC), span.latest)[anchor]
        try:
            local = (bound + timedelta(seconds=offset_s)).astimezone(zone)
        except OverflowError:
            return
    else:
        local = local_draw
    offset = local.utcoffset()
    assert offset is not None
    try:
        utc = local.replace(tzinfo=None) - offset
    except OverflowError:  # no naive UTC instant: a journal line goes the careful way
        return
    assert span.holds_utc(utc) is (span.implausibility(local) is None)
