"""The end-of-day Lambda's event and result: what to run, and the JSON it answers with.

`settlement.entrypoints.lambdas.eod_handler` is the handler; deploy/template.yaml invokes
it from EventBridge Scheduler at the cutoff, in the business timezone. The event may name the
date (`{"business_date": "2026-03-11"}`, optionally with `"rerun": true` for an operator's
manual invocation); the scheduled event names none, so the handler runs the last business
date whose cutoff has passed. The `eod_runs` guard makes Scheduler's retries safe: a
completed date is never run twice, a failed one is run again.
The run's own refusals hold here too and end the invocation normally (no retry): a date
still open, and a date without staged transactions or journal lines (a cutoff on a day
without traffic leaves the date open, as the scheduler does; an operator's event may say
`"allow_empty": true` to close it).

Lambda's /tmp vanishes with the container, so the payout file is published to the reports
bucket under `reports/<date>/`. It is rewritten and re-published whenever the date is
complete, `already_completed` included, so a retry after a failed upload heals it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from settlement.config import Settings
from settlement.domain.calendar import business_date_of, parse_business_date
from settlement.eod.run import RunReport, RunRequest

OWNER = "lambda"


class InvalidEvent(ValueError):
    """The invocation event cannot be turned into a run request (nothing was run)."""


def last_closed_business_date(now: datetime, settings: Settings) -> date:
    """The business date whose cutoff most recently passed at `now` (naive UTC).

    `now` belongs to the open business date, so the date before it is the last closed one;
    at the cutoff instant itself the day it ends counts as closed (`cutoff_instant <= now`).
    """
    open_date = business_date_of(now.replace(tzinfo=UTC), settings.zone, settings.cutoff_time)
    return open_date - timedelta(days=1)


def request_from_event(
    event: Mapping[str, Any] | None, settings: Settings, now: datetime, owner: str = OWNER
) -> RunRequest:
    """The run request an event asks for; raises InvalidEvent for a malformed event."""
    payload = dict(event or {})
    rerun, allow_empty = _flag(payload, "rerun"), _flag(payload, "allow_empty")
    text = payload.get("business_date")
    if text is None:
        day = last_closed_business_date(now, settings)
        return RunRequest(day, now, rerun, owner=owner, allow_empty=allow_empty)
    try:
        if not isinstance(text, str):
            raise ValueError(text)
        day = parse_business_date(text)
    except ValueError as error:
        raise InvalidEvent(
            f"business_date must be YYYY-MM-DD in range, got {text!r}: {error}"
        ) from None
    # A date still open is the run's to refuse (status "refused", reason "before_cutoff").
    return RunRequest(day, now, rerun, owner=owner, allow_empty=allow_empty)


def _flag(payload: Mapping[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise InvalidEvent(f"{name} must be true or false, got {value!r}")
    return value


def summary(report: RunReport, payout_keys: list[str]) -> dict[str, Any]:
    """The handler's JSON-able result (Lambda serialises it for the caller and the logs)."""
    result: dict[str, Any] = {
        "business_date": report.business_date.isoformat(),
        "status": report.status,
        "reason": report.reason,
        "message": report.message,
        "run_id": report.run_id,
        "counts": report.counts,
        "totals": report.totals,
        "timings_s": report.timings,
        "payout_file_keys": payout_keys,
    }
    if report.scorecard is not None:
        result["scorecard"] = report.scorecard
    return result
