"""One wire grammar: the JSON Schema shipped with the simulator and the gateway accept the
same language.

Whatever the schema refuses, the gateway rejects; whatever the gateway rejects, the schema
refuses too, or the reason is one of the checks the schema cannot make (Luhn, currency list,
decimals, ceiling, plausible time, a PAN in another field, body size), each named in the
schema's description. Bodies come from the schema itself and from valid messages with one
field given a hostile value: other scripts' digits, separators, extreme dates, huge sizes,
nulls, wrong types. The schema is judged as JSON Schema means it: ECMA-262 patterns (`$` is
the end of the text, not before a final newline as in Python) and formats asserted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from pos_simulator.contract import message_schema
from settlement.config import Settings
from settlement.domain import pos_message
from settlement.domain.pos_message import PosMessage, Rejection, RejectReason, parse_pos_message
from tests.support.example_budget import examples
from tests.support.hostile_messages import HOSTILE
from tests.support.message_fuzz import json_values, pan_like, schema_bodies
from tests.support.messages import message

PROPERTY = settings(
    deadline=None, database=None, derandomize=True, max_examples=examples(1500),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip
# The checks the schema cannot express, as its description lists them.
NOT_IN_THE_SCHEMA = {
    RejectReason.FAILED_LUHN, RejectReason.UNKNOWN_CURRENCY, RejectReason.RETIRED_CURRENCY,
    RejectReason.TOO_MANY_DECIMALS,
    RejectReason.AMOUNT_OUT_OF_RANGE, RejectReason.IMPLAUSIBLE_TIME,
    RejectReason.PAN_IN_WRONG_FIELD, RejectReason.BODY_TOO_LARGE,
}  # fmt: skip
WINDOW = Settings().time_window
NOW = datetime(2026, 11, 28, 12, 0)  # the day after the test messages' own


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """`pattern` as ECMA-262 reads it: an unanchored search where `$` ends the text."""
    if isinstance(instance, str) and not re.search(pattern.replace("$", r"\Z"), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
SCHEMA_VALIDATOR = EcmaValidator(message_schema(), format_checker=FormatChecker())


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("a name written twice")
    return dict(pairs)


def _refuse(constant: str) -> Any:
    raise ValueError(constant)


def schema_valid(body: str) -> bool:
    """The schema's verdict on a body: one strict JSON document (RFC 8259) that validates."""
    try:
        document = json.loads(body, object_pairs_hook=_no_repeats, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return False
    return bool(SCHEMA_VALIDATOR.is_valid(document))


def gateway_verdict(body: str) -> PosMessage | Rejection:
    """What the gateway decides, plausible-time window included."""
    parsed = parse_pos_message(body)
    if isinstance(parsed, Rejection):
        return parsed
    why = WINDOW.implausibility(NOW, parsed.local_time, parsed.sent_at)
    return parsed if why is None else Rejection(RejectReason.IMPLAUSIBLE_TIME, why)


def assert_agree(body: str) -> None:
    valid, verdict = schema_valid(body), gateway_verdict(body)
    if not valid:
        assert isinstance(verdict, Rejection), f"the schema refuses, the gateway took: {body!r}"
    elif isinstance(verdict, Rejection):
        assert verdict.reason in NOT_IN_THE_SCHEMA, f"{verdict} for a schema-valid {body!r}"


# ---------------------------------------------------------------- the patterns, one home


@pytest.mark.parametrize(
    ("field", "pattern"),
    [
        ("transaction_id", pos_message._IDENTIFIER.pattern),
        ("original_transaction_id", pos_message._IDENTIFIER.pattern),
        ("merchant_id", pos_message._SHORT_ID.pattern),
        ("terminal_id", pos_message._SHORT_ID.pattern),
        ("pan", pos_message._PAN.pattern),
        ("expiry", pos_message._EXPIRY.pattern),
        ("card_country", pos_message._COUNTRY.pattern),
        ("merchant_country", pos_message._COUNTRY.pattern),
        ("mcc", pos_message._MCC.pattern),
        ("local_time", pos_message.LOCAL_TIME_PATTERN),
        ("sent_at", pos_message.SENT_AT_PATTERN),
    ],
)
def test_the_schema_states_the_gateways_patterns(field: str, pattern: str) -> None:
    assert message_schema()["properties"][field]["pattern"] == f"^{pattern}$"
    assert "\\d" not in pattern and pattern.isascii()


def test_the_schema_lists_every_check_it_cannot_make() -> None:
    description = message_schema()["description"]
    for reason in NOT_IN_THE_SCHEMA:
        assert reason.value in description, reason


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(message_schema())


# ---------------------------------------------------------------- hostile values


DIGIT_SCRIPTS = ("٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "०१२३४५६७८९", "߀߁߂߃߄߅߆߇߈߉", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗")


def _other_script(text: str, digits: str) -> str:
    return text.translate(str.maketrans("0123456789", digits))


EXTREME_TIMES = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC])
    | st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes))),
).map(lambda instant: instant.isoformat())  # fmt: skip


EDGE_VALUES = (
    "", "0", "0.00", "01.00", "-1.00", "1e3", "1.", ".5", "+1.00", "1.00000", "13/29", "00/29",
    "2026-02-30T10:00:00Z", "2026-11-27T08:00:00+24:00", "2026-11-27T24:00:00Z",
    "2026-11-27T08:00:00.1234567Z", "2026-11-27t08:00:00z", "purchase", "refund", "chip",
    "EUR", "usd", "XXX", "nl",
)  # fmt: skip
SEPARATORS = (" ", "-", ".", "\u00a0", "\u2212", "/")
PADDING = (" ", "\n", "\t", "\u200b", "\ufeff")


def _inserted(text: str, cut: int, separator: str) -> str:
    return text[:cut] + separator + text[cut:]


def hostile_values(current: Any) -> st.SearchStrategy[Any]:
    """A value for one field: the current one respelled, or something else entirely."""
    text = current if isinstance(current, str) else "4111111111111111"
    wrong_types = st.booleans() | st.integers() | st.floats(allow_nan=False)
    return st.one_of(
        st.sampled_from(DIGIT_SCRIPTS).map(lambda digits: _other_script(text, digits)),
        st.builds(_inserted, st.just(text), st.integers(0, len(text)), st.sampled_from(SEPARATORS)),
        EXTREME_TIMES,
        st.builds(
            lambda unit, times: unit * times,
            st.sampled_from(["9", "t", "1234-", text]),
            st.sampled_from([65, 4301, 70_000]),
        ),  # fmt: skip
        st.none(),
        wrong_types | st.just([text]) | st.just({"v": text}),
        pan_like,
        json_values,
        st.sampled_from(EDGE_VALUES),
        st.just(text.swapcase()),
        st.sampled_from(PADDING).flatmap(lambda pad: st.sampled_from([pad + text, text + pad])),
    )


@st.composite
def mutated_bodies(draw: st.DrawFn) -> str:
    """A valid message with one field, or one extra field, given a hostile value."""
    document = message(draw(st.integers(0, 10_000)))
    name = draw(st.sampled_from([*document, "note", "4111111111111111"]))
    document[name] = draw(hostile_values(document.get(name)))
    if draw(st.integers(0, 9)) == 0:  # now and then a refund, where the original matters
        document["type"] = "refund"
    return json.dumps(document, ensure_ascii=draw(st.booleans()))


@PROPERTY
@given(mutated_bodies())
def test_hostile_values_get_the_same_verdict_from_schema_and_gateway(text: str) -> None:
    assert_agree(text)


@settings(PROPERTY, max_examples=examples(600))
@given(schema_bodies)
def test_schema_derived_messages_get_the_same_verdict(text: str) -> None:
    assert_agree(text)


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.name)
def test_every_corpus_case_gets_the_same_verdict(case: Any) -> None:
    assert_agree(case.body)


def test_valid_messages_are_valid_for_both() -> None:
    for index in range(200):
        text = json.dumps(message(index))
        assert schema_valid(text) and isinstance(gateway_verdict(text), PosMessage), text
