"""compare-modes: batch consumption makes fewer SQS requests than async for the same traffic."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from moto import mock_aws
from typer.testing import CliRunner

from settlement.cli import app
from settlement.compare.harness import percentile, stamp_sent_at


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([], 0.5) == 0.0


def test_stamp_sent_at_rewrites_valid_messages_only() -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, 5, tzinfo=UTC)
    stamped = json.loads(stamp_sent_at('{"sent_at": "x", "a": 1}', now))
    assert stamped == {"sent_at": "2026-11-27T12:00:00.000005Z", "a": 1}
    assert stamp_sent_at("{broken", now) == "{broken"


def test_compare_modes_small(tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    with mock_aws():
        result = CliRunner().invoke(
            app, ["compare-modes", "--messages", "40", "--tps", "40", "--out", str(out)]
        )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    modes = {mode["mode"]: mode for mode in document["modes"]}
    assert set(modes) == {"async", "batch"}
    for mode in modes.values():
        assert mode["staged"] >= document["messages"] - 2  # a malformed line may be rejected
        assert mode["latency_ms_p50"] <= mode["latency_ms_p99"] <= mode["latency_ms_max"]
        assert mode["sqs_requests"]["SendMessage"] == document["messages"]
    assert modes["batch"]["sqs_requests_total"] < modes["async"]["sqs_requests_total"]
    assert (
        modes["batch"]["sqs_requests"]["ReceiveMessage"]
        < modes["async"]["sqs_requests"]["ReceiveMessage"]
    )
    assert "batch vs asynchronous" in result.output


def _hostile_targets(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return {
        "is a directory": tmp_path,
        "under a file": a_file / "compare.json",
        "cannot be created": Path("/proc/cardsettle/compare.json"),
        "not writable": Path("/proc/version"),
    }


def test_compare_modes_refuses_an_unwritable_output_before_measuring(tmp_path: Path) -> None:
    """One line, exit 2, and nothing measured (no queue created, no progress shown)."""
    for why, target in _hostile_targets(tmp_path).items():
        with mock_aws():
            result = CliRunner().invoke(app, ["compare-modes", "--out", str(target)])
        assert result.exit_code == 2, (why, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: cannot write {target}: "), why
        assert "sent" not in result.output and "Traceback" not in result.output
    assert (tmp_path / "a-file").read_text() == "x"


def test_compare_modes_shows_progress_per_mode(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir" / "compare.json"  # created when it can be
    with mock_aws():
        result = CliRunner().invoke(
            app, ["compare-modes", "--messages", "60", "--tps", "40", "--out", str(out)]
        )  # 1.5 s a mode: long enough for plain output's end-of-stage lines
    assert result.exit_code == 0, result.output
    for bar in ("async: sent", "async: staged", "batch: sent", "batch: staged"):
        assert f"{bar}: 60 messages done in " in result.output, bar
    assert out.is_file()
