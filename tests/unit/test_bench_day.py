"""The whole-day benchmark's pure parts (bench/bench_day.py): its arguments, refused in one
line with exit 2; the ratio and total arithmetic; the table it prints for bench/README.md;
and the dispatch of `python -m bench day ...` with its options."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as dispatch
from bench.bench_day import (
    SIZE_LIMIT,
    StageResult,
    as_json,
    day_totals,
    format_table,
    growth_exponent,
    growth_table,
    main,
    parse_args,
    server_cpu_s,
    size_label,
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


def test_on_postgresql_the_table_adds_the_server_s_cpu() -> None:
    stages = [StageResult("eod", 1_000, 70.0, 20.0, 300.0, 30.0, server_cpu_s=41.25)]
    lines = format_table(stages, 1_000, "postgresql").splitlines()
    assert lines[2] == (
        "| stage | seconds | CPU s | server CPU s | rows | rows/s | peak RSS | floor | x floor |"
    )
    assert lines[3].count("|") == lines[2].count("|")
    assert lines[4] == "| eod | 70.0 | 20.0 | 41.2 | 1,000 | 14 | 300 MiB | 30.0 s | 2.33 |"


def test_a_server_that_is_not_a_local_process_has_no_cpu_figure(tmp_path: Path) -> None:
    """A URL given from outside (CARDSETTLE_TEST_PG_URL) has no lock file we can read."""
    assert server_cpu_s(f"postgresql+psycopg://u@/db?host={tmp_path}&port=5432") is None
    assert server_cpu_s("postgresql+psycopg://u@db.example:5432/db") is None
    (tmp_path / ".s.PGSQL.5432.lock").write_text("not-a-pid\n")
    assert server_cpu_s(f"postgresql+psycopg://u@/db?host={tmp_path}&port=5432") is None


def test_the_growth_exponent_is_log_time_over_log_size() -> None:
    assert growth_exponent(1_000_000, 70.0, 3_000_000, 210.0) == pytest.approx(1.0)
    assert growth_exponent(1_000_000, 70.0, 3_000_000, 630.0) == pytest.approx(2.0)
    assert growth_exponent(100_000, 10.0, 1_000_000, 10.0) == 0.0
    assert growth_exponent(1_000_000, 0.0, 3_000_000, 5.0) is None
    assert growth_exponent(1_000_000, 5.0, 1_000_000, 6.0) is None
    assert [size_label(n) for n in (100_000, 1_000_000, 3_000_000, 2_500)] == [
        "100k", "1M", "3M", "2,500"]  # fmt: skip


def _day(count: int, eod_s: float, rss: float = 200.0, load: float | None = 2.0) -> dict[str, Any]:
    stages = [
        StageResult("eod", count, eod_s, eod_s / 4, rss, 1.0, eod_s / 2, load),
        StageResult("report", 2 * count, eod_s / 2, eod_s / 2, rss, 1.0, 0.5, load),
    ]
    return as_json(stages, count, "postgresql")


def test_the_growth_table_has_every_size_and_the_last_two_sizes_exponent() -> None:
    days = [_day(3_000_000, 300.0, 900.0, 5.5), _day(100_000, 7.0, load=None),
            _day(1_000_000, 100.0, 300.0, 1.5)]  # fmt: skip
    lines = growth_table(days).splitlines()
    assert lines[0] == "growth, 100k / 1M / 3M transactions, postgresql"
    assert lines[2].startswith("| stage | rows/s 100k | rows/s 1M | rows/s 3M | s 100k |")
    assert lines[2].endswith("| peak RSS 100k / 1M / 3M | time ~ N^k, 1M→3M | CPU ~ N^k |")
    assert lines[3].count("|") == lines[2].count("|")
    assert lines[4] == (
        "| eod | 14,286 | 10,000 | 10,000 | 7.0 | 100.0 | 300.0 | 75.0 + 150.0"
        " | 200 / 300 / 900 MiB | 1.00 | 1.00 |")  # fmt: skip
    assert lines[5].startswith("| report | 57,143 | 40,000 | 40,000 | 3.5 | 50.0 | 150.0 |")
    assert lines[5].endswith("| 150.0 + 0.5 | 200 / 300 / 900 MiB | 1.00 | 0.99 |")  # + server
    assert lines[-2] == "whole day: 10.5 s / 150.0 s / 450.0 s; time ~ N^1.00 from 1M→3M"
    assert lines[-1] == "load average at the stages' starts: 1.5 to 5.5"


def test_growth_reads_saved_days_and_refuses_bad_ones_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text(json.dumps(_day(100_000, 7.0)))
    large.write_text(json.dumps(_day(1_000_000, 100.0)))
    assert main(["--growth", str(small), str(large)]) == 0
    assert "| eod | 14,286 | 10,000 |" in capsys.readouterr().out
    for args in ([str(small)], [str(small), str(small)], [str(small), str(tmp_path / "none")]):
        assert main(["--growth", *args]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured
        assert captured.err.startswith("bench day: --growth: ")
