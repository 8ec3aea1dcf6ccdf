"""Find full PANs anywhere: every 13-19 digit run that passes the Luhn check."""

from __future__ import annotations

import re

from sqlalchemy import String, Text, column, create_engine, inspect, select, table

from settlement.domain.cards import luhn_valid

_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def pans_in(text: str) -> list[str]:
    return [run for run in _RUN.findall(text) if luhn_valid(run)]


def pans_in_database(url: str) -> list[tuple[str, str, str]]:
    """(table, column, PAN) for every PAN-looking value in any text column."""
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
                        found += [(table_name, name, pan) for pan in pans_in(str(value or ""))]
    finally:
        engine.dispose()
    return found
