"""PANs where no PAN belongs, through the whole pipeline as a user runs it, then a sweep.

A small generated day plus hostile messages that carry a card number outside the `pan`
field, each spelled another way: a dashed terminal id, a spaced transaction id, Arabic-Indic
digits in the merchant id, fullwidth digits, a dotted one, a PAN in an extra field, one as
JSON \\u escapes, a spaced PAN in the `pan` field itself, a broken body around a PAN, and a
12-digit Maestro glued into a terminal id.
They go through `settlement ingest` (each transport), the imports, `eod` and `report` as
separate processes against the moto server, on SQLite and PostgreSQL. Then everything is
searched for every PAN that was sent, in any spelling (tests/support/pan_scan.py): every
text column, the SQLite file with its -wal and -shm, the reports on disk and on S3, the
queues and the DLQ, and each command's stdout and stderr.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import boto3
import pytest

from pos_simulator.config import DayConfig
from pos_simulator.generate import generate_day
from settlement.adapters.database import upgrade
from tests.support.messages import luhn_pan
from tests.support.pan_scan import PanScanner, sent_pans

pytestmark = pytest.mark.e2e

DAY = date(2026, 10, 14)
_rng = random.Random(14)
HOSTILE_PANS = [luhn_pan(_rng, prefix) for prefix in ("4539", "4916", "5412", "6011", "4485",
                                                      "5105", "4024", "4532", "3714")]  # fmt: skip
HOSTILE_PANS.append(luhn_pan(_rng, "6759", 12))  # a 12-digit Maestro (issue 16)
CASES = ("dashed terminal_id", "spaced transaction_id", "Arabic-Indic merchant_id",
         "fullwidth original_transaction_id", "dotted entry_mode", "extra field note",
         "JSON-escaped terminal_id", "spaced pan field", "broken body",
         "12-digit Maestro glued in terminal_id")  # fmt: skip
LEGEND = {pan[-4:]: case for pan, case in zip(HOSTILE_PANS, CASES, strict=True)}


def _groups(pan: str, separator: str) -> str:
    return separator.join(pan[i : i + 4] for i in range(0, len(pan), 4))


def _digits(pan: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in pan)


def hostile_lines(template: dict[str, object]) -> list[str]:
    """Copies of one real message, each hiding one of HOSTILE_PANS somewhere else."""
    p = HOSTILE_PANS

    def variant(index: int, **fields: object) -> str:
        message = {**template, "transaction_id": f"hostile-{index:02d}", **fields}
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"))

    escaped = "".join(f"\\u{ord(d):04x}" for d in p[6])
    return [
        variant(0, terminal_id=_groups(p[0], "-")),
        variant(1, transaction_id=f"tx {_groups(p[1], ' ')}"),
        variant(2, merchant_id=_digits(p[2], 0x0660)),  # Arabic-Indic
        variant(3, original_transaction_id=_digits(p[3], 0xFF10)),  # fullwidth
        variant(4, entry_mode=_groups(p[4], ".")),
        variant(5, note=f"card {p[5]} via phone"),  # a field the contract does not have
        variant(6, terminal_id="PLACEHOLDER").replace("PLACEHOLDER", escaped),
        variant(7, pan=_groups(p[7], " ")),
        '{"schema":"cardsettle.pos.v1","pan":"' + p[8] + '", broken',
        variant(9, terminal_id=f"T{p[9]}"),
    ]


@pytest.fixture(scope="module")
def hostile_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated terminals' files: inputs, never swept (they hold PANs by design)."""
    out = tmp_path_factory.mktemp("hostile-day")
    generate_day(DayConfig(seed=5, business_date=DAY, transactions=150, merchants=20,
                           cards=300), out)  # fmt: skip
    messages = out / "messages.jsonl"
    template = json.loads(messages.read_text(encoding="utf-8").splitlines()[0])
    with messages.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(hostile_lines(template)) + "\n")
    return out


