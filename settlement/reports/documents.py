"""The JSON documents the report reads back from the reports directory (compare.json,
lesson.json), read as untrusted input: the directory may be shared, and a document is
shown on the page only once it is known to be well-formed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a report can show")


def read_document(path: Path) -> Any:
    """A JSON file the report reads from the reports directory (compare.json, lesson.json),
    as untrusted: NaN, Infinity and 1e999 are ValueError (they would render as "nan"/"inf"
    or overflow an int()), and so is a file nested too deeply to parse (RecursionError), so
    the caller refuses it in its one-line error."""
    try:
        return json.loads(
            path.read_text(encoding="utf-8"), parse_float=_finite, parse_constant=_no_constant
        )
    except RecursionError:
        raise ValueError("nested too deeply") from None
