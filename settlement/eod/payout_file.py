"""The payout file: one CSV line per merchant and settlement currency, amounts in major units."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from settlement.adapters.eod_tables import payouts
from settlement.domain.money import Money

HEADER = (
    "business_date", "merchant_id", "currency", "purchases", "refunds", "fees", "fx_markup",
    "payout", "direction", "line_count",
)  # fmt: skip


def payout_file_path(day: date, directory: Path) -> Path:
    return directory / f"payouts-{day.isoformat()}.csv"


def restore_payout_file(engine: Engine, day: date, directory: Path) -> Path | None:
    """Write the payout file of a completed date if it is missing, as after a crash between
    the run's commit and the file's write; None when it is there already."""
    if payout_file_path(day, directory).exists():
        return None
    return write_payout_file(engine, day, directory)


def write_payout_file(engine: Engine, day: date, directory: Path) -> Path:
    """Rewrite `payouts-<date>.csv` from the committed payouts (a re-run replaces it whole)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = payout_file_path(day, directory)
    partial = target.with_suffix(".csv.partial")
    query = (
        select(payouts)
        .where(payouts.c.run_date == day)
        .order_by(payouts.c.merchant_id, payouts.c.currency)
    )
    with engine.connect() as conn, partial.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in conn.execute(query):
            amounts = (
                row.purchases_minor, row.refunds_minor, row.fees_minor, row.fx_markup_minor,
                row.payout_minor,
            )  # fmt: skip
            text = [Money(int(a), row.currency).format() for a in amounts]
            writer.writerow([day.isoformat(), row.merchant_id, row.currency, *text,
                             row.direction, row.line_count])  # fmt: skip
    partial.replace(target)
    return target
