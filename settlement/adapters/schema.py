"""The whole schema as one `metadata`: every table, staging and end of day alike.

Alembic's environment (migrations/env.py) compares migrations against it, and a test
against a migrated database. The tables live in `tables` (staging) and `eod_tables` (end
of day, built on the same MetaData); this module imports both, so whoever asks for the
whole schema gets every table without either table module importing the other's for it.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from settlement.adapters import eod_tables, tables

metadata: MetaData = tables.metadata
if eod_tables.journal_entries.metadata is not metadata:  # one schema, one MetaData
    raise ImportError("the end-of-day tables must be built on settlement.adapters.tables.metadata")

__all__ = ["metadata"]
