"""Red team: operator input that must be refused as usage (exit 2) in one line, before
anything is claimed or read without end."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from settlement.cli.report import parse_date
from settlement.eod.labels import read_labels
from settlement.errors import BadInput


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01",  # the run's late lookback went below date.min: unexpected OverflowError
        "0001-03-01",
        "9999-12-31",  # completed as an empty day, it became "the last completed date"
        "20261014",  # date.fromisoformat's other spellings; the help says YYYY-MM-DD
        "2026-W42-3",
        "2026W423",
    ],
)
def test_a_business_date_is_yyyy_mm_dd_in_a_sane_range(text: str) -> None:
    with pytest.raises(typer.BadParameter, match="YYYY-MM-DD"):
        parse_date(text)


def test_a_plain_business_date_still_parses() -> None:
    assert parse_date("2026-10-14").isoformat() == "2026-10-14"


def test_a_labels_file_that_is_a_device_is_not_read() -> None:
    """--labels /dev/zero read without end until the kernel killed the process (exit 137)."""
    with pytest.raises(BadInput, match="not a regular file"):
        read_labels(Path("/dev/null"))


def test_a_labels_directory_still_says_so(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="Is a directory"):
        read_labels(tmp_path)


@pytest.mark.parametrize("text", ["0001-01-01", "20261014", "9999-12-31"])
def test_the_eod_lambda_takes_the_same_dates(text: str) -> None:
    from datetime import datetime  # noqa: PLC0415

    from settlement.config import load_settings  # noqa: PLC0415
    from settlement.eod.lambda_event import InvalidEvent, request_from_event  # noqa: PLC0415

    with pytest.raises(InvalidEvent, match="YYYY-MM-DD"):
        request_from_event({"business_date": text}, load_settings(), datetime(2026, 10, 15))


def test_ingest_of_a_device_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`settlement ingest /dev/zero` read one line without end (MemoryError, or killed)."""
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cs.db'}")
    from typer.testing import CliRunner  # noqa: PLC0415

    from settlement.cli import app  # noqa: PLC0415
    from settlement.exit_codes import ExitCode  # noqa: PLC0415

    result = CliRunner().invoke(app, ["ingest", "--transport", "direct", "/dev/null"])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "not a regular file" in result.output


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_pos_sim_generate_of_a_date_out_of_range_is_a_usage_error(day: str, tmp_path: Path) -> None:
    """Both were an unexpected OverflowError (exit 1) from the day's window arithmetic."""
    from typer.testing import CliRunner  # noqa: PLC0415

    from pos_simulator.cli import app as pos_sim  # noqa: PLC0415
    from settlement.exit_codes import ExitCode  # noqa: PLC0415

    args = ["generate", "--business-date", day, "-n", "10", "--out", str(tmp_path / "day")]
    result = CliRunner().invoke(pos_sim, [*args, "--timezone", "UTC", "--cutoff", "22:00"])
    assert result.exit_code == ExitCode.USAGE, (result.output, result.exception)
    assert "outside" in result.output
