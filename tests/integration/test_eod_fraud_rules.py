"""Each fraud rule fires on its scenario inside a real end-of-day run, and stays quiet on
plain traffic, on SQLite and PostgreSQL.

The traffic and scenarios are the unit tests' (tests/support/fraud_scenarios.py): 31 days of
seeded cardholders with the scenarios injected on the business date. Here they go through
the database: staged rows, merchants, the journal (so items match and a hold is visible),
operator rates equal to the unit tests' FX table, then `run_end_of_day`. The run streams
cards and terminals out of SQL through the pre-filter, so this also checks that pipeline
against the pure screen on the same transactions: the stored flags must be the same.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from settlement.adapters.eod_tables import fraud_flags, reconciliation_items
from settlement.adapters.imports import import_journal, import_merchants, import_rates
from settlement.adapters.tables import staged_transactions
from settlement.config import Settings
from settlement.domain.calendar import business_date_of, cutoff_instant
from settlement.domain.fraud import load_rulebook
from settlement.domain.transactions import StagedTransaction, TransactionType
from settlement.eod.run import RunRequest, run_end_of_day
from tests.support.fraud_scenarios import SCENARIOS
from tests.support.fraud_traffic import BUSINESS_DATE, COUNTRIES, Traffic, screen_all
from tests.support.staging_builder import JOURNAL_HEADER, MERCHANTS_HEADER, migrated_database

Setup = tuple[Engine, Settings]


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    with migrated_database(db_url, tmp_path) as ready:
        yield ready


def redated(txs: Iterable[StagedTransaction], settings: Settings) -> list[StagedTransaction]:
    """The business date the gateway would stamp (cutoff-based), as the journal will have it."""
    return [
        dataclasses.replace(
            tx,
            business_date=business_date_of(
                tx.transacted_at.replace(tzinfo=UTC), settings.zone, settings.cutoff_time
            ),
        )
        for tx in txs
    ]


def _row(tx: StagedTransaction) -> dict[str, object]:
    sent = tx.transacted_at + timedelta(seconds=2)
    row = {field.name: getattr(tx, field.name) for field in dataclasses.fields(tx)}
    row.update(
        transaction_type=str(tx.transaction_type), entry_mode=str(tx.entry_mode),
        sent_at=sent, received_at=sent, staged_at=sent, message_id=f"msg-{tx.transaction_id}",
        content_hash=hashlib.sha256(tx.transaction_id.encode()).hexdigest(),
    )  # fmt: skip
    return row


def _journal_line(tx: StagedTransaction) -> str:
    offset = timezone(timedelta(minutes=tx.utc_offset_min))
    return ",".join(
        [tx.transaction_id, tx.terminal_id, tx.merchant_id, str(tx.transaction_type),
         tx.amount.format(), tx.currency, tx.local_time.replace(tzinfo=offset).isoformat(),
         tx.card_last4, ""]
    )  # fmt: skip


def _merchant_lines(txs: Sequence[StagedTransaction]) -> list[str]:
    lines = [MERCHANTS_HEADER]
    for merchant_id in sorted({tx.merchant_id for tx in txs}):
        country = merchant_id.split("-")[0]
        currency = COUNTRIES[country][0]
        lines.append(f"{merchant_id},Shop,5411,{country},City,Europe/Amsterdam,{currency},100,0")
    return lines


def run_day(engine: Engine, settings: Settings, txs: Sequence[StagedTransaction]) -> None:
    """Stage, import and run the business date; operator rates = the unit tests' FX table."""
    now = cutoff_instant(BUSINESS_DATE, settings.zone, settings.cutoff_time)
    with engine.begin() as conn:
        conn.execute(insert(staged_transactions), [_row(tx) for tx in txs])
    assert import_merchants(engine, _merchant_lines(txs)).rejected == 0
    rates = [f"{BUSINESS_DATE},{currency},{per_eur}" for currency, _, per_eur in
             COUNTRIES.values() if currency != "EUR"]  # fmt: skip
    import_rates(engine, ["date,currency,units_per_eur", *rates], now)
    today = [_journal_line(tx) for tx in txs if tx.business_date == BUSINESS_DATE]
    report = import_journal(engine, [JOURNAL_HEADER, *today], settings, now)
    assert report.rejected == 0, report.errors
    done = run_end_of_day(engine, settings, RunRequest(BUSINESS_DATE, now))
    assert done.status == "completed", done.message


def stored_flags(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(r.transaction_id, r.rule) for r in conn.execute(select(fraud_flags))}


def outcomes(engine: Engine) -> dict[str, tuple[str, str | None]]:
    query = select(
        reconciliation_items.c.transaction_id,
        reconciliation_items.c.outcome,
        reconciliation_items.c.reason,
    )
    with engine.connect() as conn:
        return {tid: (outcome, reason) for tid, outcome, reason in conn.execute(query)}


def test_each_rule_fires_on_its_scenario_in_a_real_run(setup: Setup) -> None:
    engine, settings = setup
    traffic = Traffic(seed=11, cards_count=60)
    plain = traffic.plain()
    injected = {rule: make(traffic) for rule, make in SCENARIOS.items()}
    scenario_txs = list(dict.fromkeys(tx for txs in injected.values() for tx in txs))
    txs = redated([*plain, *scenario_txs], settings)
    run_day(engine, settings, txs)

    flags = stored_flags(engine)
    missed = {
        rule: sorted(ids - {tid for tid, r in flags if r == rule})
        for rule, made in injected.items()
        if (ids := {tx.transaction_id for tx in made if tx.transaction_id in traffic.fraud})
    }
    assert {rule: ids for rule, ids in missed.items() if ids} == {}
    assert set(missed) == {rule.name for rule in load_rulebook().rules}  # every rule tried
    items = outcomes(engine)
    held = {tid: items[tid] for tid in traffic.fraud}
    assert all(
        outcome == "held" and reason in {"fraud_review", "fraud_decline"}
        for outcome, reason in held.values()
    ), held
    # the streamed, pre-filtered SQL screen agrees with the pure screen on the same day
    pure = screen_all(txs, load_rulebook())
    assert flags == {(f.transaction_id, f.rule) for f in pure}


def test_plain_traffic_stays_quiet_in_a_real_run(setup: Setup) -> None:
    engine, settings = setup
    txs = redated(Traffic(seed=11, cards_count=300).plain(), settings)
    run_day(engine, settings, txs)
    today = sum(
        tx.business_date == BUSINESS_DATE and tx.transaction_type == TransactionType.PURCHASE
        for tx in txs
    )
    by_rule = Counter(rule for _, rule in stored_flags(engine))
    noisy = {rule: n for rule, n in by_rule.items() if n > today * 2 // 1000}
    assert noisy == {}, (today, by_rule)
    items = outcomes(engine)
    assert Counter(outcome for outcome, _ in items.values())["settled"] >= today * 99 // 100
    held = [tid for tid, (outcome, _) in items.items() if outcome == "held"]
    assert len(held) <= today * 3 // 1000
