"""How a chunk of CSV records goes to the worker process that checks it, and how its result
comes back (`line_checks`): in shapes that cost little to pickle. (A chunk of plain lines,
`csv_chunks.PlainLines`, is one text already and goes as it is.)

Pickled as they are, a chunk's records (a tuple, a header list and a values list each) and
a chunk's rows (a tuple each) cost a million-line journal import ~12 s of CPU across the two
processes (py-spy, 2026-12-04): per object, the pickler and unpickler remember every string
and the unpickled containers wake the cyclic garbage collector. So a chunk goes as one text
(the values joined by unit separators, the records by record separators) with its line
numbers, when no value holds either separator (counted, not assumed: else it goes as it
is), and the worker splits one record at a time. The result comes back pickled without a
memo (`Pickler.fast`) when its rows are plain values, which repeat no object worth
remembering (SQLite's rows; PostgreSQL's hold datetimes, pickled as before).
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from settlement.adapters.csv_chunks import Record

_FIELD, _RECORD = "\x1f", "\x1e"  # ASCII unit and record separators


@dataclass(frozen=True, slots=True)
class PackedRecords:
    """A chunk's records sharing one header, the values of all of them in one text."""

    header: list[str]
    numbers: list[int]
    text: str

    def __iter__(self) -> Iterator[Record]:
        header = self.header
        for number, record in zip(self.numbers, self.text.split(_RECORD), strict=True):
            yield number, header, record.split(_FIELD)


def packed(chunk: list[Record]) -> PackedRecords | list[Record]:
    """The chunk as one text, or as it is where the text would not split back into exactly
    its records: another header, a record without values, a separator inside a value."""
    header, numbers, joined, joints = chunk[0][1], [], [], 0
    for number, record_header, values in chunk:
        if record_header is not header or not values:
            return chunk
        numbers.append(number)
        joined.append(_FIELD.join(values))
        joints += len(values) - 1
    text = _RECORD.join(joined)
    if text.count(_FIELD) != joints or text.count(_RECORD) != len(chunk) - 1:
        return chunk  # a value holds a separator
    return PackedRecords(header, numbers, text)


_PLAIN = (str, int, type(None))


def pickled(result: Any, sample: object) -> bytes:
    """`result` pickled to cross back: without a memo when `sample` (its first line) is a
    tuple of plain values (str, int, None), else as usual. A datetime pickled without a memo
    writes its class's name every time: PostgreSQL's rows took 55% more time that way, the
    SQLite rows' text 40% less (pickled and read back, 100k lines)."""
    if isinstance(sample, tuple) and all(type(value) in _PLAIN for value in sample):
        return memoless(result)
    return pickle.dumps(result, pickle.HIGHEST_PROTOCOL)


def memoless(result: Any) -> bytes:
    """`result` pickled without a memo: only for plain values that share nothing needed
    (a shared object is written once per use; a cycle would never end)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(result)
    return buffer.getvalue()
