"""The simulator's ground truth as the scorecard reads it, in a small share of a dict's memory.

Why: labels.csv labels every transaction of the day, 99 % of them `legit`. Held as a dict of
strings, a million-line file took ~180 MB (and as much again while it was read whole), the
end of day's largest allocation at 1M transactions. The scorecard needs each fraud id's
scenario, and of a legit id only that it is labelled (for the `unlabelled` count). So fraud
ids keep their scenario in a dict (about 1 % of the lines), and legit ids are only members
of a set: a canonical lowercase UUID, every simulator id, as its 128-bit integer (exact: the
text is a function of the integer, so no two ids share a member), any other id as itself.

It reads as the `Mapping[str, str]` the file's lines make, a later line winning as in a
dict; only iteration order differs (fraud ids first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from settlement.domain.transactions import LEGIT_LABEL

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid_key(transaction_id: str) -> int | None:
    """The id as a 128-bit integer when it is a canonical lowercase UUID, else None."""
    if len(transaction_id) == 36 and _CANONICAL_UUID.fullmatch(transaction_id):
        return int(transaction_id.replace("-", ""), 16)
    return None


def _uuid_text(key: int) -> str:
    digits = f"{key:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


class LabelSet(Mapping[str, str]):
    """transaction id -> label, built line by line with `add`."""

    __slots__ = ("_legit_others", "_legit_uuids", "fraud")

    def __init__(self) -> None:
        self.fraud: dict[str, str] = {}  # id -> scenario (any label but legit)
        self._legit_uuids: set[int] = set()
        self._legit_others: set[str] = set()

    def add(self, transaction_id: str, label: str) -> None:
        """Label one id; a later label of the same id replaces the earlier one."""
        key = _uuid_key(transaction_id)
        if label == LEGIT_LABEL:
            if self.fraud:
                self.fraud.pop(transaction_id, None)
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

    def __getitem__(self, key: str) -> str:
        label = self.fraud.get(key)
        if label is not None:
            return label
        if self.is_legit(key):
            return LEGIT_LABEL
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.fraud or self.is_legit(key))

    def __len__(self) -> int:
        return len(self.fraud) + len(self._legit_uuids) + len(self._legit_others)

    def __iter__(self) -> Iterator[str]:
        yield from self.fraud
        yield from map(_uuid_text, self._legit_uuids)
        yield from self._legit_others


def fraud_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    """id -> scenario of the labelled fraud, without walking a `LabelSet`'s legit ids."""
    if isinstance(labels, LabelSet):
        return labels.fraud
    return {tid: label for tid, label in labels.items() if label != LEGIT_LABEL}
