"""A stale rate through a whole end of day and its report, on SQLite and PostgreSQL: a RUB
purchase (the ECB stopped RUB on 2022-03-01) is held `no_rate` with the rate's age where a
user looks (the held section, the FX section, reconciliation.csv), and every conversion
shows its rate's age (the FX section, summary.json, settlement.csv)."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

from settlement.adapters.imports import import_journal, import_merchants
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.reports import write_day_reports
from tests.support.staging_builder import (
    JOURNAL_HEADER,
    MERCHANTS_HEADER,
    insert_staged,
    journal_line,
    merchant_line,
    migrated_database,
    staged,
)

DAY = date(2026, 3, 15)  # a Sunday: the ECB's latest rate is Friday's (2026-03-13)
NOW = datetime(2026, 3, 15, 22, 0)
DETAIL = "no rate for RUB within 5 days: latest is 2022-03-01, 1475 days old"


def test_a_stale_rate_holds_its_lines_and_every_rate_shows_its_age(
    db_url: str, tmp_path: Path
) -> None:
    with migrated_database(db_url, tmp_path) as (engine, settings):
        import_merchants(engine, [MERCHANTS_HEADER, merchant_line("M1", "EUR", 150, "0.10")])
        rows = [
            staged("P1", "100.00", "USD", business_date=DAY, at=datetime(2026, 3, 15, 9)),
            staged("P2", "5000.00", "RUB", business_date=DAY, at=datetime(2026, 3, 15, 10)),
        ]
        insert_staged(engine, rows)
        import_journal(engine, [JOURNAL_HEADER, *map(journal_line, rows)], settings, NOW)
        report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
        assert report.counts["fx_held"]["no_rate"] == 1, report.message
        written = write_day_reports(engine, settings, DAY)
    out = written.directory
    html = written.html.read_text(encoding="utf-8")
    assert f"<td>no_rate</td><td>{DETAIL}</td>" in html  # the held section
    assert f"RUB 1 ({DETAIL})" in html  # the FX section's caption
    usd = next(p for p in written.report.books.fx if p.from_currency == "USD")
    assert (usd.rate_date, usd.age_days) == (date(2026, 3, 13), 2)
    assert '<td class="n">2</td>' in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [p["rate_age_days"] for p in summary["fx"] if p["from_currency"] == "USD"] == [2]
    with (out / "settlement.csv").open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert [(r["transaction_id"], r["rate_date"], r["rate_age_days"]) for r in lines] == [
        ("P1", "2026-03-13", "2")
    ]
    with (out / "reconciliation.csv").open(encoding="utf-8") as handle:
        items = {r["transaction_id"]: r for r in csv.DictReader(handle)}
    assert (items["P2"]["reason"], items["P2"]["reason_detail"]) == ("no_rate", DETAIL)
    assert items["P1"]["reason_detail"] == ""
