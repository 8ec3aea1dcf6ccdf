"""The bulk staging path stays idempotent when its optimistic fast path cannot be taken.

On PostgreSQL a batch is COPied straight into `staged_transactions` on the bet that none of
its ids is staged yet; a kept id, or one a concurrent consumer commits mid-COPY, must send
the batch down the careful path with the same outcome as before: duplicates once,
conflicts recorded, the first version kept, new rows staged.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, create_engine, insert, select
from sqlalchemy.exc import OperationalError

from settlement.adapters.clock import utc_now
from settlement.adapters.database import create_db_engine
from settlement.adapters.staging import StagedRow, StageOutcome, StagingRepository, is_transient
from settlement.adapters.tables import rejected_messages, staged_transactions
from settlement.config import load_settings
from settlement.domain.pos_message import PosMessage, parse_pos_message
from settlement.gateway.records import StagingPolicy, staged_row
from tests.support.messages import body


def row(index: int, message_id: str, **overrides: object) -> StagedRow:
    settings = load_settings()
    policy = StagingPolicy(b"test-key", settings.zone, settings.cutoff_time, settings.time_window)
    text = body(index, **overrides)
    parsed = parse_pos_message(text)
    assert isinstance(parsed, PosMessage)
    return staged_row(parsed, policy, message_id, utc_now(), text)


def staged(engine: Engine) -> dict[str, str]:
    table = staged_transactions
    with engine.connect() as conn:
        return dict(conn.execute(select(table.c.transaction_id, table.c.message_id)).all())


def test_a_batch_with_kept_ids_stages_only_the_new_ones(engine: Engine) -> None:
    repository = StagingRepository(engine)
    repository.stage([row(1, "first-1"), row(2, "first-2")], [], utc_now())
    batch = [
        row(1, "again-1"),  # kept with the same content: duplicate
        row(2, "again-2", amount="999.99"),  # kept with other content: conflict
        row(3, "new-3"),
        row(3, "repeat-3", amount="1.00"),  # a batch-mate of a new row, other content
    ]
    outcome = repository.stage(batch, [], utc_now())
    assert outcome.staged == ["new-3"]
    assert outcome.duplicates == ["again-1"]
    assert sorted(c.message_id for c in outcome.conflicts) == ["again-2", "repeat-3"]
    assert staged(engine) == {
        "tx-00000001": "first-1",
        "tx-00000002": "first-2",
        "tx-00000003": "new-3",
    }
    with engine.connect() as conn:
        assert conn.execute(select(rejected_messages.c.reason_code)).scalars().all() == [
            "conflict",
            "conflict",
        ]


def test_repeats_within_an_all_new_batch_are_judged_against_the_first(engine: Engine) -> None:
    """The fast path (no id staged yet): batch-mates repeating a new row are duplicates or
    conflicts of the version this batch keeps."""
    batch = [
        row(4, "new-4"),
        row(5, "new-5"),
        row(4, "again-4"),  # same content as the kept new-4
        row(5, "other-5", amount="5.55"),
        row(4, "other-4", amount="4.44"),
    ]
    outcome = StagingRepository(engine).stage(batch, [], utc_now())
    assert outcome.staged == ["new-4", "new-5"]
    assert outcome.duplicates == ["again-4"]
    assert [c.message_id for c in outcome.conflicts] == ["other-5", "other-4"]
    assert staged(engine) == {"tx-00000004": "new-4", "tx-00000005": "new-5"}


def test_every_column_reads_back_as_staged_on_both_paths(engine: Engine) -> None:
    """Rows go to PostgreSQL as binary COPY, each value dumped as its column's type: what is
    read back must be what was built, on the straight path (an all-new batch) and on the
    careful one (a batch with a kept id goes through the temp table), including the edges:
    microseconds, offsets west of UTC, a business date rolled past the cutoff, 0- and
    3-decimal currencies, the amount ceiling, a refund's reference."""
    edges = [
        row(11, "straight-11", amount="9999999999999", currency="JPY"),  # the ceiling
        row(12, "straight-12", amount="1.234", currency="KWD",
            local_time="2026-11-27T12:45:30.250001-09:30"),  # 23:15 in Amsterdam: next day
        row(13, "straight-13", type="refund", original_transaction_id="tx-00000011"),
    ]  # fmt: skip
    careful = [row(11, "again-11", amount="9999999999999", currency="JPY"), row(14, "careful-14")]
    repository = StagingRepository(engine)
    assert repository.stage(edges, [], utc_now()).staged == [
        "straight-11",
        "straight-12",
        "straight-13",
    ]
    assert repository.stage(careful, [], utc_now()).staged == ["careful-14"]
    table = staged_transactions
    with engine.connect() as conn:
        kept = {r.transaction_id: r._asdict() for r in conn.execute(select(table))}
    for built in [*edges, careful[1]]:
        assert kept[built.transaction_id] == built.values
    assert kept["tx-00000012"]["business_date"].isoformat() == "2026-11-28"
    assert kept["tx-00000012"]["local_time"].microsecond == 250001


