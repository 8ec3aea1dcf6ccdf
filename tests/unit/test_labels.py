"""The labels reader: the canonical-line shortcut is sound, bad files are one BadInput."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.domain.cards import holds_pan
from settlement.eod.labels import PLAIN_LINE, read_labels
from settlement.errors import BadInput

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
    ],
)
def test_a_bad_file_is_one_bad_input(tmp_path: Path, text: bytes, says: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(text)
    with pytest.raises(BadInput, match=says) as raised:
        read_labels(path)
    assert "5559" not in str(raised.value)
