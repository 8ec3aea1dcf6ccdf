"""Capture reading: the runs a direct-transport worker reads hold exactly what
`read_bodies` yields, in order, with the same line numbers."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.gateway.capture import line_runs, read_bodies, read_run
from tests.support.example_budget import examples

_PIECES = st.sampled_from(
    [
        b'{"a":1}',
        b"\n",
        b"\r\n",
        b"\r",
        b"",
        b"   ",
        b"\xff\xfe",
        b"\xe2\x82",
        b"\xf0\x9f",
        "é€😀".encode(),
        b'{"b":"x\\n"}',
    ]  # fmt: skip
)


@settings(max_examples=examples(200))
@given(content=st.lists(_PIECES, max_size=40).map(b"".join), size=st.integers(1, 7))
def test_runs_read_back_what_read_bodies_yields(content: bytes, size: int) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        capture = Path(workdir) / "messages.jsonl"
        capture.write_bytes(content)
        runs = list(line_runs(capture, size))
        read = [read_run(capture, run) for run in runs]
        assert [body for bodies in read for body in bodies] == list(read_bodies(capture))
    edges = [0, *(edge for run in runs for edge in (run.start, run.end)), len(content)]
    assert edges[::2] == edges[1::2]  # contiguous, from the first byte to the last
    firsts = [run.first_line for run in runs]
    assert all(later - earlier == size for earlier, later in itertools.pairwise(firsts))


def test_lines_end_at_newline_with_crlf_dropped_and_bad_bytes_replaced(tmp_path: Path) -> None:
    capture = tmp_path / "messages.jsonl"
    capture.write_bytes(b'{"a":1}\r\n\n  \nbad \xff\n{"b":2}')
    assert list(read_bodies(capture)) == [
        (1, '{"a":1}'),
        (3, "  "),
        (4, "bad \ufffd"),  # an SQS body is Unicode text: the gateway rejects it by field
        (5, '{"b":2}'),
    ]
    assert [(run.first_line, run.start, run.end) for run in line_runs(capture, 2)] == [
        (1, 0, 10),
        (3, 10, 19),
        (5, 19, 26),
    ]
