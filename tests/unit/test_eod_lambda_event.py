"""The end-of-day Lambda's event -> run request: which business date, and what is refused.

Pure: no database, no AWS. The clock is an argument, so DST and the cutoff instant itself
are pinned exactly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from settlement.config import load_settings
from settlement.domain.calendar import cutoff_instant
from settlement.eod.lambda_event import InvalidEvent, last_closed_business_date, request_from_event

SETTINGS = load_settings()  # Europe/Amsterdam, cutoff 22:00


@pytest.mark.parametrize(
    ("now", "closed"),
    [
        (datetime(2026, 3, 11, 20, 59, 59), date(2026, 3, 10)),  # 21:59:59 CET: 11th still open
        (datetime(2026, 3, 11, 21, 0), date(2026, 3, 11)),  # the cutoff instant closes the 11th
        (datetime(2026, 3, 11, 23, 30), date(2026, 3, 11)),  # after local midnight
        (datetime(2026, 3, 12, 8, 0), date(2026, 3, 11)),
        (datetime(2026, 3, 29, 19, 59), date(2026, 3, 28)),  # DST day: 21:59 CEST
        (datetime(2026, 3, 29, 20, 0), date(2026, 3, 29)),  # 22:00 CEST = 20:00 UTC
        (datetime(2026, 10, 25, 21, 0), date(2026, 10, 25)),  # back to CET: 22:00 = 21:00 UTC
        (datetime(2026, 10, 25, 20, 30), date(2026, 10, 24)),
    ],
)
def test_last_closed_business_date(now: datetime, closed: date) -> None:
    assert last_closed_business_date(now, SETTINGS) == closed
    # the defining property: its cutoff has passed, the next date's has not
    zone, cutoff = SETTINGS.zone, SETTINGS.cutoff_time
    assert (
        cutoff_instant(closed, zone, cutoff)
        <= now
        < cutoff_instant(closed + timedelta(days=1), zone, cutoff)
    )


def test_last_closed_business_date_follows_the_settings() -> None:
    tokyo = load_settings(business_timezone="Asia/Tokyo", cutoff_time="18:30")
    now = datetime(2026, 3, 11, 9, 30)  # 18:30 JST
    assert last_closed_business_date(now, tokyo) == date(2026, 3, 11)
    assert last_closed_business_date(now - timedelta(seconds=1), tokyo) == date(2026, 3, 10)


NOW = datetime(2026, 3, 12, 6, 0)


@pytest.mark.parametrize("event", [None, {}, {"source": "aws.scheduler"}])
def test_a_scheduled_event_runs_the_last_closed_date(event: dict[str, str] | None) -> None:
    request = request_from_event(event, SETTINGS, NOW, owner="lambda:req-1")
    assert (request.business_date, request.now, request.rerun) == (date(2026, 3, 11), NOW, False)
    assert request.owner == "lambda:req-1" and request.labels is None


def test_an_event_may_name_the_date_and_ask_for_a_rerun() -> None:
    request = request_from_event({"business_date": "2026-03-02", "rerun": True}, SETTINGS, NOW)
    assert (request.business_date, request.rerun) == (date(2026, 3, 2), True)
    assert not request.allow_empty and not request.before_cutoff


def test_an_event_may_close_an_empty_day_but_never_an_open_one() -> None:
    """A date still open is not the event's to judge: the run refuses it (one home for the
    cutoff rule), and no event can ask it to run early."""
    event = {"business_date": "2026-03-12", "allow_empty": True, "before_cutoff": True}
    request = request_from_event(event, SETTINGS, NOW)
    assert (request.business_date, request.allow_empty) == (date(2026, 3, 12), True)
    assert not request.before_cutoff


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"business_date": "11/03/2026"}, "business_date must be YYYY-MM-DD"),
        ({"business_date": 20260311}, "business_date must be YYYY-MM-DD"),
        ({"business_date": "2026-03-11", "rerun": "yes"}, "rerun must be true or false"),
        ({"allow_empty": 1}, "allow_empty must be true or false"),
    ],
)
def test_bad_events_are_refused_before_anything_runs(
    event: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidEvent, match=message):
        request_from_event(event, SETTINGS, NOW)
