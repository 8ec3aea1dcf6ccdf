"""A generated day end to end: pos-sim generate -> settlement ingest -> imports -> eod.

Every injected fault must land where faults.csv says: lost ones never staged, duplicates
staged once, malformed ones rejected with their reason, and in reconciliation lost and
malformed ones missing_in_staging, altered amounts amount_mismatch, late ones late and
orphan refunds orphan_refund. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from moto import mock_aws
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from pos_simulator.config import DayConfig
from pos_simulator.generate import generate_day
from pos_simulator.profiles import PROFILES
from settlement.adapters import database
from settlement.adapters.eod_tables import reconciliation_items
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.cli import app

DAY = date(2026, 10, 14)
MALFORMED = {
    "malformed_json",
    "missing_field",
    "unknown_currency",
    "too_many_decimals",
    "failed_luhn",
}


@pytest.fixture(scope="module")
def generated_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("day")
    config = DayConfig(seed=11, business_date=DAY, transactions=1500, merchants=40, cards=600,
                       mix=PROFILES["faulty"])  # fmt: skip
    generate_day(config, out)
    return out


def faults(day: Path) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    with (day / "faults.csv").open() as handle:
        for row in csv.DictReader(handle):
            kinds.setdefault(row["fault"], set()).add(row["transaction_id"])
    return kinds


def ingest_summary(output: str) -> dict[str, object]:
    return dict(json.loads(output[output.rindex('{\n  "staged"') :]))


@pytest.mark.parametrize(
    ("db_url", "transport"),
    [
        pytest.param("sqlite", "direct", id="sqlite-direct"),
        pytest.param("postgresql", "direct", id="postgresql-direct", marks=pytest.mark.postgres),
        # The SQS path (moto, ~30 ms a request) once is enough: its staging code is the same.
        pytest.param("postgresql", "sqs", id="postgresql-sqs", marks=pytest.mark.postgres),
    ],
    indirect=["db_url"],
)
def test_generated_day_ingests_and_reconciles_as_faults_say(
    db_url: str,
    generated_day: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    transport: str,
) -> None:
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(tmp_path / "out"))
    database.upgrade(db_url)
    injected = faults(generated_day)
    assert injected.keys() >= {"lost", "duplicated", "altered_amount", "late", "orphan_refund"}
    runner = CliRunner()
    with mock_aws():
        result = runner.invoke(
            app, ["ingest", str(generated_day / "messages.jsonl"), "--transport", transport]
        )
    assert result.exit_code == 0, result.output
    summary = ingest_summary(result.output)

    with (generated_day / "journal.csv").open() as handle:
        journal_ids = {row["transaction_id"] for row in csv.DictReader(handle)}
    malformed_ids = set().union(*(ids for kind, ids in injected.items() if kind in MALFORMED))
    expected_staged = journal_ids - injected["lost"] - malformed_ids
    engine = create_engine(db_url)
    with engine.connect() as conn:
        staged = {tid for (tid,) in conn.execute(select(staged_transactions.c.transaction_id))}
        reason = rejected_messages.c.reason_code
        reasons = dict(conn.execute(select(reason, func.count()).group_by(reason)).all())
    assert staged == expected_staged
    assert summary["staged"] == len(expected_staged)
    assert reasons == {kind: len(ids) for kind, ids in injected.items() if kind in MALFORMED}
    duplicates = summary["duplicates"]
    assert isinstance(duplicates, int)
    assert (
        duplicates == len(injected["duplicated"])
        if transport == "direct"
        else duplicates >= len(injected["duplicated"])
    )

    for name in ("merchants", "journal"):
        imported = runner.invoke(app, [name, "import", str(generated_day / f"{name}.csv")])
        assert imported.exit_code == 0, imported.output
    eod = runner.invoke(
        app, ["eod", "--date", DAY.isoformat(), "--labels", str(generated_day / "labels.csv")]
    )
    assert eod.exit_code == 0, eod.output

    with engine.connect() as conn:
        items = conn.execute(
            select(reconciliation_items.c.transaction_id, reconciliation_items.c.recon_class).where(
                reconciliation_items.c.run_date == DAY
            )
        ).all()
    engine.dispose()
    by_class: dict[str, set[str]] = {}
    for transaction_id, recon_class in items:
        by_class.setdefault(recon_class, set()).add(transaction_id)
    assert by_class.get("missing_in_staging", set()) == injected["lost"] | malformed_ids
    assert by_class.get("amount_mismatch", set()) == injected["altered_amount"]
    assert by_class.get("late", set()) == injected["late"]
    assert by_class.get("orphan_refund", set()) == injected["orphan_refund"]
    assert not by_class.get("unexpected_in_staging")
    counts = Counter(recon_class for _tid, recon_class in items)
    assert counts["matched"] + counts["reversed"] > 0.8 * len(journal_ids)
