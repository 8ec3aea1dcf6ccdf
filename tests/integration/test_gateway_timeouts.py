"""Gateway connections fail fast on a stuck lock or query instead of hanging a consumer.

On PostgreSQL the gateway's engine sets lock_timeout and statement_timeout on every
connection (CARDSETTLE_GATEWAY_LOCK_TIMEOUT_MS / _STATEMENT_TIMEOUT_MS); a message whose row
another transaction holds locked comes back in batchItemFailures, its batch-mates stage,
and nothing of it is written. SQLite has its busy_timeout instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from settlement.adapters.clock import utc_now
from settlement.adapters.database import create_db_engine, postgres_timeouts, upgrade
from settlement.adapters.sqs_events import sqs_record
from settlement.adapters.staging import is_transient
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import Settings, load_settings
from settlement.domain.pos_message import PosMessage, parse_pos_message
from settlement.entrypoints.wiring import gateway_from_settings
from settlement.gateway.handler import process_event
from settlement.gateway.records import staged_row
from settlement.gateway.service import Gateway
from tests.support.messages import body
from tests.support.pgcluster import scratch_database
from tests.support.staging_builder import row_held_open

ARN = "arn:aws:sqs:eu-west-1:123456789012:cardsettle-transactions"
SAFETY_NET = {"options": "-c idle_in_transaction_session_timeout=8000"}


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    with scratch_database(pg_server) as url:
        upgrade(url)
        yield url


@contextmanager
def gateway_for(settings: Settings) -> Iterator[Gateway]:
    gateway = gateway_from_settings(settings)  # the engine the CLI and Lambda use
    try:
        yield gateway
    finally:
        gateway.repository.engine.dispose()


@contextmanager
def row_locked(url: str, gateway: Gateway, message_body: str) -> Iterator[None]:
    """Another session inserts the message's row and keeps its transaction open."""
    parsed = parse_pos_message(message_body)
    assert isinstance(parsed, PosMessage)
    row = staged_row(parsed, gateway.policy, "lock-holder", utc_now(), message_body)
    # If the gateway's timeout were missing, the holder's own idle timeout ends the wait, so
    # a regression fails the test instead of hanging it.
    with row_held_open(url, row, connect_args=SAFETY_NET):
        yield


def count(url: str, table: object, *where: object) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def test_gateway_connections_carry_the_timeouts(db_url: str) -> None:
    upgrade(db_url)
    with gateway_for(load_settings(database_url=db_url)) as gateway:
        with gateway.repository.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                shown = [conn.execute(text(f"SHOW {n}")).scalar_one()
                         for n in ("lock_timeout", "statement_timeout")]  # fmt: skip
                assert shown == ["5s", "30s"]  # the documented defaults
            else:
                assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30_000
        response, report = process_event(
            {"Records": [sqs_record("m0", body(0), ARN, "eu-west-1")]}, gateway
        )
        assert response == {"batchItemFailures": []} and report.staged == 1


def test_options_in_the_url_are_kept_and_its_own_timeouts_win() -> None:
    url = "postgresql+psycopg://u@h/db?options=-c%20search_path%3Dcs"
    assert postgres_timeouts(url, 250, None) == {"options": "-c search_path=cs -c lock_timeout=250"}
    assert postgres_timeouts(url, None, None) == {}
    own = "postgresql+psycopg://u@h/db?options=-c%20lock_timeout%3D500"
    assert postgres_timeouts(own, 5000, 30000) == {
        "options": "-c lock_timeout=500 -c statement_timeout=30000"
    }


@pytest.mark.postgres
def test_a_held_row_lock_fails_fast_and_the_message_comes_back(pg_url: str) -> None:
    settings = load_settings(database_url=pg_url, gateway_lock_timeout_ms=300)
    bodies = [body(0), body(1), body(2)]
    records = [sqs_record(f"m{i}", b, ARN, "eu-west-1") for i, b in enumerate(bodies)]
    with gateway_for(settings) as gateway, row_locked(pg_url, gateway, bodies[1]):
        with pytest.raises(OperationalError) as caught, gateway.repository.engine.begin() as conn:
            conn.execute(text("LOCK TABLE staged_transactions IN ACCESS EXCLUSIVE MODE"))
        assert "lock timeout" in str(caught.value) and is_transient(caught.value)
        response, report = process_event({"Records": records}, gateway)
        assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
        assert (report.staged, report.duplicates, dict(report.rejected)) == (2, 0, {})
    # the lock holder rolled back: the locked message left nothing behind, its mates staged
    assert count(pg_url, staged_transactions) == 2
    tx1 = json.loads(bodies[1])["transaction_id"]
    assert count(pg_url, staged_transactions, staged_transactions.c.transaction_id == tx1) == 0
    assert count(pg_url, rejected_messages) == 0
    with gateway_for(settings) as gateway:  # the redelivery stages it once
        response, report = process_event({"Records": records}, gateway)
    assert response == {"batchItemFailures": []} and (report.staged, report.duplicates) == (1, 2)


@pytest.mark.postgres
def test_a_stuck_statement_is_cancelled_as_a_transient_error(pg_url: str) -> None:
    settings = load_settings(database_url=pg_url, gateway_statement_timeout_ms=200)
    with gateway_for(settings) as gateway, gateway.repository.engine.connect() as conn:
        with pytest.raises(OperationalError) as caught:
            conn.execute(text("SELECT pg_sleep(5)"))
        assert "statement timeout" in str(caught.value) and is_transient(caught.value)
