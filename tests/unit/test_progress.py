"""The progress facility (settlement/cli/progress.py) and the per-chunk callback below the
CLI (settlement/counting.py), on a fake console and a fake clock (no test sleeps)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from settlement.cli.progress import ProgressBoard, Steps, count_lines
from settlement.counting import PROGRESS_EVERY, counted
from settlement.eod.run import STEPS


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def plain_console(*, force_terminal: bool = False) -> tuple[Console, io.StringIO]:
    """A console writing to a string: a pipe or a CI log (FORCE_COLOR: `force_terminal`)."""
    out = io.StringIO()
    return Console(file=out, force_terminal=force_terminal, width=200), out


def import_a_million(board: ProgressBoard, clock: FakeClock, rows_per_s: int) -> None:
    """A 1,000,000-row stage told per chunk, as an import tells it, at `rows_per_s`."""
    with board.stage("import journal.csv", 1_000_000, "lines") as stage:
        for _ in range(1_000_000 // PROGRESS_EVERY):
            clock.now_s += PROGRESS_EVERY / rows_per_s
            stage.advance(PROGRESS_EVERY)


@pytest.mark.parametrize("force_terminal", [False, True])
def test_a_million_rows_to_a_log_stay_plain_and_bounded(force_terminal: bool) -> None:
    console, out = plain_console(force_terminal=force_terminal)
    clock = FakeClock()
    with ProgressBoard(console, clock=clock) as board:
        import_a_million(board, clock, rows_per_s=20_000)  # 50 s, today's journal import
    text = out.getvalue()
    lines = text.splitlines()
    assert "\x1b" not in text and "\r" not in text  # no control code in a log
    assert 5 <= len(lines) <= 12, text  # one line at most every 5 s, and the end
    assert lines[0].startswith("import journal.csv: 100,000/1,000,000 lines (10%)")
    assert "20,000 lines/s" in lines[0] and "ETA 0:00:45" in lines[0], lines[0]
    assert lines[-1] == "import journal.csv: 1,000,000 lines done in 50.0 s (20,000 lines/s)"


def test_a_quick_stage_adds_nothing_to_plain_output() -> None:
    console, out = plain_console()
    clock = FakeClock()
    with ProgressBoard(console, clock=clock) as board:
        with board.stage("import merchants.csv", 300, "lines") as stage:
            clock.now_s += 0.4
            stage.advance(300)
        assert board.step("read labels.csv", lambda: 7) == 7
    assert out.getvalue() == ""


def test_a_stage_that_raises_prints_no_end_line() -> None:
    console, out = plain_console()
    clock = FakeClock()
    with ProgressBoard(console, clock=clock) as board, pytest.raises(ValueError):
        with board.stage("ingest messages.jsonl", 10, "messages") as stage:
            clock.now_s += 3
            stage.advance(4)
            raise ValueError("the import's own error says what happened")
    assert out.getvalue() == ""


def test_unknown_total_shows_the_count_rate_and_elapsed_only() -> None:
    console, out = plain_console()
    clock = FakeClock()
    with ProgressBoard(console, clock=clock) as board:
        with board.stage("write the reports of 2026-10-14", None, "rows") as stage:
            for _ in range(20):
                clock.now_s += 1
                stage.advance(50_000)
    first, *_, last = out.getvalue().splitlines()
    assert first == (
        "write the reports of 2026-10-14: 250,000 rows, 50,000 rows/s, elapsed 0:00:05"
    )
    assert "ETA" not in out.getvalue() and "%" not in out.getvalue()
    assert last.endswith("1,000,000 rows done in 20.0 s (50,000 rows/s)")


def test_a_total_of_zero_and_a_late_chunk_are_harmless() -> None:
    for live in (False, True):
        console, out = plain_console(force_terminal=live)
        clock = FakeClock()
        with ProgressBoard(console, live_bars=live, clock=clock) as board:
            with board.stage("import empty.csv", 0, "lines") as stage:
                clock.now_s += 2
            stage.advance(5)  # after the stage: ignored
            assert stage.done == 0
        assert "0 lines done in 2.0 s" in out.getvalue() or live, out.getvalue()


def test_live_bars_show_done_of_total_rate_and_eta() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    clock = FakeClock()
    with ProgressBoard(console, live_bars=True, clock=clock) as board:
        with board.stage("ingest messages.jsonl (direct)", 2_000, "messages") as stage:
            for _ in range(10):
                clock.now_s += 1
                stage.advance(100)
            assert board.live is not None
            rendered = _render(board)
            assert "1,000/2,000 messages" in rendered and "100 messages/s" in rendered
            assert "ETA 0:00:10" in rendered, rendered
            clock.now_s += 10
            stage.advance(1_000)
    final = out.getvalue().rsplit("\x1b[2K", 1)[-1]
    assert "2,000/2,000 messages" in final and "100 messages/s" in final, final  # the average
    assert "ETA" not in final


def _render(board: ProgressBoard) -> str:
    assert board.live is not None
    capture = Console(file=io.StringIO(), width=160, color_system=None)
    with capture.capture() as captured:
        capture.print(board.live.get_renderable())
    return captured.get()


def test_a_real_pipe_is_never_live_whatever_rich_believes() -> None:
    console, _ = plain_console(force_terminal=True)  # FORCE_COLOR in a CI job
    with ProgressBoard(console) as board:
        assert board.live is None


def test_end_of_day_steps_are_noted_as_they_complete_when_slow() -> None:
    console, out = plain_console()
    clock = FakeClock()
    seconds = dict(zip(STEPS, (0.2, 3.0, 12.5, 0.4, 1.0, 2.0, 0.1), strict=True))
    with ProgressBoard(console, clock=clock) as board:
        steps = Steps(board, "end of day 2026-10-14", STEPS)
        steps.begin()
        for name in STEPS:
            clock.now_s += seconds[name]
            steps.done(name)
        assert steps.stage is None  # the last step closed the stage
    assert out.getvalue().splitlines() == [
        "end of day 2026-10-14: reconcile done in 3.0 s",
        "end of day 2026-10-14: fraud done in 12.5 s",
        "end of day 2026-10-14: settle done in 1.0 s",
        "end of day 2026-10-14: ledger done in 2.0 s",
        "end of day 2026-10-14: 7 steps done in 19.2 s",
    ]


def test_a_run_refused_before_its_first_step_leaves_nothing() -> None:
    for live in (False, True):
        console, out = plain_console(force_terminal=live)
        clock = FakeClock()
        with ProgressBoard(console, live_bars=live, clock=clock) as board:
            steps = Steps(board, "end of day 2026-10-14", STEPS)
            steps.begin()
            clock.now_s += 5
            steps.end()
            assert board.live is None or not board.live.tasks
        final = out.getvalue().rsplit("\x1b[2K", 1)[-1]  # a terminal's last frame
        assert "end of day" not in final, final


@given(st.lists(st.integers(0, 50), max_size=200), st.integers(1, 40))
def test_counted_tells_every_item_once_and_passes_them_unchanged(
    items: list[int], every: int
) -> None:
    told: list[int] = []
    assert list(counted(items, told.append, every)) == items
    assert sum(told) == len(items)
    assert all(0 < n <= every for n in told)
    assert len(told) == -(-len(items) // every)  # per chunk, never per item


def test_counted_without_a_callback_is_the_stream_itself() -> None:
    items = iter(["a", "b"])
    assert counted(items, None) is items
    with pytest.raises(ValueError, match="every 1 item or more"):
        counted([], print, 0)


@pytest.mark.parametrize(
    ("content", "lines"),
    [(b"", 0), (b"header\n", 1), (b"h\na\nb", 3), (b"h\r\na\r\n", 2), (b"\n\n", 2)],
)
def test_count_lines(tmp_path: Path, content: bytes, lines: int) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    assert count_lines(path) == lines
