"""Find full PANs anywhere: every 13-19 digit run that passes the Luhn check."""

from __future__ import annotations

import re

from sqlalchemy import String, Text, column, create_engine, inspect, select, table

from settlement.domain.cards import luhn_valid

_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
# SHA-256 / HMAC-SHA256 hex digests: a digit run inside one passes the Luhn check by chance
# (about one row in a few hundred), but a digest holds no card number. Only values that are
# whole 64-character lowercase hex digests are skipped, so a PAN written into one of these
# columns by mistake is still found.
HEX_DIGEST_COLUMNS = frozenset({"content_hash", "card_token", "body_sha256"})
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def pans_in(text: str) -> list[str]:
    return [run for run in _RUN.findall(text) if luhn_valid(run)]


def is_hex_digest(column_name: str, value: object) -> bool:
    return (
        column_name in HEX_DIGEST_COLUMNS
        and isinstance(value, str)
        and _HEX_DIGEST.fullmatch(value) is not None
    )


def pans_in_database(url: str) -> list[tuple[str, str, str]]:
    """(table, column, PAN) for every PAN-looking value in any text column, hex digests of
    the digest columns (`HEX_DIGEST_COLUMNS`) excepted."""
    found = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table_name in inspector.get_table_names():
                for info in inspector.get_columns(table_name):
                    if not isinstance(info["type"], String | Text):
                        continue
                    name = info["name"]
                    query = select(column(name)).select_from(table(table_name))
                    for (value,) in conn.execute(query):
                        if is_hex_digest(name, value):
                            continue
                        found += [(table_name, name, pan) for pan in pans_in(str(value or ""))]
    finally:
        engine.dispose()
    return found
