"""What one end-of-day run covers: the business date's staged rows, plus late arrivals.

A staged row of an earlier date that no run reported is a late arrival: it belongs to the
first run after it came, within the lookback (`CARDSETTLE_EOD_LATE_LOOKBACK_DAYS`), and is
classified `late`. Both end-of-day stores read the scope from here; the SQL one renders it as
the `scope` CTE (`adapters/eod_sql.scope_cte`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Scope:
    """What one run covers: the date's staged rows plus late arrivals of recent dates."""

    run_date: date
    cutoff_utc: datetime  # naive UTC: the run date's cutoff instant
    lookback_start: date  # the earliest business date whose late arrivals this run takes
    later_runs_exist: bool  # a later date ran already: rows it reported are not this run's
