"""The simulator's ground truth as the scorecard reads it, in a small share of a dict's memory.

Why: labels.csv labels every transaction of the day, 99 % of them `legit`. Held as a dict of
strings, a million-line file took ~180 MB (and as much again while it was read whole), the
end of day's largest allocation at 1M transactions. The scorecard needs each fraud id's
scenario, and of a legit id only that it is labelled (for the `unlabelled` count). So fraud
ids keep their scenario in a dict (about 1 % of the lines), and legit ids are only members
of a set: a canonical lowercase UUID, every simulator id, as its 16 bytes (exact: the
text is a function of the bytes, so no two ids share a member), any other id as itself.

It reads as the `Mapping[str, str]` the file's lines make, a later line winning as in a
dict; only iteration order differs (fraud ids first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar, overload

from settlement.domain.transactions import LEGIT_LABEL

_KEY_BYTES = 16
_T = TypeVar("_T")
_BUCKETS = 1 << 16  # ~15 keys a bucket at 1M ids: a lookup is one short `find`
_MASK = _BUCKETS - 1


def _uuid_key(transaction_id: str) -> bytes | None:
    """The id's 16 bytes when it is a canonical lowercase UUID, else None.

    Why not a regex: it ran twice a label at 1M ids (reading the file, then scoring the
    day). The dashes sit where a UUID's do and the rest is 32 characters; `fromhex` takes
    them, and `hex()` giving them back means they were exactly lowercase hex digits (it
    also takes upper case and skips spaces). tests/unit/test_labels.py holds it to the
    pattern `[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}`."""
    if len(transaction_id) != 36 or (
        transaction_id[8] != "-"
        or transaction_id[13] != "-"
        or transaction_id[18] != "-"
        or transaction_id[23] != "-"
    ):
        return None
    digits = transaction_id.replace("-", "")
    if len(digits) != 32:
        return None
    try:
        key = bytes.fromhex(digits)
    except ValueError:
        return None
    return key if key.hex() == digits else None


def _bucket(key: bytes) -> int:
    return hash(key) & _MASK


def _uuid_text(key: bytes) -> str:
    digits = key.hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


class _UuidSet:
    """A set of 16-byte keys packed into 65,536 byte strings, by the key's hash: ~22 bytes a
    key at a million keys, where a `set` of 128-bit ints took ~76. The bucket is chosen by
    Python's hash of the bytes (SipHash, seeded per process), not by bytes of the id: a
    labels file of ids chosen to share a bucket would make each add scan all the others
    (a million such ids: hours). Only iteration order depends on the seed; nothing reads
    the legit ids in order."""

    __slots__ = ("_buckets", "_size")

    def __init__(self) -> None:
        self._buckets: list[bytearray | None] = [None] * _BUCKETS
        self._size = 0

    def _find(self, bucket: bytearray, key: bytes) -> int:
        at = bucket.find(key)
        while at != -1 and at % _KEY_BYTES:  # a match across two keys is not a key
            at = bucket.find(key, at + 1)
        return at

    def add(self, key: bytes) -> None:
        # `_bucket` and `_find`'s first step written out: a million adds a day
        index = hash(key) & _MASK
        bucket = self._buckets[index]
        if bucket is None:
            self._buckets[index] = bytearray(key)
        elif (at := bucket.find(key)) == -1 or (at % _KEY_BYTES and self._find(bucket, key) == -1):
            bucket += key
        else:
            return
        self._size += 1

    def discard(self, key: bytes) -> None:
        bucket = self._buckets[_bucket(key)]
        at = -1 if bucket is None else self._find(bucket, key)
        if bucket is not None and at != -1:
            del bucket[at : at + _KEY_BYTES]
            self._size -= 1

    def __contains__(self, key: bytes) -> bool:
        bucket = self._buckets[hash(key) & _MASK]
        if bucket is None or (at := bucket.find(key)) == -1:
            return False
        return at % _KEY_BYTES == 0 or self._find(bucket, key) != -1

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        for bucket in self._buckets:
            for at in range(0, len(bucket or b""), _KEY_BYTES):
                yield bytes(bucket[at : at + _KEY_BYTES])  # type: ignore[index]

    def packed(self) -> bytes:
        """Every key, 16 bytes each, in one bytes (a million keys: 16 MB, ~0.025 s)."""
        return b"".join(bucket for bucket in self._buckets if bucket)

    @classmethod
    def unpacked(cls, keys: bytes) -> _UuidSet:
        """The set of `packed`'s keys, rebuilt: the buckets follow this process's hash seed."""
        if len(keys) % _KEY_BYTES:
            raise ValueError(f"packed keys are {_KEY_BYTES} bytes each, not {len(keys)} in all")
        found = cls()
        for at in range(0, len(keys), _KEY_BYTES):
            found.add(keys[at : at + _KEY_BYTES])
        return found


class LabelSet(Mapping[str, str]):
    """transaction id -> label, built line by line with `add`."""

    __slots__ = ("_legit_others", "_legit_uuids", "fraud")

    def __init__(self) -> None:
        self.fraud: dict[str, str] = {}  # id -> scenario (any label but legit)
        self._legit_uuids = _UuidSet()
        self._legit_others: set[str] = set()

    def add(self, transaction_id: str, label: str) -> None:
        """Label one id; a later label of the same id replaces the earlier one."""
        key = _uuid_key(transaction_id)
        if label == LEGIT_LABEL:
            if transaction_id in self.fraud:
                del self.fraud[transaction_id]
            if key is None:
                self._legit_others.add(transaction_id)
            else:
                self._legit_uuids.add(key)
            return
        self.fraud[transaction_id] = label
        if key is None:
            self._legit_others.discard(transaction_id)
        else:
            self._legit_uuids.discard(key)

    def is_legit(self, transaction_id: str) -> bool:
        key = _uuid_key(transaction_id)
        if key is None:
            return transaction_id in self._legit_others
        return key in self._legit_uuids

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str | _T, /) -> str | _T: ...

    def get(self, key: str, default: object = None, /) -> object:
        """As `Mapping.get`, without raising and catching a KeyError for an unlabelled id."""
        label = self.fraud.get(key)
        if label is not None:
            return label
        # `is_legit` written out: a million lookups a day
        uuid = _uuid_key(key)
        if uuid is None:
            return LEGIT_LABEL if key in self._legit_others else default
        return LEGIT_LABEL if uuid in self._legit_uuids else default

    def __getitem__(self, key: str) -> str:
        label = self.get(key)
        if label is None:
            raise KeyError(key)
        return label

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.fraud or self.is_legit(key))

    def __len__(self) -> int:
        return len(self.fraud) + len(self._legit_uuids) + len(self._legit_others)

    def __iter__(self) -> Iterator[str]:
        yield from self.fraud
        yield from map(_uuid_text, self._legit_uuids)
        yield from self._legit_others

    def packed(self) -> PackedLabels:
        return PackedLabels(
            dict(self.fraud), self._legit_uuids.packed(), frozenset(self._legit_others)
        )

    @classmethod
    def unpacked(cls, packed: PackedLabels) -> LabelSet:
        """The labels `packed` holds, as they were (a 1M day's: ~0.6 s)."""
        labels = cls()
        labels.fraud.update(packed.fraud)
        labels._legit_uuids = _UuidSet.unpacked(packed.legit_uuids)
        labels._legit_others.update(packed.legit_others)
        return labels


@dataclass(frozen=True, slots=True)
class PackedLabels:
    """A `LabelSet` as plain values that cross to another process cheaply: a million lines'
    legit ids as one 16 MB bytes (packed and pickled in ~0.04 s). The set's buckets are
    placed by this process's hash seed, which another process does not share: it rebuilds
    them (`LabelSet.unpacked`, ~0.6 s a million)."""

    fraud: dict[str, str]
    legit_uuids: bytes  # 16 bytes a canonical UUID
    legit_others: frozenset[str]


def pack_labels(labels: Mapping[str, str]) -> PackedLabels:
    return (labels if isinstance(labels, LabelSet) else _label_set(labels)).packed()


def _label_set(labels: Mapping[str, str]) -> LabelSet:
    found = LabelSet()
    for transaction_id, label in labels.items():
        found.add(transaction_id, label)
    return found


def fraud_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    """id -> scenario of the labelled fraud, without walking a `LabelSet`'s legit ids."""
    if isinstance(labels, LabelSet):
        return labels.fraud
    return {tid: label for tid, label in labels.items() if label != LEGIT_LABEL}
