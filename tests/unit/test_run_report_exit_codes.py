"""The exit code each end-of-day outcome leads to (docs/operations.md#exit-codes)."""

from __future__ import annotations

from datetime import date

import pytest

from settlement.eod.run import RunReport, RunReportStatus
from settlement.exit_codes import ExitCode

EXPECTED = {
    RunReportStatus.COMPLETED: ExitCode.DONE,
    RunReportStatus.PAYOUT_FILE_RESTORED: ExitCode.DONE,
    RunReportStatus.ALREADY_COMPLETED: ExitCode.REFUSED,
    RunReportStatus.REFUSED: ExitCode.REFUSED,
    RunReportStatus.FAILED: ExitCode.FAILED,
}


@pytest.mark.parametrize("status", list(RunReportStatus))
def test_every_run_outcome_has_its_exit_code(status: RunReportStatus) -> None:
    assert RunReport(date(2026, 10, 14), status, "").exit_code is EXPECTED[status]
