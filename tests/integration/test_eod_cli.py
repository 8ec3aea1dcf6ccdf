"""The end-of-day commands as a user runs them: imports, eod, refusal to run twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from settlement.adapters import database
from settlement.cli import app
from settlement.exit_codes import ExitCode
from tests.support.hand_day import DAY, hand_day
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    merchant_line,
)


def test_imports_then_eod_then_refusal(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", db_url)
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(tmp_path / "out"))
    database.upgrade(db_url)
    rows, journal = hand_day()
    engine = database.create_db_engine(db_url)
    insert_staged(engine, rows)
    engine.dispose()
    files = {
        "merchants.csv": [MERCHANTS_HEADER, merchant_line("M1", "EUR", 150, "0.10"),
                          merchant_line("M2", "USD", 200, "0.25"),
                          merchant_line("M3", "JPY", 100, "0")],
        "rates.csv": ["date,currency,units_per_eur", "2026-03-11,USD,1.0850", "2026-03-11,GBP,x"],
        "journal.csv": [JOURNAL_HEADER, *journal],
        "labels.csv": ["transaction_id,label", "P1,legit", "P2,card_testing"],
    }  # fmt: skip
    for name, lines in files.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    result = runner.invoke(app, ["merchants", "import", str(tmp_path / "merchants.csv")])
    assert result.exit_code == 0 and "written 3" in result.output, result.output
    result = runner.invoke(app, ["rates", "import", str(tmp_path / "rates.csv")])
    assert "rejected 1" in result.output and "line 3" in result.output, result.output
    result = runner.invoke(app, ["journal", "import", str(tmp_path / "journal.csv")])
    assert f"written {len(journal)}," in result.output, result.output
    again = runner.invoke(app, ["journal", "import", str(tmp_path / "journal.csv")])
    assert f"written 0, already imported {len(journal)}, rejected 0" in again.output, again.output
    args = ["eod", "--date", DAY.isoformat(), "--labels", str(tmp_path / "labels.csv")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "completed" in result.output and "payout file" in result.output
    assert "fraud scorecard" in result.output
    again = runner.invoke(app, ["eod", "--date", DAY.isoformat()])
    assert again.exit_code == ExitCode.REFUSED  # refused on purpose: nothing changed
    assert "already completed; use --rerun" in again.output
    rerun = runner.invoke(app, ["eod", "--date", DAY.isoformat(), "--rerun"])
    assert rerun.exit_code == 0 and "attempt 2" in rerun.output
    payouts = (tmp_path / "out" / f"payouts-{DAY}.csv").read_text().splitlines()
    assert len(payouts) == 4  # header + M1 EUR, M2 USD, M3 JPY
