"""`settlement demo` end to end at a small size, in an empty directory, as `make demo` runs it:
the reports exist, their counts agree with what the simulator says it injected, they are on
S3, and running the demo again starts clean (or replays idempotently into a database the
demo did not create)."""

from __future__ import annotations

import csv
import json
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from settlement.adapters import database
from settlement.cli import app
from tests.support.pan_scan import PanScanner, sent_pans

DAY = "2026-10-14"
MALFORMED = {"malformed_json", "missing_field", "unknown_currency", "too_many_decimals",
             "failed_luhn"}  # fmt: skip


@pytest.fixture(autouse=True)
def _own_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's state outlives a `mock_aws` block while the embedded mock runs: own bucket."""
    monkeypatch.setenv("CARDSETTLE_S3_BUCKET", f"cardsettle-test-{uuid.uuid4().hex[:12]}")


def run_demo(*args: str) -> tuple[str, dict[str, Any], set[str]]:
    """Output, summary.json and the S3 keys under reports/<date>/ of one demo run, after a
    scan of everything it left for the PANs it sent."""
    bucket = os.environ["CARDSETTLE_S3_BUCKET"]
    with mock_aws():
        result = CliRunner().invoke(app, ["demo", "--no-compare", *args])
        assert result.exit_code == 0, result.output
        s3 = boto3.client("s3", region_name="eu-west-1")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"reports/{DAY}/")
        keys = {item["Key"] for item in listed.get("Contents", [])}
        assert_no_pan_left(result.output, bucket)
    summary = json.loads(Path(f"reports/{DAY}/summary.json").read_text())
    return result.output, summary, keys


def assert_no_pan_left(output: str, bucket: str) -> None:
    """No PAN the demo sent, in any spelling, in anything it left: the database (columns,
    pages, WAL), the reports (files and S3), its output, or a message left on a queue. Its
    input (demo/day/, the simulated terminals' own files) is the only place one may be."""
    scanner = PanScanner(sent_pans(Path("demo/day/messages.jsonl")))
    assert len(scanner.sent) >= 100, "the demo sent hardly any PAN: the scan would prove little"
    scanner.tree(Path.cwd(), skip=[Path("demo/day")])
    scanner.database(f"sqlite:///{Path('cardsettle.db').resolve()}")
    scanner.text("demo output (stdout and stderr)", output)
    scanner.bucket(boto3.client("s3", region_name="eu-west-1"), bucket)
    sqs = boto3.client("sqs", region_name="eu-west-1")
    for url in sqs.list_queues().get("QueueUrls", []):
        scanner.queue(sqs, url, url.rsplit("/", 1)[-1])
    assert any(where.endswith("cardsettle.db-wal") for where in scanner.scanned) or any(
        where.endswith("cardsettle.db") for where in scanner.scanned
    )
    assert any("report.html" in where for where in scanner.scanned)
    scanner.assert_clean()


def injected_faults() -> Counter[str]:
    with Path("demo/day/faults.csv").open() as handle:
        return Counter(row["fault"] for row in csv.DictReader(handle))


def stable(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: summary[key] for key in ("counts", "currencies", "payouts", "fx", "ledger")}


def test_demo_from_nothing_through_sqs(tmp_path: Path) -> None:
    output, summary, keys = run_demo("--transactions", "300")
    report = Path(f"reports/{DAY}/report.html").resolve()
    assert report.is_file() and report.stat().st_size > 10_000
    assert output.strip().splitlines()[-1].endswith("report.html")
    assert keys == {f"reports/{DAY}/{path.name}" for path in report.parent.iterdir()}
    assert Path("cardsettle.db").is_file()

    faults = injected_faults()
    malformed = sum(n for kind, n in faults.items() if kind in MALFORMED)
    lines = Path("demo/day/messages.jsonl").read_text(encoding="utf-8").splitlines()
    messages = sum(1 for line in lines if line.strip())
    counts = summary["counts"]
    assert counts["journal"] == 300
    assert counts["staged"] == messages - faults["duplicated"] - malformed
    assert counts["staged"] == 300 - faults["lost"] - malformed
    classes = counts["recon_classes"]
    assert classes.get("missing_in_staging", 0) == faults["lost"] + malformed
    assert classes.get("amount_mismatch", 0) == faults["altered_amount"]
    assert classes.get("late", 0) == faults["late"]
    assert classes.get("orphan_refund", 0) == faults["orphan_refund"]
    assert all(summary["checks"].values())
    assert summary["fraud_scorecard"]["population"] == counts["by_type"]["purchase"]

    _, again, _ = run_demo("--transactions", "300")
    assert again["run"]["attempt"] == 1  # a fresh database, not a re-run
    assert stable(again) == stable(summary)


def test_demo_replays_into_a_database_it_did_not_create(tmp_path: Path) -> None:
    database.upgrade(f"sqlite:///{tmp_path / 'cardsettle.db'}")
    output, first, _ = run_demo("-n", "200", "--transport", "direct")
    assert "replaying into" in output
    assert Path("cardsettle.db").is_file()
    _, second, _ = run_demo("-n", "200", "--transport", "direct")
    assert (first["run"]["attempt"], second["run"]["attempt"]) == (1, 2)
    assert stable(second) == stable(first)
