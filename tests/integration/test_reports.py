"""Reports of a generated day, on SQLite and PostgreSQL: they regenerate byte for byte from the
database, every CSV parses and its totals equal summary.json, the numbers the HTML shows are
summary.json's, and `settlement report` uploads the files under reports/<date>/ in S3."""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import Engine
from typer.testing import CliRunner

from settlement.cli import app
from settlement.config import Settings
from settlement.domain.money import Money
from settlement.reports.html import group_digits
from settlement.reports.summary import decimal_text
from tests.support.report_files import summary_value, write_sample_comparison
from tests.support.reports import generate_small_day, write_day_reports
from tests.support.reports import settled_day as settle

DAY = date(2026, 10, 14)


@pytest.fixture(scope="module")
def generated_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small faulty day (exceptions of every kind) with some fraud."""
    return generate_small_day(tmp_path_factory.mktemp("demo"), DAY)


@pytest.fixture
def settled_day(
    db_url: str, generated_day: Path, tmp_path: Path
) -> Iterator[tuple[Engine, Settings]]:
    """The generated day staged (direct transport), imported and through end of day."""
    with settle(db_url, generated_day, tmp_path / "reports", DAY) as settled:
        yield settled


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def minor(text: str, currency: str) -> int:
    return Money.parse(text, currency).amount_minor


def test_reports_regenerate_identically_and_agree_with_summary(
    settled_day: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = settled_day
    write_sample_comparison(settings.reports_dir / "compare.json")
    first = write_day_reports(engine, settings, DAY, tmp_path / "a")
    second = write_day_reports(engine, settings, DAY, tmp_path / "b")
    names = sorted(path.name for path in first.files)
    assert names == sorted(path.name for path in second.files)
    assert names == sorted(
        ["compare.json", "exceptions.csv", "fraud.csv", "ledger.csv", "payouts.csv",
         "reconciliation.csv", "report.html", "settlement.csv", "summary.json"]
    )  # fmt: skip
    for name in names:
        assert (first.directory / name).read_bytes() == (second.directory / name).read_bytes()
    summary = json.loads((first.directory / "summary.json").read_text())
    assert all(summary["checks"].values())
    assert summary["fraud_scorecard"] is not None
    assert summary["counts"]["exceptions"] > 0 and summary["counts"]["fraud_flags"] > 0
    check_csv_totals(first.directory, summary)
    check_html_numbers((first.directory / "report.html").read_text(), summary)
    assert "Batch vs asynchronous consumption" in (first.directory / "report.html").read_text()


def check_csv_totals(directory: Path, summary: dict[str, Any]) -> None:
    counts, currencies = summary["counts"], summary["currencies"]
    recon = read_csv(directory / "reconciliation.csv")
    assert Counter(row["recon_class"] for row in recon) == counts["recon_classes"]
    assert Counter(row["outcome"] for row in recon) == counts["outcomes"]
    staged: dict[str, list[int]] = defaultdict(list)
    for row in recon:
        if row["staged_amount"]:
            staged[row["currency"]].append(minor(row["staged_amount"], row["currency"]))
    assert {c: sum(v) for c, v in staged.items()} == {
        c: t["staged_minor"] for c, t in currencies.items()
    }
    assert sum(len(v) for v in staged.values()) == counts["staged"]

    exceptions = read_csv(directory / "exceptions.csv")
    assert len(exceptions) == counts["exceptions"]
    assert {row["outcome"] for row in exceptions} <= {"exception", "not_staged"}
    check_exception_reasons(directory, exceptions, counts)

    fraud = read_csv(directory / "fraud.csv")
    assert Counter(row["rule"] for row in fraud) == counts["fraud_flags_by_rule"]
    assert len({row["transaction_id"] for row in fraud}) == counts["fraud_flagged_transactions"]

    lines = read_csv(directory / "settlement.csv")
    assert len(lines) == counts["settlement_lines"]
    settled: Counter[str] = Counter()
    for row in lines:
        settled[row["original_currency"]] += minor(row["original_amount"], row["original_currency"])
    assert {c: n for c, n in settled.items()} == {
        c: t["settled_minor"] for c, t in currencies.items() if t["settled_minor"]
    }
    check_payouts_and_ledger(directory, summary, lines)


EXCEPTION_COLUMNS = (
    "transaction_id",
    "recon_class",
    "outcome",
    "reason",
    "business_date",
    "age_business_days",
    "merchant_id",
    "terminal_id",
    "transaction_type",
    "currency",
    "staged_amount",
    "journal_amount",
    "difference",
)  # fmt: skip  (the columns before issue 17, kept in place; new ones come after)


def check_exception_reasons(
    directory: Path, exceptions: list[dict[str, str]], counts: dict[str, Any]
) -> None:
    """exceptions.csv gives each item its real reason: a journal line never staged was
    rejected (with the reject's code) or lost; a late one says by how many minutes; an
    amount mismatch has its difference. The counts are summary.json's."""
    header = (directory / "exceptions.csv").read_text().splitlines()[0].split(",")
    assert tuple(header[: len(EXCEPTION_COLUMNS)]) == EXCEPTION_COLUMNS
    assert header[len(EXCEPTION_COLUMNS) :] == ["reason_detail", "reject_reason", "late_by_minutes"]
    assert Counter(row["reason"] for row in exceptions) == counts["exceptions_by_reason"]
    rejected = Counter(row["reject_reason"] for row in exceptions if row["reason"] == "rejected")
    assert rejected == counts["missing_rejected_by_reason"] and rejected
    for row in exceptions:
        if row["recon_class"] == "missing_in_staging":
            assert row["reason"] in {"rejected", "lost"}, row
            assert (row["reason"] == "rejected") == bool(row["reject_reason"]), row
        elif row["recon_class"] == "late":
            assert int(row["late_by_minutes"]) >= 0 and "after the cutoff" in row["reason_detail"]
        elif row["reason"] == "amount_differs":
            assert minor(row["difference"], row["currency"]) != 0
            assert row["difference"].lstrip("-") in row["reason_detail"]
        assert row["reason_detail"], row
    assert counts["exceptions_by_reason"].get("lost", 0) > 0


def check_links(html: str, directory: Path) -> None:
    """Every file written beside report.html is linked, relatively, and every link resolves."""
    hrefs = re.findall(r'href="([^"#][^"]*)"', html)
    assert all("://" not in href for href in hrefs)
    assert all((directory / href).is_file() for href in hrefs), hrefs
    beside = {p.name for p in directory.iterdir() if p.suffix in {".csv", ".json", ".xml"}}
    assert beside <= set(hrefs)


def check_payouts_and_ledger(
    directory: Path, summary: dict[str, Any], lines: list[dict[str, str]]
) -> None:
    payouts = read_csv(directory / "payouts.csv")
    assert len(payouts) == summary["counts"]["payouts"]
    for field in ("purchases", "refunds", "fees", "fx_markup", "payout"):
        totals: Counter[str] = Counter()
        for row in payouts:
            totals[row["currency"]] += minor(row[field], row["currency"])
        expected = {c: t[f"{field}_minor"] for c, t in summary["payouts"].items()}
        assert dict(totals) == expected, field
    fees: Counter[str] = Counter()
    for row in lines:
        fees[row["settlement_currency"]] += minor(row["fee"], row["settlement_currency"])
    assert dict(fees) == {c: t["fees_minor"] for c, t in summary["payouts"].items()}

    ledger: dict[str, Counter[str]] = defaultdict(Counter)
    for row in read_csv(directory / "ledger.csv"):
        ledger[row["currency"]]["debit_minor"] += minor(row["debit"], row["currency"])
        ledger[row["currency"]]["credit_minor"] += minor(row["credit"], row["currency"])
    assert {c: dict(v) for c, v in ledger.items()} == summary["ledger"]
    for sums in summary["ledger"].values():
        assert sums["debit_minor"] == sums["credit_minor"]


KEYED = re.compile(
    r'data-summary-key="(?P<key>[^"]+)"(?: data-currency="(?P<currency>[A-Z]{3})")?>'
    r"(?P<text>[^<]*)<"
)


def shown_value(text: str, currency: str | None) -> int:
    plain = text.replace(",", "").strip()
    return minor(plain, currency) if currency else int(plain)


def check_html_numbers(html: str, summary: dict[str, Any]) -> None:
    found = list(KEYED.finditer(html))
    assert len(found) > 20
    keys = {match["key"] for match in found}
    assert {"counts.staged", "counts.exceptions", "counts.payouts"} <= keys
    new_in_issue_17 = {
        "gateway.received", "gateway.staged", "gateway.duplicates", "gateway.rejected",
        "gateway.failed", "gateway.batches", "counts.exceptions_by_reason.lost",
        "counts.exceptions_by_reason.rejected", "counts.terminals_with_difference",
    }  # fmt: skip
    assert new_in_issue_17 <= keys
    for key in summary["gateway"]["rejected_by_reason"]:
        assert f"gateway.rejected_by_reason.{key}" in keys
    for key in summary["counts"]["missing_rejected_by_reason"]:
        assert f"counts.missing_rejected_by_reason.{key}" in keys
    for match in found:
        expected = summary_value(summary, match["key"])
        assert shown_value(match["text"], match["currency"]) == expected, match["key"]
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html and "https://" not in html


def test_report_command_uploads_under_the_date(
    settled_day: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine, settings = settled_day
    monkeypatch.setenv("CARDSETTLE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CARDSETTLE_REPORTS_DIR", str(settings.reports_dir))
    # moto's state outlives a `mock_aws` block while the embedded mock runs: a bucket of our own
    bucket = f"cardsettle-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("CARDSETTLE_S3_BUCKET", bucket)
    runner = CliRunner()
    with mock_aws():
        result = runner.invoke(app, ["report", "--date", DAY.isoformat()])
        assert result.exit_code == 0, result.output
        s3 = boto3.client("s3", region_name=settings.aws_region)
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="reports/2026-10-14/")
        keys = {item["Key"] for item in listed.get("Contents", [])}
        html = s3.get_object(Bucket=bucket, Key="reports/2026-10-14/report.html")
        body = html["Body"].read()
    directory = settings.reports_dir / DAY.isoformat()
    assert keys == {f"reports/2026-10-14/{path.name}" for path in directory.iterdir()}
    assert len(keys) == 8  # no compare.json this time
    assert body == (directory / "report.html").read_bytes()
    assert html["ContentType"].startswith("text/html")
    missing = runner.invoke(app, ["report", "--date", "2026-10-15", "--no-upload"])
    assert missing.exit_code == 1
    assert "no end-of-day run" in missing.output


def test_amount_text_helpers() -> None:
    assert group_digits("-1234567.891") == "-1,234,567.891"
    assert group_digits("999") == "999"
    assert decimal_text(Fraction(-1, 3)) == "-0.333333"
    assert decimal_text(Fraction(0)) == "0.000000"
