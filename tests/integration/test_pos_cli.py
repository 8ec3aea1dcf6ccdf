"""`pos-sim` as a user runs it: generate, send (moto in this process), run, schema, errors."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from pos_simulator.cli import app
from pos_simulator.dayfiles import iter_journal, iter_merchants

runner = CliRunner()
DAY = ["--business-date", "2026-11-27"]


def test_generate_writes_the_five_files_with_the_settings_cutoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDSETTLE_BUSINESS_TIMEZONE", "America/New_York")
    monkeypatch.setenv("CARDSETTLE_CUTOFF_TIME", "18:00")
    out = tmp_path / "day"
    args = ["generate", *DAY, "--out", str(out), "-n", "500", "--merchants", "20",
            "--cards", "200", "--seed", "9", "--currencies", "EUR,USD,KWD"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "merchants.csv", "messages.jsonl", "journal.csv", "labels.csv", "faults.csv"}  # fmt: skip
    assert "transactions (journal.csv)" in result.output
    assert {row["settlement_currency"] for row in iter_merchants(out)} <= {"EUR", "USD", "KWD"}
    times = sorted(row["local_time"] for row in iter_journal(out))
    assert len(times) == 500
    first = json.loads((out / "messages.jsonl").read_text().splitlines()[0])
    assert first["schema"] == "cardsettle.pos.v1"


def test_options_change_the_mix(tmp_path: Path) -> None:
    args = ["generate", *DAY, "--out", str(tmp_path), "-n", "2000", "--merchants", "20",
            "--cards", "200", "--profile", "clean", "--scenario", "card_testing=0.01",
            "--fault", "lost=0.05"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    faults = (tmp_path / "faults.csv").read_text().splitlines()[1:]
    assert faults and all(line.endswith(",lost") for line in faults)
    labels = (tmp_path / "labels.csv").read_text()
    assert labels.count(",card_testing") == 20 and ",amount_spike" not in labels


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["--cutoff", "7pm"], "HH:MM"),
        (["--scenario", "phishing=0.1"], "unknown scenario"),
        (["--currencies", "XYZ"], "XYZ"),
        (["--fraud-rate", "2"], "between 0 and 1"),
    ],
)
def test_bad_input_stops_with_one_line_and_exit_code_2(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    result = runner.invoke(app, ["generate", *DAY, "--out", str(tmp_path), "-n", "10", *extra])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_a_bad_setting_stops_generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSETTLE_CUTOFF_TIME", "noon")
    result = runner.invoke(app, ["generate", *DAY, "--out", str(tmp_path), "-n", "10"])
    assert result.exit_code == 2 and "CARDSETTLE_CUTOFF_TIME" in result.output


def received(queue: str) -> list[str]:
    sqs = boto3.client("sqs", region_name="eu-west-1")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies: list[str] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_send_puts_every_line_on_the_configured_queue(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    lines = [json.dumps({"n": i}) for i in range(23)] + ['{"broken']
    # and a line with bytes that are not UTF-8: an SQS body is text, they go as U+FFFD
    path.write_bytes("\n".join(lines).encode() + b'\n{"n": "\xff\xfe"}\n')
    with mock_aws():
        result = runner.invoke(app, ["send", "--in", str(path)])
        assert result.exit_code == 0, result.output
        assert "vanish" in result.output  # the embedded-mode warning
        assert "sent 25 of 25" in result.output
        expected = [*lines, '{"n": "\ufffd\ufffd"}']
        assert sorted(received("cardsettle-transactions")) == sorted(expected)


def test_run_generates_and_transmits_at_a_rate(tmp_path: Path) -> None:
    with mock_aws():
        args = ["run", *DAY, "-n", "30", "--tps", "1000", "--merchants", "12", "--cards", "50",
                "--profile", "clean", "--out", str(tmp_path)]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        bodies = received("cardsettle-transactions")
    assert len(bodies) == 30
    assert sorted(bodies) == sorted((tmp_path / "messages.jsonl").read_text().splitlines())


def test_schema_prints_the_contract() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "cardsettle.pos.v1"
