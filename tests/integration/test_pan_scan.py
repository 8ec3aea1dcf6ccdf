"""The PAN scanner the no-PAN checks rely on: it finds a sent PAN in every spelling and in
every kind of artefact (text, SQLite pages and WAL, database columns on both backends, queue
bodies), finds unknown PANs by Luhn in text, and leaves digests, tokens, BIN and last four
alone. If it could not find a PAN, every "no PAN anywhere" test above it would be hollow."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import insert, text

from settlement.adapters.database import create_db_engine, upgrade
from settlement.adapters.tables import rejected_messages
from tests.support.pan_scan import (
    PanScanner,
    is_hex_digest,
    luhn,
    normalise,
    pans_in,
    pans_in_database,
    sent_pans,
)

PAN = "4111111111111111"
SENT = "4539148803436467"  # a Luhn-valid Visa test number, not one of the all-ones ones
# A digest-shaped value whose digits happen to hold a Luhn-valid run, as real digests do
# about once in a few hundred rows.
UNLUCKY_DIGEST = "ab" + PAN + "c" * 46

ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in SENT)
SPELLINGS = {
    "plain": SENT,
    "spaced": "4539 1488 0343 6467",
    "dashed": "4539-1488-0343-6467",
    "dotted": "4539.1488.0343.6467",
    "spaced and dashed": "4539 - 1488 - 0343 - 6467",
    "glued to letters": f"tx{SENT}z",
    "Arabic-Indic": ARABIC_INDIC,
    "Extended Arabic-Indic": "".join(chr(0x06F0 + int(d)) for d in SENT),
    "Devanagari": "".join(chr(0x0966 + int(d)) for d in SENT),
    "fullwidth": "".join(chr(0xFF10 + int(d)) for d in SENT),
    "fullwidth dashes": "４５３９－１４８８－０３４３－６４６７",
    "JSON escapes": "".join(f"\\u{ord(d):04x}" for d in SENT),
    "JSON escapes escaped again": "".join(f"\\\\u{ord(d):04x}" for d in SENT),
    "HTML entities": "".join(f"&#{ord(d)};" for d in SENT),
    "in a CSV cell": f'a,"{SENT[:8]} {SENT[8:]}",b',
}


def test_luhn_is_its_own() -> None:
    assert luhn(SENT) and luhn(PAN) and not luhn("4111111111111121")


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_sent_pan_is_found_in_any_spelling(spelling: str) -> None:
    scanner = PanScanner({SENT})
    scanner.text("artefact", f"before {spelling} after")
    assert any(f.how == "sent PAN" and f.last4 == "6467" for f in scanner.findings), spelling


@pytest.mark.parametrize("spelling", ["plain", "spaced", "dashed", "Arabic-Indic", "fullwidth"])
def test_an_unknown_pan_is_found_by_luhn_in_text(spelling: str) -> None:
    scanner = PanScanner(set())
    scanner.text("artefact", f"x {SPELLINGS[spelling]} y")
    assert [(f.last4, f.how) for f in scanner.findings] == [("6467", "Luhn-valid run")]


@pytest.mark.parametrize(
    "innocent",
    [
        "453914******6467",  # masked
        "**** **** **** 6467",
        "bin 453914 last4 6467",
        "card_token " + "0123456789" * 6 + "abcd",  # a 64-hex digest
        "2026-10-14T12:00:00+02:00 2026-10-14 23:59:59.999",
        "tx-00000012 M0004 T0007 amount 1234.56 EUR",
        "018f3a2b-7c4d-7e5f-8a9b-0c1d2e3f4a5b",  # a UUIDv7
    ],
)
def test_what_the_product_may_keep_is_no_finding(innocent: str) -> None:
    scanner = PanScanner({SENT, PAN})
    scanner.text("artefact", innocent)
    assert scanner.findings == []


def test_normalise_folds_escapes_scripts_and_widths() -> None:
    assert normalise(SPELLINGS["JSON escapes"]) == SENT
    assert normalise(ARABIC_INDIC) == SENT
    assert normalise(SPELLINGS["fullwidth dashes"]) == "4539-1488-0343-6467"


def test_the_sent_set_holds_pan_fields_and_pans_hidden_in_other_fields(tmp_path: Path) -> None:
    hidden = "5555 5555 5555 4444"
    lines = [
        json.dumps({"pan": PAN, "terminal_id": "T1"}),
        json.dumps({"pan": "4111111111111121", "note": hidden}),  # pan fails Luhn: not a PAN
        json.dumps({"pan": "x", "transaction_id": ARABIC_INDIC}, ensure_ascii=True),
        "{broken " + '"pan": "378282246310005"',
    ]
    capture = tmp_path / "messages.jsonl"
    capture.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert sent_pans(capture) == {PAN, "5555555555554444", SENT, "378282246310005"}


def test_raw_sqlite_pages_and_wal_keep_a_deleted_pan_and_the_scan_finds_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "left.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # keep the frames in the -wal file
    conn.execute("CREATE TABLE t (note TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (f"card {SPELLINGS['spaced']}",))
    conn.execute("INSERT INTO t VALUES (?)", (ARABIC_INDIC,))
    conn.commit()
    conn.execute("DELETE FROM t")
    conn.commit()
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size > 0
    columns_only = PanScanner({SENT})
    columns_only.text("t.note", "")  # the table is empty: a column scan sees nothing
    scanner = PanScanner({SENT})
    scanner.database(f"sqlite:///{path}")
    conn.close()
    assert columns_only.findings == []
    assert {f.where.split(" ")[0] for f in scanner.findings} == {str(wal)}
    assert len(scanner.findings) >= 2  # both spellings, in the WAL's frames


def test_utf16_text_in_a_binary_file_is_searched(tmp_path: Path) -> None:
    blob = tmp_path / "cache.db-shm"
    blob.write_bytes(b"\x00\x01" + f"pan={SENT}".encode("utf-16-le") + b"\xff\xfe")
    scanner = PanScanner({SENT})
    scanner.file(blob)
    assert scanner.findings and {f.how for f in scanner.findings} == {"sent PAN"}


def test_every_text_column_of_every_table_on_both_backends(db_url: str) -> None:
    upgrade(db_url)
    engine = create_db_engine(db_url)
    row = {"message_id": "m", "transaction_id": None, "received_at": datetime(2026, 11, 27),
           "reason_code": "malformed_json", "body_sha256": "0" * 64}  # fmt: skip
    try:
        with engine.begin() as conn:
            conn.execute(insert(rejected_messages).values(**row, detail="d", body="{}"))
        clean = PanScanner({SENT})
        clean.database(db_url)
        assert clean.findings == [] and "rejected_messages.body" in clean.scanned
        with engine.begin() as conn:
            conn.execute(text("UPDATE rejected_messages SET detail = :d"), {"d": ARABIC_INDIC})
        dirty = PanScanner({SENT})
        dirty.database(db_url)
    finally:
        engine.dispose()
    found = {(f.where, f.how) for f in dirty.findings if not f.where.startswith("/")}
    assert found == {("rejected_messages.detail", "sent PAN"),
                     ("rejected_messages.detail", "Luhn-valid run")}  # fmt: skip


def test_queue_bodies_are_searched() -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-1")
        url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        for index in range(12):
            sqs.send_message(QueueUrl=url, MessageBody=f'{{"i": {index}}}')
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"t": SPELLINGS["dotted"]}))
        scanner = PanScanner({SENT})
        scanner.queue(sqs, url, "dlq")
    assert len(scanner.scanned) == 13
    assert [f.how for f in scanner.findings] == ["sent PAN", "Luhn-valid run"]


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
        scanner = PanScanner(set())
        scanner.database(db_url)
    finally:
        engine.dispose()
    assert found == [("rejected_messages", "body", PAN), ("rejected_messages", "body_sha256", PAN)]
    columns = sorted({f.where for f in scanner.findings if not f.where.startswith("/")})
    assert columns == ["rejected_messages.body", "rejected_messages.body_sha256 (not digests)"]
