"""The message contract `cardsettle.pos.v1` as a JSON Schema shipped inside the package.

Its fields are the domain's `MESSAGE_FIELDS`; tests/unit/test_message_fields.py fails when
the schema's properties or required list drift from them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from settlement.domain.pos_message import SCHEMA_ID

SCHEMA_RESOURCE = f"{SCHEMA_ID}.json"


def schema_text() -> str:
    return resources.files("pos_simulator").joinpath("schema", SCHEMA_RESOURCE).read_text("utf-8")


@cache
def message_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one message."""
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded
