"""`batched`: every item once, in order, in lists of the size asked, the last one shorter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.batching import batched


@given(items=st.lists(st.integers(), max_size=60), size=st.integers(1, 12))
def test_batches_keep_every_item_in_order(items: list[int], size: int) -> None:
    batches = list(batched(iter(items), size))
    assert [item for batch in batches for item in batch] == items
    assert all(len(batch) == size for batch in batches[:-1])
    assert all(1 <= len(batch) <= size for batch in batches)


def test_no_items_no_batches_and_a_size_below_one_is_refused() -> None:
    assert list(batched([], 3)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(batched([1, 2], 0))
