"""A gateway that starts before its database waits for it (with backoff) instead of exiting,
and gives up with the database's own error once CARDSETTLE_GATEWAY_STARTUP_WAIT_S is spent."""

from __future__ import annotations

import logging
import random
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from settlement.adapters.database import create_db_engine, upgrade, wait_for_database
from settlement.config import load_settings
from settlement.entrypoints.wiring import staging_engine
from tests.support.pgcontrol import outage_cluster


@pytest.mark.postgres
def test_a_gateway_started_while_the_database_is_down_waits_for_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="settlement.adapters.database")
    with outage_cluster() as cluster:
        upgrade(cluster.url)
        cluster.stop()
        restart = threading.Timer(2.0, cluster.start)
        restart.start()
        started = time.monotonic()
        engine = staging_engine(load_settings(database_url=cluster.url))
        waited_s = time.monotonic() - started
        restart.join()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM staged_transactions").scalar() == 0
        engine.dispose()
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert waited_s >= 2.0 and len(retries) >= 2, (waited_s, retries)
    assert all(message.startswith("database unavailable (") for message in retries)


def test_it_gives_up_with_the_database_error_when_the_wait_is_spent() -> None:
    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    now, pauses = [0.0], []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    with pytest.raises(OperationalError):
        wait_for_database(engine, 10.0, sleep=sleep, clock=lambda: now[0], rng=random.Random(1))
    engine.dispose()
    # steps of 0.5, 1, 2, 4, 8 s: each pause half fixed, half jittered; the last one is cut
    # to what is left of the 10 s
    for pause, step in zip(pauses[:-1], [0.5, 1, 2, 4], strict=False):
        assert step / 2 <= pause <= step
    assert len(pauses) == 5 and sum(pauses) == pytest.approx(10.0)


def test_zero_wait_tries_once() -> None:
    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    pauses: list[float] = []
    with pytest.raises(OperationalError):
        wait_for_database(engine, 0, sleep=pauses.append, clock=lambda: 0.0)
    engine.dispose()
    assert pauses == []
