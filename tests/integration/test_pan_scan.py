"""The PAN scanner used by the no-PAN checks: skips hex digests, finds everything else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from settlement.adapters.database import create_db_engine, upgrade
from settlement.adapters.tables import rejected_messages
from tests.support.pan_scan import is_hex_digest, pans_in, pans_in_database

PAN = "4111111111111111"
# A digest-shaped value whose digits happen to hold a Luhn-valid run, as real digests do
# about once in a few hundred rows.
UNLUCKY_DIGEST = "ab" + PAN + "c" * 46


def test_is_hex_digest_needs_the_column_and_the_shape() -> None:
    assert len(UNLUCKY_DIGEST) == 64 and pans_in(UNLUCKY_DIGEST) == [PAN]
    assert is_hex_digest("body_sha256", UNLUCKY_DIGEST)
    assert not is_hex_digest("detail", UNLUCKY_DIGEST)  # not a digest column
    assert not is_hex_digest("card_token", PAN)  # a PAN is hex-only but not a digest
    assert not is_hex_digest("card_token", UNLUCKY_DIGEST.upper())


def test_digests_are_skipped_and_pans_elsewhere_found(db_url: str) -> None:
    upgrade(db_url)
    engine = create_db_engine(db_url)
    row = {"message_id": "m", "transaction_id": None, "received_at": datetime(2026, 11, 27),
           "reason_code": "malformed_json", "detail": "d", "body": "{}"}  # fmt: skip
    try:
        with engine.begin() as conn:
            conn.execute(insert(rejected_messages).values(**row, body_sha256=UNLUCKY_DIGEST))
        assert pans_in_database(db_url) == []
        with engine.begin() as conn:  # a PAN where a digest belongs is still a PAN
            conn.execute(insert(rejected_messages).values(**row, body_sha256=PAN))
            mentions = {**row, "body": f"pan {PAN}", "reason_code": "x", "body_sha256": "0" * 64}
            conn.execute(insert(rejected_messages).values(**mentions))
        found = sorted(pans_in_database(db_url))
    finally:
        engine.dispose()
    assert found == [("rejected_messages", "body", PAN), ("rejected_messages", "body_sha256", PAN)]
