"""Build staged rows, merchants, journal lines and rates for end-of-day tests.

Staged rows go straight into `staged_transactions` with SQLAlchemy Core (the gateway is not
under test here); the journal and rates go through the real importers from CSV text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from settlement.adapters import database
from settlement.adapters.eod_tables import eod_runs
from settlement.adapters.staging import StagedRow
from settlement.adapters.tables import staged_transactions
from settlement.config import Settings, load_settings
from settlement.domain.money import Money

AMS_OFFSET_MIN = 60  # Europe/Amsterdam in winter


@contextmanager
def migrated_database(
    db_url: str, tmp_path: Path, **overrides: Any
) -> Iterator[tuple[Engine, Settings]]:
    """A migrated database on `db_url` and settings writing reports under tmp_path/out."""
    settings = load_settings(database_url=db_url, reports_dir=tmp_path / "out", **overrides)
    database.upgrade(db_url)
    engine = database.create_db_engine(db_url)
    try:
        yield engine, settings
    finally:
        engine.dispose()


def claim_running(
    engine: Engine, day: date, at: datetime, *, owner: str = "host-b:42", message: str | None = None
) -> None:
    """Leave the date claimed by another run (`run_id` "other") that is still running."""
    with engine.begin() as conn:
        conn.execute(
            insert(eod_runs).values(
                business_date=day, run_id="other", status="running", attempt=1, owner=owner,
                started_at=at, heartbeat_at=at, message=message,
            )
        )  # fmt: skip


def staged(
    transaction_id: str,
    amount: str,
    currency: str = "EUR",
    *,
    merchant_id: str = "M1",
    business_date: date,
    at: datetime,
    kind: str = "purchase",
    original: str | None = None,
    card: str | None = None,
    last4: str = "1111",
    terminal_id: str | None = None,
    sent_at: datetime | None = None,
    mcc: str = "5411",
) -> dict[str, Any]:
    """One staged row; `at` is the UTC instant (naive), local time is derived at +01:00."""
    minor = Money.parse(amount, currency).amount_minor
    return {
        "transaction_id": transaction_id, "transaction_type": kind,
        "original_transaction_id": original, "merchant_id": merchant_id,
        "terminal_id": terminal_id or f"T-{transaction_id}",
        "card_token": card or f"tok-{transaction_id}", "card_bin": "424242",
        "card_last4": last4, "card_brand": "visa", "card_country": "NL",
        "merchant_country": "NL", "mcc": mcc, "entry_mode": "chip", "amount_minor": minor,
        "currency": currency, "local_time": at + timedelta(minutes=AMS_OFFSET_MIN),
        "utc_offset_min": AMS_OFFSET_MIN, "transacted_at": at, "business_date": business_date,
        "sent_at": sent_at or at, "received_at": sent_at or at, "staged_at": sent_at or at,
        "message_id": f"msg-{transaction_id}",
        "content_hash": hashlib.sha256(transaction_id.encode()).hexdigest(),
    }  # fmt: skip


def insert_staged(engine: Engine, rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(staged_transactions), batch)


def journal_line(row: dict[str, Any], amount: str | None = None, tid: str | None = None) -> str:
    """The journal.csv line the terminal would have written for a staged row."""
    local = row["local_time"].isoformat() + "+01:00"
    value = amount or Money(row["amount_minor"], row["currency"]).format()
    return ",".join(
        [
            tid or row["transaction_id"], row["terminal_id"], row["merchant_id"],
            row["transaction_type"], value, row["currency"], local, row["card_last4"],
            row["original_transaction_id"] or "",
        ]
    )  # fmt: skip


JOURNAL_HEADER = (
    "transaction_id,terminal_id,merchant_id,type,amount,currency,local_time,pan_last4,"
    "original_transaction_id"
)
MERCHANTS_HEADER = (
    "merchant_id,name,mcc,country,city,timezone,settlement_currency,mdr_bps,fee_fixed"
)


def merchant_line(merchant_id: str, currency: str, mdr_bps: int, fee_fixed: str) -> str:
    place = "5411,NL,Amsterdam,Europe/Amsterdam"
    return f"{merchant_id},Shop {merchant_id},{place},{currency},{mdr_bps},{fee_fixed}"


@contextmanager
def row_held_open(url: str, row: StagedRow, **engine_kwargs: Any) -> Iterator[None]:
    """Another session inserts `row` and keeps its transaction open: its key stays locked
    until the block ends, then the insert is rolled back."""
    holder = database.create_db_engine(url, **engine_kwargs)
    try:
        with holder.connect() as conn, conn.begin() as transaction:
            conn.execute(insert(staged_transactions).values(row.values))
            yield
            transaction.rollback()
    finally:
        holder.dispose()
