"""The labels reader: the canonical-line shortcut is sound, bad files are one BadInput."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settlement.domain.cards import holds_pan
from settlement.domain.fraud.labelset import LabelSet, PackedLabels, fraud_labels, pack_labels
from settlement.eod.labels import PLAIN_LINE, read_label_set, read_labels
from settlement.errors import BadInput
from tests.support.labels_reference import reference_labels

HEX = "0123456789abcdef"
# digits weighted up: all-digit groups are where a PAN could hide
UUID_CHARS = st.sampled_from("0123456789" * 6 + HEX)


def _group(size: int) -> st.SearchStrategy[str]:
    return st.text(UUID_CHARS, min_size=size, max_size=size)


@given(
    st.tuples(*(_group(n) for n in (8, 4, 4, 4, 12))),
    st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
)
def test_a_line_the_shortcut_skips_never_holds_a_pan(groups: tuple[str, ...], label: str) -> None:
    line = "-".join(groups) + "," + label
    assert not (PLAIN_LINE.fullmatch(line) and holds_pan(line))


@pytest.mark.parametrize(
    "line",
    [
        "01a136d9-bb8c-773e-8da2-501800000009,legit",  # a 12-digit Maestro as the last group
        "12345678-5018-0000-0009-abcdef012345,legit",  # one in the three groups of four
    ],
)
def test_a_uuid_holding_a_maestro_pan_is_scanned(line: str) -> None:
    assert holds_pan(line) and not PLAIN_LINE.fullmatch(line)


def test_the_shortcut_takes_a_simulators_line() -> None:
    assert PLAIN_LINE.fullmatch("01a136d9-bb8c-773e-8da2-f5628c476243,legit")


def test_reads_the_simulators_file(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "transaction_id,label\r\n01a136d9-bb8c-773e-8da2-f5628c476243,legit\r\n"
        "P2,card_testing\r\n\r\n"
    )
    assert read_labels(path) == {
        "01a136d9-bb8c-773e-8da2-f5628c476243": "legit", "P2": "card_testing",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"", "header is ''"),
        (b"transaction_id\nP1\n", "header is 'transaction_id'"),
        (b"transaction_id,label\nP1,\n", "line 2: expected 2 non-empty columns"),
        (b"transaction_id,label\nP1,legit,extra\n", "line 2: expected 2"),
        (b"transaction_id,label\nP1,legit\nP2,5500-0055-5555-5559\n", "line 3 holds a card"),
        (b"transaction_id,label\n\xff\xfe\n", "not UTF-8"),
        # PostgreSQL stores no NUL: read, it failed the whole end of day there (red team)
        (b"transaction_id,label\nP1,legit\nab\x00c,card_testing\n", "line 3: holds a NUL"),
        (b"transaction_id,label\nP1,card\x00testing\n", "line 2: holds a NUL"),
    ],
)
def test_a_bad_file_is_one_bad_input(tmp_path: Path, text: bytes, says: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(text)
    with pytest.raises(BadInput, match=says) as raised:
        read_labels(path)
    assert "5559" not in str(raised.value)


# --- the streaming reader and the LabelSet against the whole-text reader ----------------------

_UUID = "01a136d9-bb8c-773e-8da2-f5628c476243"
_PIECES = st.sampled_from(
    [
        _UUID, _UUID.upper(), "01a136d9-bb8c-773e-8da2-501800000009", "P1", " P2 ", '"P,3"',
        "5500-0055-5555-5559", ",", "legit", "card_testing", "Legit", " legit", "\n", "\r",
        "\r\n", "\x0b", "\x85", "\u2028", "\x1c", "", '"', "\xff", "é",
    ]
)  # fmt: skip
_ROWS = st.lists(
    st.tuples(_PIECES, _PIECES, st.sampled_from(["legit", "card_testing", "amount_spike"])),
    max_size=12,
)
_HEADERS = st.sampled_from(["transaction_id,label", " transaction_id , label", "id,label", ""])
_ENDS = st.sampled_from(["\n", "\r\n", "\r", "\x0b", "\u2028"])


def _outcome(read: Callable[[Path], Mapping[str, str]], path: Path) -> object:
    try:
        return dict(read(path).items())
    except BadInput as error:
        return str(error)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_HEADERS, rows=_ROWS, end=_ENDS, raw=st.sampled_from([b"", b"\xff", b"\xc3"]))
def test_the_streaming_reader_reads_what_the_whole_text_reader_read(
    tmp_path: Path, header: str, rows: list[tuple[str, str, str]], end: str, raw: bytes
) -> None:
    lines = [header] + [f"{a}{b},{label}" if b != "," else f"{a},{label}" for a, b, label in rows]
    path = tmp_path / "labels.csv"
    path.write_bytes(end.join(lines).encode() + raw)
    expected = _outcome(reference_labels, path)
    assert _outcome(read_labels, path) == expected
    assert _outcome(read_label_set, path) == expected


@given(
    st.lists(
        st.tuples(
            st.sampled_from([_UUID, _UUID.upper(), "P1", "01a136d9-bb8c-773e-8da2-f5628c476244"]),
            st.sampled_from(["legit", "card_testing", "amount_spike"]),
        )
    ),
    st.sampled_from([_UUID, _UUID.upper(), "P1", "P2", "x" * 36]),
)
def test_a_label_set_answers_as_the_dict_of_the_same_lines(
    lines: list[tuple[str, str]], asked: str
) -> None:
    labels, compact = {}, LabelSet()
    for transaction_id, label in lines:
        labels[transaction_id] = label
        compact.add(transaction_id, label)
    assert compact.get(asked) == labels.get(asked)
    assert (asked in compact) == (asked in labels)
    assert dict(compact.items()) == labels and len(compact) == len(labels)
    assert dict(fraud_labels(compact)) == dict(fraud_labels(labels))
    for packed in (pack_labels(compact), pack_labels(labels)):  # as a second process gets them
        unpacked = LabelSet.unpacked(pickle.loads(pickle.dumps(packed)))
        assert dict(unpacked.items()) == labels and len(unpacked) == len(labels)
        assert unpacked.get(asked) == labels.get(asked)


def test_packed_keys_of_another_length_are_refused() -> None:
    keys = LabelSet.unpacked(PackedLabels({}, bytes(32), frozenset()))
    assert len(keys) == 1  # the 16 zero bytes, once
    with pytest.raises(ValueError, match="16 bytes each, not 33 in all"):
        LabelSet.unpacked(PackedLabels({}, bytes(33), frozenset()))


def test_a_packed_id_is_never_found_across_two_others() -> None:
    """Two keys side by side in one bucket spell a third at a misaligned offset: not a member."""
    first = bytes(range(14)) + b"\x00\x01"
    second = bytes(range(20, 26)) + b"\x00\x01" + bytes(range(30, 36)) + b"\x00\x01"
    spelled = first[8:] + second[:8]
    ids = [_text(key) for key in (first, second, spelled)]
    labels = LabelSet()
    labels.add(ids[0], "legit")
    labels.add(ids[1], "legit")
    assert ids[2] not in labels and labels.get(ids[2]) is None and len(labels) == 2
    labels.add(ids[2], "legit")
    labels.add(ids[2], "legit")
    assert len(labels) == 3 and labels[ids[2]] == "legit"
    labels.add(ids[0], "card_testing")
    assert labels.get(ids[0]) == "card_testing" and ids[1] in labels and len(labels) == 3
    assert sorted(labels) == sorted(ids)


def _text(key: bytes) -> str:
    digits = key.hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def test_ids_chosen_to_share_their_last_bytes_do_not_share_a_bucket() -> None:
    """A hostile labels file of ids alike in every byte a bucket could be picked by would
    make each add scan all the others; the bucket is the key's (seeded) hash instead."""
    from settlement.domain.fraud.labelset import _KEY_BYTES, _UuidSet  # noqa: PLC0415

    uuids = _UuidSet()
    for n in range(2_000):
        uuids.add(n.to_bytes(14) + b"\xab\xcd")
    assert len(uuids) == 2_000
    assert max(len(b or b"") for b in uuids._buckets) <= 8 * _KEY_BYTES


# The pattern `_uuid_key` stands for: the regex it replaced on the hot path.
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID_ALPHABET = st.sampled_from([*"0123456789abcdefABCDEF-", " ", "\t", "\n", "g", "é", "٣"])


@given(
    st.one_of(
        st.uuids().map(str),
        st.uuids().map(lambda u: str(u).upper()),
        st.text(_UUID_ALPHABET, min_size=30, max_size=40),
        st.builds(
            lambda u, at, char: (text := str(u))[:at] + char + text[at + 1 :],
            st.uuids(), st.integers(0, 35), _UUID_ALPHABET,
        ),
    )
)  # fmt: skip
def test_a_packed_key_is_made_of_exactly_the_canonical_uuids(text: str) -> None:
    from settlement.domain.fraud.labelset import _uuid_key  # noqa: PLC0415  (private)

    key = _uuid_key(text)
    if _CANONICAL.fullmatch(text):
        assert key is not None and _text(key) == text
    else:
        assert key is None
