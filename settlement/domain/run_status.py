"""The states of one business date's end-of-day run, as the run guard (`eod_runs.status`)
records them: one home for the words the guard writes, the run and the reports test, and
the table's CHECK constraint lists.

running -> completed, or running -> failed (re-runnable). A failed --rerun goes back to
completed with the previous results untouched; a `running` row whose heartbeat is stale is
taken as crashed and may be claimed again.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
