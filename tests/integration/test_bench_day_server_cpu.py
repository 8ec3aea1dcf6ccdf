"""The whole-day benchmark's PostgreSQL CPU figure (bench/bench_day.py `server_cpu_s`): on
PostgreSQL most of the end of day runs in the server's processes, not in the stage's, so the
benchmark reads the server's CPU around each stage. A connection's backend that has done
work and exited must count, or the figure would miss every stage's work."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bench.bench_day import server_cpu_s

pytestmark = pytest.mark.postgres


def test_the_work_of_a_backend_that_has_exited_is_counted(pg_server: str) -> None:
    before = server_cpu_s(pg_server)
    assert before is not None, "the throwaway cluster is a local process we can see"
    engine = create_engine(pg_server)
    with engine.connect() as connection:
        total = connection.execute(
            text("SELECT sum(i::bigint * i) FROM generate_series(1, 4000000) AS i")
        ).scalar_one()
    engine.dispose()  # the backend exits: its CPU moves to the postmaster's reaped children
    assert total == sum(i * i for i in range(1, 4_000_001))
    after = server_cpu_s(pg_server)
    assert after is not None and after - before >= 0.2, (before, after)
