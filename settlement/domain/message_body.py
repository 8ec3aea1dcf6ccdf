"""A message body as it arrived: read as one strict JSON object, searched for a PAN outside
the `pan` field, and copied PAN-masked for the rejects table.

Why strict: the JSON Schema judges a parsed document, so whatever a lenient parser lets
through unseen is outside the contract. Python's `json` accepts NaN and Infinity (not JSON)
and keeps the last of two equal names (RFC 8259 leaves the meaning open); a sender could
then show one value to one reader and another to the next, or hide a card number in the
first `terminal_id` of two. Both are refused here, before any field is looked at.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from settlement.domain.cards import holds_pan, mask_pans

# A body longer than this is refused unread: a message is ~450 characters, and every check
# then costs a bounded time whatever a sender puts in it (a 10 MB id, 100,000 nested lists).
MAX_BODY_CHARS = 64 * 1024
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


class NotStrictJson(ValueError):
    """The body is not one strict JSON document; the message says why, never what."""


class JsonObject(NamedTuple):
    fields: dict[str, Any]  # the last value of each name, as `json.loads` gives it
    pairs: list[tuple[str, Any]]  # every name and value as written, repeats included


def read_object(body: str) -> JsonObject | None:
    """The body as a JSON object; None when it is JSON but not an object.

    Raises `NotStrictJson` for anything that is not strict JSON: bad syntax, NaN/Infinity,
    nesting deeper than the parser's recursion limit."""
    written: list[list[tuple[str, Any]]] = [[]]

    def keep_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        written[0] = pairs  # the outermost object closes last: its pairs are kept at the end
        return dict(pairs)

    try:
        document = json.loads(body, object_pairs_hook=keep_pairs, parse_constant=_refuse)
    except (ValueError, RecursionError) as error:
        raise NotStrictJson(f"body is not valid JSON: {error}") from None
    return JsonObject(document, written[0]) if isinstance(document, dict) else None


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def repeated_names(pairs: list[tuple[str, Any]]) -> list[str]:
    """The names written more than once, sorted."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for name, _ in pairs:
        (repeated if name in seen else seen).add(name)
    return sorted(repeated)


def field_holding_pan(pairs: list[tuple[str, Any]]) -> str | None:
    """The first field, other than `pan`, whose name or value holds a PAN-shaped value in any
    spelling (`cards.find_pans`); None when there is none. A value that is not text is read
    as its JSON text, so a number or a list cannot hide one either."""
    for name, value in pairs:
        if name == "pan":
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if holds_pan(name) or holds_pan(text):
            return "a field name" if holds_pan(name) else name
    return None


def masked_body(body: str) -> str:
    """The copy of `body` a reject keeps: every PAN-shaped value masked, however written.

    A JSON `\\uXXXX` escape can spell a card number without a digit in the raw text
    ("\\u0034\\u0031..."): a body with one is stored re-serialised with its escapes decoded
    (or, if it is not JSON, with its escapes decoded in place) and then masked. A body over
    `MAX_BODY_CHARS` keeps only its head. The reject's digest is still of the body as received.
    """
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS]
    if "\\u" not in body:
        return mask_pans(body)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return mask_pans(_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), body))
    return mask_pans(json.dumps(document, ensure_ascii=False))
