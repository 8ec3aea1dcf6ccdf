"""The message's fields have one home, the domain's `MESSAGE_FIELDS`; everything else that
spells them is held to it: the shipped JSON Schema, the simulator's vocabulary and faults,
the gateway's fast validator, and the hand-written f-strings that render messages on the
simulator's hot paths (`records.message_line` and the flat loop in `everyday`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from pos_simulator.config import DayConfig
from pos_simulator.contract import SCHEMA_RESOURCE, message_schema
from pos_simulator.dayfiles import iter_message_lines, read_faults
from pos_simulator.faults import DROPPABLE_FIELDS
from pos_simulator.generate import generate_day, pools_for
from pos_simulator.records import Txn, message_fields, message_line
from pos_simulator.vocabulary import (
    ENTRY_MODES,
    MALFORMED_FAULTS,
    MESSAGE_KEYS,
    SCHEMA_ID,
    TRANSACTION_TYPES,
)
from settlement.domain import pos_message
from settlement.domain.pos_message import MESSAGE_FIELDS, NULLABLE_FIELDS, REQUIRED_FIELDS
from settlement.domain.transactions import EntryMode, TransactionType

CONFIG = DayConfig(seed=15, business_date=date(2026, 11, 27), transactions=1_500,
                   merchants=20, cards=300)  # fmt: skip
LOCAL, SENT = "2026-11-27T14:03:09+01:00", "2026-11-27T13:03:10.412Z"


def test_the_shipped_schema_has_exactly_the_domain_fields_in_order() -> None:
    schema = message_schema()
    assert list(schema["properties"]) == list(MESSAGE_FIELDS)
    assert schema["required"] == list(MESSAGE_FIELDS)  # null, never absent, for NULLABLE
    assert schema["additionalProperties"] is False


def test_the_shipped_schema_states_the_domain_values() -> None:
    schema = message_schema()
    properties = schema["properties"]
    assert schema["title"] == SCHEMA_ID == pos_message.SCHEMA_ID
    assert SCHEMA_RESOURCE == f"{SCHEMA_ID}.json" and schema["$id"].endswith(SCHEMA_RESOURCE)
    assert properties["schema"]["const"] == SCHEMA_ID
    assert properties["type"]["enum"] == [kind.value for kind in TransactionType]
    assert properties["entry_mode"]["enum"] == [mode.value for mode in EntryMode]
    nullable = [name for name, spec in properties.items() if "null" in spec.get("type", [])]
    assert nullable == list(NULLABLE_FIELDS)


def test_the_simulator_and_the_fast_validator_take_the_domain_lists() -> None:
    assert MESSAGE_KEYS == MESSAGE_FIELDS
    assert TRANSACTION_TYPES == tuple(kind.value for kind in TransactionType)
    assert ENTRY_MODES == tuple(mode.value for mode in EntryMode)
    assert REQUIRED_FIELDS == tuple(f for f in MESSAGE_FIELDS if f not in NULLABLE_FIELDS)
    assert set(DROPPABLE_FIELDS) == set(REQUIRED_FIELDS) - {"schema"}
    assert tuple(pos_message._fast_shapes()) == MESSAGE_FIELDS


def _txns() -> list[Txn]:
    pools = pools_for(CONFIG)
    merchant, card = pools.merchants[0], pools.cards[0]
    purchase = Txn(0, "T-1", "purchase", None, merchant, "TERM-1", card, 1250, "chip", "legit")
    refund = Txn(0, "T-2", "refund", "T-1", merchant, "TERM-1", card, 250, "manual", "legit")
    return [purchase, refund]


def test_the_rendered_message_is_exactly_the_domain_fields() -> None:
    """`message_line` is a hand-written f-string for speed; this pins it to the list."""
    for txn in _txns():
        line = message_line(txn, LOCAL, SENT)
        assert list(json.loads(line)) == list(MESSAGE_FIELDS)
        fields = message_fields(txn, LOCAL, SENT)
        assert list(fields) == list(MESSAGE_FIELDS)
        assert line == json.dumps(fields, separators=(",", ":")) + "\n"


def test_every_line_of_a_generated_day_is_exactly_the_domain_fields(tmp_path: Path) -> None:
    """Most lines come from the flat loop in `everyday`, which spells its own f-string."""
    generate_day(CONFIG, tmp_path)
    malformed = {row.line for row in read_faults(tmp_path) if row.fault in MALFORMED_FAULTS}
    lines = [text for number, text in iter_message_lines(tmp_path) if number not in malformed]
    assert len(lines) > 1_000
    for text in lines:
        assert list(json.loads(text)) == list(MESSAGE_FIELDS), text
