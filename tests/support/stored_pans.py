"""Find a PAN kept anywhere, in any spelling: every text value of every table, and log lines.

Stricter than `pan_scan.pans_in_database` (ASCII digit runs only): this one uses the
gateway's own `find_pans` (any script's digits, grouped by spaces, dashes or dots) and also
reads JSON `\\uXXXX` escapes, so a PAN written "\\u0034\\u0031..." is found too.
"""

from __future__ import annotations

import re

from sqlalchemy import String, Text, column, create_engine, inspect, select, table

from settlement.domain.cards import find_pans
from tests.support.pan_scan import is_hex_digest

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def pans_anywhere(text: str) -> list[str]:
    """PAN-shaped values in `text`, read as written and with its \\u escapes decoded."""
    decoded = _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)
    return find_pans(text) + (find_pans(decoded) if decoded != text else [])


def stored_pans(url: str) -> list[tuple[str, str, str]]:
    """(table, column, PAN) for every PAN-shaped value in any text column."""
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
                        if value is None or is_hex_digest(name, value):
                            continue
                        found += [(table_name, name, pan) for pan in pans_anywhere(str(value))]
    finally:
        engine.dispose()
    return found