def _env(db_url: str, endpoint: str, workdir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CARDSETTLE_")},
        "CARDSETTLE_DATABASE_URL": db_url, "CARDSETTLE_AWS_ENDPOINT_URL": endpoint,
        "CARDSETTLE_AWS_REGION": "eu-west-1", "CARDSETTLE_REPORTS_DIR": str(workdir / "reports"),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1", "COLUMNS": "200",
    }  # fmt: skip


SECONDS: dict[str, float] = {}  # each command's wall time, printed with the figures


def run(env: dict[str, str], workdir: Path, *args: str, codes: tuple[int, ...] = (0,)) -> str:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "settlement", *args], env=env, cwd=workdir,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    SECONDS[args[0]] = round(time.monotonic() - started, 1)
    output = done.stdout + done.stderr
    command = " ".join(args)
    assert done.returncode in codes, f"settlement {command} exited {done.returncode}:\n{output}"
    assert "Traceback" not in output, output
    return output


@pytest.mark.parametrize("transport", ["sqs", "direct"])
def test_hostile_pans_leave_no_trace_anywhere(
    *,
    transport: str, db_url: str, hostile_day: Path, tmp_path: Path, aws_endpoint: str,
    pan_sweep: PanScanner, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    upgrade(db_url)
    env = _env(db_url, aws_endpoint, tmp_path)
    day = hostile_day
    outputs = {
        "queues create": run(env, tmp_path, "queues", "create"),
        # exit 1 allowed: rejecting a hostile message may count as "something was rejected"
        "ingest": run(
            env,
            tmp_path,
            "ingest",
            str(day / "messages.jsonl"),
            "--transport",
            transport,
            codes=(0, 1),
        ),  # fmt: skip
        "merchants import": run(env, tmp_path, "merchants", "import", str(day / "merchants.csv")),
        "journal import": run(env, tmp_path, "journal", "import", str(day / "journal.csv")),
        "eod": run(
            env, tmp_path, "eod", "--date", DAY.isoformat(), "--labels", str(day / "labels.csv")
        ),  # fmt: skip
        "report": run(env, tmp_path, "report", "--date", DAY.isoformat()),
        "dlq inspect": run(env, tmp_path, "dlq", "inspect"),
    }
    assert "completed" in outputs["eod"], outputs["eod"]
    assert (tmp_path / "reports" / DAY.isoformat() / "report.html").is_file()

    sent = sent_pans(day / "messages.jsonl", extra=HOSTILE_PANS)
    assert set(HOSTILE_PANS) <= sent and len(sent) > 100
    pan_sweep.sent |= sent
    for command, output in outputs.items():
        pan_sweep.text(f"output of settlement {command}", output)
    pan_sweep.database(db_url)  # columns (both backends), and SQLite's pages and WAL
    _sweep_aws(pan_sweep, aws_endpoint)
    pan_sweep.tree(tmp_path)  # reports, anything else written here
    with capsys.disabled():
        print(f"\n[e2e] hostile PANs ({transport}): sent={len(sent)}, "
              f"artefacts={len(pan_sweep.scanned)}, findings={len(pan_sweep.findings)}, "
              f"seconds={SECONDS}")  # fmt: skip
        leaked = sorted({LEGEND.get(f.last4, f.last4) for f in pan_sweep.findings})
        print(f"[e2e] hostile PANs ({transport}) found, by case: {leaked}")
    pan_sweep.assert_clean()


def _sweep_aws(scanner: PanScanner, endpoint: str) -> None:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name="eu-west-1")  # fmt: skip
    sqs = session.client("sqs", endpoint_url=endpoint)
    queues = sqs.list_queues().get("QueueUrls", [])
    assert len(queues) == 2, queues
    for url in queues:
        scanner.queue(sqs, url, url.rsplit("/", 1)[-1])
    s3 = session.client("s3", endpoint_url=endpoint)
    buckets = [bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])]
    assert buckets, "the report was not uploaded"
    for bucket in buckets:
        scanner.bucket(s3, bucket)
