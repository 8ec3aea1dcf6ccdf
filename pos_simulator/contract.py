"""The message contract `cardsettle.pos.v1` as a JSON Schema shipped inside the package."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "cardsettle.pos.v1.json"


def schema_text() -> str:
    return resources.files("pos_simulator").joinpath("schema", SCHEMA_RESOURCE).read_text("utf-8")


@cache
def message_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one message."""
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded
