"""The parser's fast path never changes a verdict: whatever it accepts, the careful path
accepts as the same message; everything else the careful path judges, as before.

`parse_pos_message` tries the fast path (pydantic-core checks the shape in one pass) and
falls back to `careful_parse` at the first doubt. These tests hold the two to that, over
fuzzed bodies and over the edge cases where a JSON parser or a pattern engine could
disagree with Python's own (`json.loads`, `re`, `int`, `datetime.fromisoformat`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settlement.domain.pos_message import (
    PosMessage,
    Rejection,
    _fast_parse,
    careful_parse,
    parse_pos_message,
)
from tests.support.example_budget import examples
from tests.support.message_fuzz import garbage_bodies, near_valid_bodies, schema_bodies
from tests.support.messages import TEST_PANS, body, message

PROPERTY = settings(
    deadline=None, database=None, derandomize=True, max_examples=600,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip


def verdicts(text: str) -> tuple[PosMessage | None, PosMessage | Rejection]:
    """The fast path's answer and the careful one, checked against each other."""
    fast, careful = _fast_parse(text), careful_parse(text)
    if fast is not None:
        assert isinstance(careful, PosMessage), f"fast accepted, careful said {careful}: {text!r}"
        assert fast == careful, text
        assert [t.utcoffset() for t in fast[-2:]] == [t.utcoffset() for t in careful[-2:]]
        assert [type(v) for v in fast] == [type(v) for v in careful]
    assert parse_pos_message(text) == careful
    return fast, careful


# Plausible messages: valid ones with varied fields, then none to two fields borderline.
VALID: dict[str, st.SearchStrategy[Any]] = {
    "transaction_id": st.sampled_from(["tx-1", "0190a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", "a" * 64]),
    "merchant_id": st.sampled_from(["M0001", "m.1:2-3_"[:5] + "x", "M" * 32]),
    "pan": st.sampled_from(TEST_PANS),
    "currency_amount": st.sampled_from(
        [("EUR", "12.50"), ("EUR", "0.01"), ("JPY", "1250"), ("KWD", "3.125"), ("CLF", "1.0001"),
         ("EUR", "12.5"), ("JPY", "9999999999999"), ("USD", "99999999999.99")]
    ),
    "local_time": st.sampled_from(
        ["2026-11-27T08:01:00+01:00", "2026-03-29T02:30:00Z", "2026-10-25T02:30:00.123456-05:00",
         "2026-12-31T23:59:59+05:30", "2026-11-27T08:01:00-00:00", "2026-11-27T08:01:00+14:00"]
    ),
}  # fmt: skip
BORDERLINE: dict[str, st.SearchStrategy[Any]] = {
    "transaction_id": st.sampled_from(
        ["tx-4111111111111111", "4111111111111111", "tx-1234567890123", "a" * 65, "tx 1", "tx-١٢٣"]
    ),
    "original_transaction_id": st.sampled_from([None, "tx-0", "tx-5555555555554444", ""]),
    "terminal_id": st.sampled_from(["T-6011111111111117", "T" * 33, "", "T:0",
                                    "4111-1111-1111-1111", "6011.1111.1111.1117", "T-1234-5678"]),
    "pan": st.sampled_from(["4111111111111112", "411111111111", "4" * 20, "４111111111111111"]),
    "amount": st.from_regex(r"[0-9]{1,15}(\.[0-9]{0,5})?", fullmatch=True)
    | st.sampled_from(["01.00", "１２.00", "1e3", "-1.00", "0", "0.00", " 1.00"]),
    "currency": st.sampled_from(["XAU", "eur", "EURO", "JPY", "KWD"]),
    "mcc": st.sampled_from(["541", "٥٤١١", "54111", "７９９５"]),
    "entry_mode": st.sampled_from(["CHIP", "swipe", "contactless"]),
    "type": st.sampled_from(["refund", "reversal", "Purchase", "purchase"]),
    "local_time": st.sampled_from(
        ["2026-11-27T08:01:00", "2026-11-27", "2026-02-29T10:00Z", "2026-11-27T08:01+01:00:30",
         "2026-11-27 08:01:00+00:00", "2026-11-27T08:01+14:00", "0001-01-01T00:00:00+14:00",
         "9999-12-31T23:59:59-14:00", "2026-02-30T10:00:00Z", "2026-11-27T08:01:00.1234567Z",
         "٢٠٢٦-11-27T08:01:00+01:00"]
    ),
    "sent_at": st.sampled_from(["2026-11-27T07:01:02.5+05:30", "2026-11-27T07:01", "yesterday",
                                "0001-01-01T00:00:00Z", "2026-11-27T07:01:02+00:00"]),
}  # fmt: skip


@st.composite
def plausible_documents(draw: st.DrawFn) -> dict[str, Any]:
    document = message(draw(st.integers(0, 10_000)))
    for name, values in VALID.items():
        if name == "currency_amount":
            document["currency"], document["amount"] = draw(values)
        else:
            document[name] = draw(values)
    for name in draw(st.lists(st.sampled_from(sorted(BORDERLINE)), max_size=2)):
        document[name] = draw(BORDERLINE[name])
    return document


@settings(PROPERTY, max_examples=examples(600))
@given(garbage_bodies | near_valid_bodies | schema_bodies)
def test_fuzzed_bodies_get_the_careful_verdict(text: str) -> None:
    verdicts(text)


def test_plausible_messages_get_the_careful_verdict_and_mostly_the_fast_path() -> None:
    taken: list[bool] = []

    @PROPERTY
    @given(plausible_documents())
    def check(document: dict[str, Any]) -> None:
        fast, careful = verdicts(json.dumps(document))
        if isinstance(careful, PosMessage):
            taken.append(fast is not None)

    check()
    assert len(taken) >= 30 and sum(taken) >= len(taken) // 2, (sum(taken), len(taken))


@pytest.mark.parametrize(
    "text",
    [
        body(1)[:-1] + ',"transaction_id":"tx-9"}',  # a repeated key: the last one counts
        body(1)[:-1] + ',"pan":"4111111111111112"}',  # ... and here fails the Luhn check
        "\ufeff" + body(1),  # byte order mark
        body(1) + "x",  # trailing data
        body(1) + " \n",  # trailing whitespace is fine
        body(1)[:-1] + ',"note":"a\tb"}',  # raw control character in a string
        body(1)[:-1] + ',"note":"\\ud800"}',  # escaped lone surrogate in an unknown field
        body(1)[:-1] + ',"note":NaN}',  # json.loads accepts NaN, the fast path does not
        body(1)[:-1] + ',"note":' + "[" * 3000 + "]" * 3000 + "}",  # deep nesting
        body(1, transaction_id="\ud800"),  # lone surrogate in the text itself
        body(1, amount="01.00"),  # leading zero: careful path, still 1.00
        body(1, amount="１２.00"),  # fullwidth digits: careful path decides
        body(1, amount="1.001"),  # too many decimals for EUR
        body(1, amount="1.5", currency="JPY"),
        body(1, amount="9999999999999.99"),  # 13 digits: over the ceiling in cents
        body(1, amount="9999999999999", currency="JPY"),  # exactly the ceiling
        body(1, transaction_id="tx-4111111111111111"),  # a PAN inside an id
        body(1, terminal_id="T-5555555555554444"),
        body(1, transaction_id="tx-4111111111111112"),  # a long digit run that is no PAN
        body(1, type="refund"),  # no original
        body(1, original_transaction_id="tx-0"),  # a purchase naming one: original_on_purchase
        body(1)[:-1] + ',"mcc":"5411"}',  # a name written twice, the same value
        body(1)[:-1] + ',"note":"x"}',  # an unknown field
        body(1, terminal_id="4111-1111-1111-1111"),  # a written PAN in an id
        body(1, transaction_id="0190a1b2-1234-7123-8123-1234567890ab"),  # a UUID's digit groups
        body(1, transaction_id="tx-1234-5678-9012-3456"),  # groups standing alone, no Luhn
        body(1, sent_at="0001-01-01T00:00:00Z"),  # no overflow on either path
        body(1, local_time="0001-01-01T00:00:00+14:00"),
        body(1, local_time="9999-12-31T23:59:59-14:00"),
        body(1, local_time="2026-02-30T10:00:00+01:00"),
        body(1, amount="4111111111111", currency="JPY"),  # 13 digits: careful asks holds_pan
        " " * 70_000 + body(1),  # over the body limit, however valid
        body(1, local_time="2026-11-27T08:01:00"),  # no offset
        body(1, sent_at="2026-11-27T07:01:02.5+05:30"),
        body(1, local_time="2026-11-27T08:01:00+01:00:30"),  # an offset with seconds
        body(1, mcc="٥٤١١"),  # Arabic-Indic digits: only the careful pattern takes them
        body(1, expiry="13/29"),
        json.dumps({**message(1), "schema": "cardsettle.pos.v2"}),
        json.dumps({**message(1), "amount": 1.0}),
        json.dumps([message(1)]),
    ],
)
def test_edge_cases_get_the_careful_verdict(text: str) -> None:
    verdicts(text)


@pytest.mark.parametrize("currency, amount", [("EUR", "12.50"), ("JPY", "1250"), ("KWD", "3.125")])
def test_ordinary_messages_take_the_fast_path(currency: str, amount: str) -> None:
    for index in range(50):
        text = body(index, currency=currency, amount=amount, type="refund",
                    original_transaction_id=f"tx-{index}")  # fmt: skip
        fast, careful = verdicts(text)
        assert fast is not None and fast == careful


def test_uuid_transaction_ids_keep_the_fast_path() -> None:
    """The prefilter sends an id with a written PAN's layout to the careful path, and no
    UUID: their digit groups either touch hex letters or cannot open a card number."""
    import random
    import uuid

    rng = random.Random(14)
    digit_heavy = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(5_000)]
    # and UUIDs made of digits only, the likeliest to look like grouped card numbers
    digit_heavy += [uuid.UUID("".join(rng.choice("0123456789") for _ in range(32)))
                    for _ in range(5_000)]  # fmt: skip
    left = [str(u) for u in digit_heavy if _fast_parse(body(1, transaction_id=str(u))) is None]
    assert left == []
    assert _fast_parse(body(1, transaction_id="tx-4111-1111-1111-1111")) is None
