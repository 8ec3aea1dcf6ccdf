"""`settlement ingest` of a capture holding issue 14's hostile messages, as a user runs it:
with either transport, on either backend, every valid line is staged, each hostile one is
rejected with its reason, nothing is dead-lettered, and no PAN is kept anywhere.

At the base commit a year-0001 `sent_at` dead-lettered its nine batch-mates through SQS
(and ingest still said 0) and crashed the direct transport."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from settlement.adapters.database import upgrade
from settlement.cli import app
from tests.support.hostile_messages import HOSTILE
from tests.support.messages import body
from tests.support.pan_scan import PanScanner

ISSUE_CASES = (
    "sent_at year 0001", "sent_at year 9999", "local_time year 0001 +14:00",
    "local_time year 9999 -14:00", "terminal_id dashed PAN", "pan with spaces",
    "amount in Arabic-Indic digits", "mcc in fullwidth digits", "mcc 7995 in Arabic-Indic digits",
    "unknown field: PAN value with spaces", "terminal_id: PAN in \\u escapes",
    "purchase naming an original", "unknown field", "duplicate key, other value", "NaN",
)  # fmt: skip
CASES = [case for case in HOSTILE if case.name in ISSUE_CASES]


def summary_json(output: str) -> dict[str, object]:
    start = output.rindex('{\n  "staged"')
    return dict(json.loads(output[start:]))


def hostile_capture(path: Path) -> int:
    """Each case in a batch of ten of its own, nine valid lines around it."""
    lines: list[str] = []
    for number, case in enumerate(CASES):
        lines += [body(100 * number + i, transaction_id=f"cli-{number}-{i}") for i in range(9)]
        lines.insert(len(lines) - number % 9, case.body)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 9 * len(CASES)


@pytest.mark.parametrize(
    "transport", [["sqs"], ["direct"], ["direct", "--workers", "2", "--batch-size", "10"]],
    ids=["sqs", "direct", "direct-2-workers"],
)  # fmt: skip
def test_ingest_of_hostile_messages_stages_every_valid_line(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: list[str]
) -> None:
    assert len(CASES) == len(ISSUE_CASES)
    upgrade(db_url)
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    monkeypatch.setenv("CARDSETTLE_MAX_RECEIVE_COUNT", "2")
    path = tmp_path / "messages.jsonl"
    valid = hostile_capture(path)
    with mock_aws():
        args = ["ingest", str(path), "--transport", *transport]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = summary_json(result.output)
    assert summary["staged"] == valid and summary["dead_lettered"] == 0
    assert summary["rejected"] == dict(Counter(case.reason.value for case in CASES))
    scanner = PanScanner(())  # any PAN, in any spelling: the tests' own scanner
    scanner.database(db_url)
    scanner.text("ingest output", result.output)
    scanner.assert_clean()
    assert "4111" not in result.output
