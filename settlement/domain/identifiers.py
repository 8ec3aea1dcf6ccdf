"""The id grammar of cardsettle: what a transaction, merchant or terminal id may look like.

One home for the messages (`pos_message`, both its paths), the journal and merchants files
(`file_lines`) and the JSON Schema (a test holds its patterns to these). ASCII only: a
letter or digit first, then letters, digits, '.', '_', ':' or '-'. A transaction id fits its
String(64) column, every other id String(32).
"""

from __future__ import annotations

import re

TRANSACTION_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"
SHORT_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._:-]{0,31}"
TRANSACTION_ID = re.compile(TRANSACTION_ID_PATTERN)
SHORT_ID = re.compile(SHORT_ID_PATTERN)