def test_times_shared_by_batch_mates_are_each_rows_own(engine: Engine) -> None:
    """SQLite's rows format each distinct time and date of a batch once: every row still
    keeps its own, as text in SQLAlchemy's format (microseconds always), whoever it shares
    a wall clock, an instant, a business date or the receive time with."""
    times = [
        "2026-11-27T12:45:30-09:30",  # wall clock 12:45:30, instant 22:15:30 UTC: next day
        "2026-11-27T12:45:30+01:00",  # the same wall clock, another instant and date
        "2026-11-27T21:15:30+00:00",  # the first's instant... minus an hour: its own
        "2026-11-27T22:15:30+00:00",  # the first's instant, another wall clock
        "2026-11-27T12:45:30.000001+01:00",  # a microsecond later
        "2026-11-27T12:45:30+01:00",  # the second again
    ]
    batch = [row(30 + i, f"m-{i}", local_time=t) for i, t in enumerate(times)]
    assert StagingRepository(engine).stage(batch, [], utc_now()).staged == [
        f"m-{i}" for i in range(len(times))
    ]
    table = staged_transactions
    with engine.connect() as conn:
        kept = {r.transaction_id: r._asdict() for r in conn.execute(select(table))}
        raw = {
            r[0]: r[1:]
            for r in conn.exec_driver_sql(
                "SELECT transaction_id, local_time, transacted_at, business_date, received_at"
                " FROM staged_transactions"
            )
        }
    for built in batch:
        assert kept[built.transaction_id] == built.values
        if engine.dialect.name == "sqlite":
            values = built.values
            assert raw[built.transaction_id] == (
                values["local_time"].isoformat(" ", "microseconds"),
                values["transacted_at"].isoformat(" ", "microseconds"),
                values["business_date"].isoformat(),
                values["received_at"].isoformat(" ", "microseconds"),
            )
    assert len({kept[b.transaction_id]["business_date"] for b in batch}) == 2


# PostgreSQL only: SQLite stagers take the write lock at BEGIN, so no two ever overlap.
@pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_row_raced_in_by_another_consumer_is_a_duplicate_not_an_error(
    engine: Engine,
) -> None:
    """Another consumer holds id 7 uncommitted when this batch arrives: the batch waits for
    it, then classifies id 7 against the version that consumer kept."""
    rival_row = row(7, "rival-7")
    outcome: list[StageOutcome] = []
    with engine.connect() as rival, rival.begin() as transaction:
        rival.execute(insert(staged_transactions).values(rival_row.values))
        stager = threading.Thread(
            target=lambda: outcome.append(
                StagingRepository(engine).stage([row(7, "mine-7"), row(8, "mine-8")], [], utc_now())
            )
        )
        stager.start()
        stager.join(timeout=1.0)
        assert stager.is_alive(), "the COPY should wait for the rival's uncommitted row"
        transaction.commit()
    stager.join(timeout=30)
    assert outcome, "staging did not finish after the rival committed"
    assert outcome[0].staged == ["mine-8"]
    assert outcome[0].duplicates == ["mine-7"]
    assert not outcome[0].conflicts
    assert staged(engine) == {"tx-00000007": "rival-7", "tx-00000008": "mine-8"}


def test_a_lock_timeout_during_the_bulk_insert_is_a_transient_error(
    engine: Engine, db_url: str
) -> None:
    """The bulk insert (COPY on PostgreSQL, executemany on SQLite) runs on the driver's
    cursor; its errors must still surface as SQLAlchemy's, so the gateway tells a lock
    timeout or a locked database (redeliver) from a refused row (reject)."""
    if engine.dialect.name == "postgresql":
        impatient = create_db_engine(db_url + "&options=-c%20lock_timeout%3D200")
    else:  # a deferred BEGIN reads first, then waits 0.2 s for the write lock at the insert
        impatient = create_engine(db_url, connect_args={"timeout": 0.2})
    try:
        with engine.connect() as rival, rival.begin():
            rival.execute(insert(staged_transactions).values(row(7, "rival-7").values))
            with pytest.raises(OperationalError) as raised:
                StagingRepository(impatient).stage([row(7, "mine-7")], [], utc_now())
    finally:
        impatient.dispose()
    assert is_transient(raised.value)
    assert "INSERT INTO staged_transactions" in str(raised.value) or ("COPY" in str(raised.value))
