"""The whole-day benchmark's pure parts (bench/bench_day.py): its arguments, refused in one
line with exit 2; the ratio and total arithmetic; the table it prints for bench/README.md;
and the dispatch of `python -m bench day ...` with its options."""

from __future__ import annotations

import json
import re

import pytest

from bench import __main__ as dispatch
from bench.bench_day import (
    SIZE_LIMIT,
    StageResult,
    as_json,
    day_totals,
    format_table,
    parse_args,
    time_ratio,
)


def _stage(name: str, seconds: float, floor_s: float | None, rows: int = 1000) -> StageResult:
    return StageResult(name, rows, seconds, seconds * 0.9, 80.4, floor_s)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--transactions", "0"], "must be from 1 to 10,000,000, got '0'"),
        (["--transactions", "-1"], "got '-1'"),
        (["-n", "1e6"], "must be a whole number such as 100000, got '1e6'"),
        (["-n", "1.5"], "got '1.5'"),
        (["-n", ""], "got ''"),
        (["-n", str(SIZE_LIMIT + 1)], "must be from 1 to"),
        (["--backend", "oracle"], "must be one of sqlite, postgresql, got 'oracle'"),
        (["--backend", "SQLite"], "got 'SQLite'"),
        (["--size", "10"], "unrecognized arguments: --size 10"),
    ],
)
def test_hostile_arguments_are_one_line_and_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_args(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bench day: "), err
    assert fragment in err


def test_the_defaults_are_make_bench_s_day_and_sizes_read_as_written() -> None:
    default = parse_args([])
    assert (default.transactions, default.backend, default.json) == (100_000, "sqlite", None)
    assert parse_args(["-n", "1_000_000"]).transactions == 1_000_000
    assert parse_args(["-n", " 3000000 ", "--backend", "postgresql"]).backend == "postgresql"


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["day", "--backend", "oracle"], 2, "bench day: argument --backend"),
        (["day", "-n", "1e6"], 2, "got '1e6'"),
        (["eod", "--transactions", "10"], 2, "options are for `python -m bench day` alone"),
        (["--transactions", "10"], 2, "unknown benchmark(s): --transactions"),
        (["nightly"], 2, "unknown benchmark(s): nightly"),
    ],
)
def test_the_dispatcher_hands_options_to_the_day_alone(
    argv: list[str], code: int, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        returned = dispatch.main(argv)
    except SystemExit as stopped:
        returned = stopped.code
    assert returned == code
    assert fragment in capsys.readouterr().err


def test_the_dispatcher_splits_names_from_options() -> None:
    assert dispatch.split_argv(["day", "-n", "5", "--json", "x"]) == (
        ["day"], ["-n", "5", "--json", "x"])  # fmt: skip
    assert dispatch.split_argv(["eod", "gateway"]) == (["eod", "gateway"], [])
    assert dispatch.split_argv([]) == ([], [])


def test_the_ratio_is_stage_time_over_floor_time() -> None:
    assert time_ratio(30.0, 10.0) == 3.0
    assert time_ratio(5.0, 10.0) == 0.5
    assert time_ratio(5.0, None) is None
    assert time_ratio(5.0, 0.0) is None  # a floor too fast to time is no ratio, not infinity
    assert _stage("eod", 12.0, 4.0).ratio == 3.0
    assert _stage("eod", 12.0, 4.0, rows=6000).rows_per_s == 500.0
    assert _stage("eod", 0.0, 4.0).rows_per_s == 0.0


def test_the_day_totals_add_every_stage_and_only_the_floors_there_are() -> None:
    stages = [_stage("generate", 10.0, 8.0), _stage("eod", 20.5, None), _stage("report", 4.5, 1.0)]
    assert day_totals(stages) == (35.0, 9.0)
    assert day_totals([]) == (0.0, 0.0)


def test_the_table_has_a_row_a_stage_and_the_summary_line() -> None:
    stages = [_stage("journal import", 46.8, 15.6, rows=1_000_000), _stage("eod", 108.4, None)]
    table = format_table(stages, 1_000_000, "sqlite")
    lines = table.splitlines()
    assert lines[0] == "whole day, 1,000,000 transactions, sqlite"
    assert lines[2] == (
        "| stage | seconds | CPU s | rows | rows/s | peak RSS | floor | x floor |")  # fmt: skip
    assert lines[4] == (
        "| journal import | 46.8 | 42.1 | 1,000,000 | 21,368 | 80 MiB | 15.6 s | 3.00 |"
    )
    assert lines[5] == "| eod | 108.4 | 97.6 | 1,000 | 9 | 80 MiB |  |  |"
    assert lines[-1] == "whole day: 155.2 s; sum of floors 15.6 s (9.95x)"
    small = format_table([_stage("merchants import", 1.1, 0.0123)], 300, "sqlite")
    assert "| 0.012 s | 89.43 |" in small  # a floor under a second keeps its digits


def test_the_json_carries_each_stage_with_its_derived_figures() -> None:
    stages = [_stage("ingest", 20.0, 10.0, rows=100_000)]
    result = as_json(stages, 100_000, "postgresql")
    assert (result["transactions"], result["backend"]) == (100_000, "postgresql")
    (stage,) = result["stages"]
    assert stage["name"] == "ingest" and stage["ratio"] == 2.0 and stage["rows_per_s"] == 5000
    assert (result["whole_day_s"], result["floors_s"]) == (20.0, 10.0)
    assert result["machine"]["cpus"] >= 1


def test_the_json_has_no_long_digit_runs() -> None:
    """A 17-digit float could pass Luhn, and the e2e PAN sweep rightly flags it."""
    stages = [StageResult("eod", 7, 12.345678901234567, 1 / 3, 80.123456789, 2 / 3)]
    text = json.dumps(as_json(stages, 7, "sqlite"))
    assert not re.search(r"\d{8}", text), text
