"""A chunk of records crosses to the worker as one text and comes back to exactly its
records, whatever the values hold; where the text could not, it crosses as it is."""

from __future__ import annotations

import pickle
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from settlement.adapters.chunk_transfer import PackedRecords, Record, memoless, packed, pickled

HEADER = ["a", "b", "c"]
_VALUES = st.text(alphabet=st.sampled_from('ab,"\n \x1e\x1f\u0661'), max_size=6)


def _chunk(rows: list[list[str]], header: list[str] = HEADER) -> list[Record]:
    return [(number, header, values) for number, values in enumerate(rows, start=2)]


def test_plain_records_cross_as_one_text() -> None:
    chunk = _chunk([["x", "", "z"], ["1", "2", "3"]])
    sent = packed(chunk)
    assert isinstance(sent, PackedRecords)
    assert list(sent) == chunk


def test_a_separator_in_a_value_another_header_or_no_values_cross_as_they_are() -> None:
    for chunk in (
        _chunk([["x", "y\x1fz", "w"]]),
        _chunk([["x", "y\x1ez", "w"], ["1", "2", "3"]]),
        [*_chunk([["x", "y", "z"]]), (3, ["a", "b", "c"], ["1", "2", "3"])],  # an equal copy
        _chunk([["x", "y", "z"], []]),
    ):
        assert packed(chunk) is chunk


@given(st.lists(st.lists(_VALUES, min_size=0, max_size=4), min_size=1, max_size=6))
def test_whatever_the_values_the_worker_reads_the_records_sent(rows: list[list[str]]) -> None:
    chunk = _chunk(rows)
    assert list(pickle.loads(pickle.dumps(packed(chunk)))) == chunk


def test_a_result_pickled_without_a_memo_reads_back_equal() -> None:
    rows = [("T1", 1250, datetime(2026, 3, 11, 22), date(2026, 3, 12), None)] * 3
    assert pickle.loads(memoless(rows)) == rows


def test_plain_rows_go_without_a_memo_others_with_one() -> None:
    plain = [("T1", 1250, None)] * 3
    dated = [("T1", date(2026, 3, 12))] * 3
    assert pickled(plain, plain[0]) == memoless(plain)
    assert pickled(dated, dated[0]) == pickle.dumps(dated, pickle.HIGHEST_PROTOCOL)
    assert pickle.loads(pickled(dated, dated[0])) == dated
