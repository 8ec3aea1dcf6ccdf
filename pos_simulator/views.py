"""Some of a pool's items by their indices in it: a view where a tuple would copy references.

An index packed in an `array` takes 4 bytes where a tuple's reference takes 8 (and a `range`
none), and the pools are large: 500,000 cards and 50,000 merchants at 1M transactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class At(Sequence[T]):
    """`items[i]` for each `i` of `indices` (a range, or packed indices), in that order."""

    __slots__ = ("_indices", "_items")

    def __init__(self, items: Sequence[T], indices: Sequence[int]) -> None:
        self._items, self._indices = items, indices

    def __len__(self) -> int:
        return len(self._indices)

    @property
    def indices(self) -> Sequence[int]:
        return self._indices

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self._items[i] for i in self._indices[index])
        return self._items[self._indices[index]]
