"""`transmit` against moto's SQS in this process: every line arrives, byte for byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import boto3
from moto import mock_aws

from pos_simulator.config import DayConfig
from pos_simulator.dayfiles import iter_message_lines
from pos_simulator.generate import generate_day
from pos_simulator.options import RateOptions, build_mix
from pos_simulator.send import transmit


def drain(sqs: object, url: str) -> list[str]:
    client: object = sqs
    received: list[str] = []
    while True:
        batch = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)  # type: ignore[attr-defined]
        messages = batch.get("Messages", [])
        if not messages:
            return received
        for message in messages:
            received.append(message["Body"])
            client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # type: ignore[attr-defined]


def test_a_generated_day_goes_onto_the_queue_unchanged(tmp_path: Path) -> None:
    mix = build_mix(RateOptions(fault_rate=0.1, malformed_rate=0.1))
    config = DayConfig(seed=3, business_date=date(2026, 11, 27), transactions=60,
                       merchants=20, cards=100, mix=mix)  # fmt: skip
    generate_day(config, tmp_path)
    bodies = [text for _, text in iter_message_lines(tmp_path)]
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="pos-test")["QueueUrl"]
        # Send and drain in slices: moto's SQS slows down as it gets deep.
        received: list[str] = []
        for start in range(0, len(bodies), 20):
            numbered = enumerate(bodies[start : start + 20], start=start + 1)
            report = transmit(sqs, url, numbered)
            assert report.failed == 0
            received += drain(sqs, url)
    assert sorted(received) == sorted(bodies)
    assert any(not body.endswith("}") for body in bodies)  # malformed JSON went as it was
