"""Settings to running parts: the staging engine, the gateway and its SQS event handler.

Called only by the entry points (the `settlement` commands, the Lambda handlers), which
read the settings; the gateway below them is handed what these build.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from settlement.adapters.clock import utc_now
from settlement.adapters.database import create_db_engine, ensure_schema, wait_for_database
from settlement.adapters.staging import StagingRepository
from settlement.config import Settings
from settlement.gateway.handler import process_event
from settlement.gateway.poller import EventHandler
from settlement.gateway.records import StagingPolicy
from settlement.gateway.service import Gateway


def staging_engine(settings: Settings) -> Engine:
    engine = create_db_engine(
        settings.database_url,
        write_lock_on_begin=True,
        lock_timeout_ms=settings.gateway_lock_timeout_ms,
        statement_timeout_ms=settings.gateway_statement_timeout_ms,
    )
    wait_for_database(engine, settings.gateway_startup_wait_s)
    ensure_schema(engine)
    return engine


def gateway_from_settings(settings: Settings, engine: Engine | None = None) -> Gateway:
    policy = StagingPolicy(
        token_key=settings.pan_token_key.get_secret_value().encode(),
        zone=settings.zone,
        cutoff=settings.cutoff_time,
        window=settings.time_window,
    )
    repository = StagingRepository(engine or staging_engine(settings))
    return Gateway(repository, policy, utc_now)


def gateway_event_handler(settings: Settings) -> EventHandler:
    """The SQS event handler around a gateway of its own (one per process: see `direct`)."""
    gateway = gateway_from_settings(settings)
    return lambda event: process_event(event, gateway)


@contextmanager
def handler_from_settings(settings: Settings) -> Iterator[EventHandler]:
    """The Lambda handler around a gateway built from settings; closes its engine after."""
    gateway = gateway_from_settings(settings)
    try:
        yield lambda event: process_event(event, gateway)
    finally:
        gateway.repository.engine.dispose()
