"""Grouping a stream into lists of a fixed size, the one way every loader and sender does it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items, the last one shorter if need be; none for no items.
    (`itertools.batched`, from Python 3.12, gives tuples.)"""
    if size < 1:  # islice would give empty lists: every item silently dropped
        raise ValueError(f"batch size must be at least 1, got {size}")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
