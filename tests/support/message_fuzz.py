"""Hypothesis strategies for message bodies: garbage, arbitrary JSON, near-valid and
schema-derived. Shared by the handler fuzz and the parser's fast-path equivalence test.

Bodies are drawn from what SQS can carry (XML 1.0 characters: no NUL, no lone surrogates,
no U+FFFE/U+FFFF), but JSON escapes inside them may spell anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.support.messages import TEST_PANS, luhn_pan, message

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "pos_simulator/schema/cardsettle.pos.v1.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())

sqs_text_chars = st.characters(
    min_codepoint=0x20, exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"
) | st.sampled_from("\t\n\r")
# Inside JSON strings anything goes: json.dumps escapes control characters and surrogates.
any_chars = st.characters(codec=None)
pan_like = st.one_of(
    st.sampled_from(TEST_PANS),
    st.randoms(use_true_random=False).map(lambda rng: luhn_pan(rng, "5", 16)),
    st.builds(lambda pan, pre, post: pre + pan + post, st.sampled_from(TEST_PANS),
              st.text(any_chars, max_size=4), st.text(any_chars, max_size=4)),
)  # fmt: skip
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(any_chars, max_size=40), pan_like,
)  # fmt: skip
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# A small pool of ids makes redeliveries, duplicates and conflicts across examples common.
transaction_ids = st.sampled_from([f"tx-{n:04d}" for n in range(40)])


def field_strategy(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a JSON Schema property admits: const, enum, pattern, or typed text.

    Built here rather than with hypothesis-jsonschema, whose object strategy breaks on
    current Hypothesis and whose `format` filtering made generation minutes slow.
    """
    if "const" in spec:
        return st.just(spec["const"])
    if "enum" in spec:
        return st.sampled_from(spec["enum"])
    if "pattern" in spec:
        return st.from_regex(spec["pattern"], fullmatch=True)
    text = st.text(any_chars, min_size=spec.get("minLength", 0), max_size=spec.get("maxLength", 64))
    return text | st.none() if "null" in spec.get("type", []) else text


schema_fields = {name: field_strategy(sub) for name, sub in SCHEMA["properties"].items()}


def _dumps(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), allow_nan=False)


garbage_bodies = st.one_of(
    st.text(sqs_text_chars, max_size=300),
    json_values.map(_dumps),
    st.builds(lambda text, cut: text[:cut], st.just(_dumps(message(1))), st.integers(0, 400)),
)


@st.composite
def near_valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid message with one to three fields removed, retyped or replaced."""
    document = message(draw(st.integers(0, 10_000)))
    document["transaction_id"] = draw(transaction_ids)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*document, "unexpected_field"]))
        action = draw(st.sampled_from(["drop", "json", "schema", "pan", "text"]))
        if action == "drop":
            document.pop(name, None)
        elif action == "json":
            document[name] = draw(json_values)
        elif action == "schema" and name in schema_fields:
            document[name] = draw(schema_fields[name])
        elif action == "pan":
            document[name] = draw(pan_like)
        else:
            document[name] = draw(st.text(any_chars, max_size=70))
    return document


@st.composite
def schema_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Messages valid against the JSON Schema, field by field (its `allOf` applied)."""
    document = {name: draw(strategy) for name, strategy in schema_fields.items()}
    if draw(st.booleans()):  # mostly plausible ids and amounts, so some of them stage
        document.update(transaction_id=draw(transaction_ids), pan=draw(st.sampled_from(TEST_PANS)),
                        currency=draw(st.sampled_from(["EUR", "JPY", "KWD", "USD"])))  # fmt: skip
    if document["type"] == "purchase":
        document["original_transaction_id"] = None
    elif not document["original_transaction_id"]:
        document["original_transaction_id"] = draw(transaction_ids)
    return document


near_valid_bodies = near_valid_documents().map(_dumps)
schema_bodies = schema_documents().map(_dumps)
