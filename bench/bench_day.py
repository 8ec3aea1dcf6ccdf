"""The whole business day a user runs, stage by stage, against raw floors in the same run.

`python -m bench day [--transactions N] [--backend sqlite|postgresql] [--json FILE]` runs, in
a scratch directory, the real commands a user types, each in a fresh process (so start-up and
imports count, as they do for the user):

    pos-sim generate -n N -> settlement merchants import -> settlement journal import
    -> settlement ingest --transport direct -> settlement eod --labels -> settlement report
    --no-upload

and after each stage measures its floor, the same work with nothing but the driver:

- generate: bench_generate's bare loop writing N JSON lines from the same pools (a child);
- merchants, journal and ingest: the rows the stage wrote, read back and inserted into an
  empty migrated database of the same schema (stdlib sqlite3 `executemany` with the
  product's pragmas, or a psycopg binary COPY), 10,000 rows a transaction; only the inserts
  are timed, so parsing and validating the files is what the stage pays above its floor;
- eod: bench_eod's bare-SQL baseline (the join, aggregates, window query and the two
  ordered streams) on the day's database;
- report: the six SELECTs of the report's CSV files (compiled from the report's own read
  model, `settlement.adapters.report_reads.detail_rows`) streamed through csv.writer as the
  driver returns them, with no formatting. The HTML page's aggregate queries are not in it.

Each stage runs under a tiny launcher process that spawns it and reads its rusage: Linux
carries a parent's high-water RSS into a forked-then-exec'd child, so measuring from this
(large) process would report our own peak; through the launcher a stage's peak is its own
(the launcher's ~10 MB is the floor of what can be seen). Peak RSS is the largest single
process of the stage (ingest's worker processes included); seconds are wall time from
spawn to exit. Ratios are time ratios: stage seconds / floor seconds (a throughput target
of >= 0.5x is a time ratio <= 2).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

SIZE_LIMIT = 10_000_000
BACKENDS = ("sqlite", "postgresql")
CHUNK = 10_000
BIN = Path(sys.executable).parent
# The journal import writes the good lines and exits 1 when it rejected some: a measured
# day, with the rejections printed beside it (at 1M, 2 of 1,000,000 lines on 2026-12-03).
ACCEPTED_EXITS = {"journal import": {0, 1}}
STAGES = ("generate", "merchants import", "journal import", "ingest", "eod", "report")
# The spawned stage's rusage, written by a launcher that imports nothing else (python -S).
LAUNCHER = (
    "import json,os,resource,sys,time\n"
    "t=time.perf_counter();p=os.posix_spawn(sys.argv[2],sys.argv[2:],os.environ)\n"
    "_,s,_r=os.wait4(p,0);w=time.perf_counter()-t;u=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "f=open(sys.argv[1],'w');json.dump({'seconds':w,'cpu_s':u.ru_utime+u.ru_stime,"
    "'peak_kib':u.ru_maxrss,'code':os.waitstatus_to_exitcode(s)},f);f.close()\n"
    "sys.exit(os.waitstatus_to_exitcode(s))\n"
)


# --- arguments ----------------------------------------------------------------------------


class _OneLineParser(argparse.ArgumentParser):
    """Bad arguments are one line on stderr and exit 2, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"bench day: {message}\n")


def transactions_arg(text: str) -> int:
    """A whole number of transactions from 1 to SIZE_LIMIT; "1e6" or "1.5" are refused
    rather than guessed at."""
    try:
        count = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number such as 100000, got {text!r}"
        ) from None
    if not 1 <= count <= SIZE_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {SIZE_LIMIT:,}, got {text!r}")
    return count


def backend_arg(text: str) -> str:
    if text not in BACKENDS:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(BACKENDS)}, got {text!r}")
    return text


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = _OneLineParser(prog="python -m bench day", description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", "-n", type=transactions_arg, default=100_000)
    parser.add_argument("--backend", type=backend_arg, default="sqlite")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--growth", type=Path, nargs="+", metavar="JSON",
                        help="print the growth across these --json days; run nothing")  # fmt: skip
    return parser.parse_args(list(argv))


# --- results and their table -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageResult:
    name: str
    rows: int
    seconds: float
    cpu_s: float
    peak_mib: float
    floor_s: float | None
    # PostgreSQL's own processes over the stage (None on SQLite, where the engine is the
    # stage's process): on PostgreSQL most of eod's work runs in the server, not the client.
    server_cpu_s: float | None = None
    load_avg_1m: float | None = None  # at the stage's start: the machine is shared

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def ratio(self) -> float | None:
        """Stage seconds over floor seconds: 2.0 means twice the floor's time."""
        return time_ratio(self.seconds, self.floor_s)


def time_ratio(seconds: float, floor_s: float | None) -> float | None:
    if floor_s is None or floor_s <= 0:
        return None
    return seconds / floor_s


def day_totals(stages: Sequence[StageResult]) -> tuple[float, float]:
    """Whole-day seconds and the sum of the floors (stages without a floor add nothing)."""
    return sum(s.seconds for s in stages), sum(s.floor_s or 0.0 for s in stages)


def format_table(stages: Sequence[StageResult], transactions: int, backend: str) -> str:
    """The per-stage table as Markdown (pasted into bench/README.md as it prints)."""
    server = any(s.server_cpu_s is not None for s in stages)
    lines = [
        f"whole day, {transactions:,} transactions, {backend}",
        "",
        "| stage | seconds | CPU s |" + (" server CPU s |" if server else "")
        + " rows | rows/s | peak RSS | floor | x floor |",
        "|---|---:|---:|" + ("---:|" if server else "") + "---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for s in stages:
        floor = "" if s.floor_s is None else f"{s.floor_s:.{1 if s.floor_s >= 1 else 3}f} s"
        ratio = "" if s.ratio is None else f"{s.ratio:.2f}"
        server_cell = f" {s.server_cpu_s or 0.0:.1f} |" if server else ""
        lines.append(
            f"| {s.name} | {s.seconds:.1f} | {s.cpu_s:.1f} |{server_cell} {s.rows:,} |"
            f" {s.rows_per_s:,.0f} | {s.peak_mib:.0f} MiB | {floor} | {ratio} |"
        )
    whole_s, floors_s = day_totals(stages)
    overall = time_ratio(whole_s, floors_s)
    lines.append(
        f"\nwhole day: {whole_s:.1f} s; sum of floors {floors_s:.1f} s"
        + ("" if overall is None else f" ({overall:.2f}x)")
    )
    return "\n".join(lines)


def rounded(value: Any) -> Any:
    """Floats to the millisecond: a figure, not a 17-digit run (which a PAN scan, rightly,
    reads as a card number when its digits happen to pass Luhn)."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def as_json(stages: Sequence[StageResult], transactions: int, backend: str) -> dict[str, Any]:
    whole_s, floors_s = day_totals(stages)
    result: dict[str, Any] = rounded(
        {
            "transactions": transactions,
            "backend": backend,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "stages": [asdict(s) | {"rows_per_s": s.rows_per_s, "ratio": s.ratio} for s in stages],
            "whole_day_s": whole_s,
            "floors_s": floors_s,
        }
    )
    return result


# --- growth across sizes ------------------------------------------------------------------


def growth_exponent(small_n: int, small_s: float, large_n: int, large_s: float) -> float | None:
    """k in seconds ~ N^k between two measured days: 1.0 is linear, above it each row costs
    more in a bigger day. None when either time is zero or the sizes are equal."""
    if small_s <= 0 or large_s <= 0 or small_n == large_n:
        return None
    return math.log(large_s / small_s) / math.log(large_n / small_n)


def size_label(count: int) -> str:
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    return f"{count // 1000}k" if count % 1000 == 0 else f"{count:,}"


def growth_table(days: Sequence[dict[str, Any]]) -> str:
    """How each stage grows across days of different sizes (each an `--json` result), as
    Markdown: rows/s and seconds at every size, CPU (client + server) and peak RSS, and the
    time exponent between the two largest days."""
    days = sorted(days, key=lambda d: d["transactions"])
    sizes = [size_label(d["transactions"]) for d in days]
    by_name = [{s["name"]: s for s in d["stages"]} for d in days]
    small, large = days[-2], days[-1]
    pair = f"{sizes[-2]}→{sizes[-1]}"
    lines = [
        f"growth, {' / '.join(sizes)} transactions, {days[-1]['backend']}",
        "",
        "| stage | " + " | ".join(f"rows/s {n}" for n in sizes) + " | "
        + " | ".join(f"s {n}" for n in sizes) + " | CPU s client + server"
        f" {sizes[-1]} | peak RSS {' / '.join(sizes)} | time ~ N^k, {pair} | CPU ~ N^k |",
        "|---|" + "---:|" * (2 * len(days) + 4),
    ]  # fmt: skip
    for name in STAGES:
        if all(name in named for named in by_name):
            stages = [named[name] for named in by_name]
            k = growth_exponent(small["transactions"], stages[-2]["seconds"],
                                large["transactions"], stages[-1]["seconds"])  # fmt: skip
            cpu_k = growth_exponent(small["transactions"], _all_cpu_s(stages[-2]),
                                    large["transactions"], _all_cpu_s(stages[-1]))  # fmt: skip
            lines.append(_growth_row(name, stages, k, cpu_k))
    whole = [d["whole_day_s"] for d in days]
    k = growth_exponent(small["transactions"], whole[-2], large["transactions"], whole[-1])
    lines.append(
        "\nwhole day: " + " / ".join(f"{w:.1f} s" for w in whole)
        + ("" if k is None else f"; time ~ N^{k:.2f} from {pair}")
    )  # fmt: skip
    loads = [s.get("load_avg_1m") for d in days for s in d["stages"]]
    seen = [load for load in loads if load is not None]
    if seen:
        lines.append(f"load average at the stages' starts: {min(seen):.1f} to {max(seen):.1f}")
    return "\n".join(lines)


def _all_cpu_s(stage: dict[str, Any]) -> float:
    """The stage's CPU and the server's: on a shared machine a steadier size of the work
    than its wall seconds (which count the waits for a core)."""
    return float(stage["cpu_s"] + (stage.get("server_cpu_s") or 0.0))


def _growth_row(
    name: str, stages: Sequence[dict[str, Any]], k: float | None, cpu_k: float | None
) -> str:
    last = stages[-1]
    return (
        f"| {name} | " + " | ".join(f"{s['rows_per_s']:,.0f}" for s in stages) + " | "
        + " | ".join(f"{s['seconds']:.1f}" for s in stages)
        + f" | {last['cpu_s']:.1f} + {last.get('server_cpu_s') or 0.0:.1f}"
        + " | " + " / ".join(f"{s['peak_mib']:.0f}" for s in stages) + " MiB"
        + f" | {'' if k is None else f'{k:.2f}'} | {'' if cpu_k is None else f'{cpu_k:.2f}'} |"
    )  # fmt: skip


def print_growth(files: Sequence[Path]) -> int:
    """`--growth`: the table from saved days; a missing or unreadable file is one line."""
    try:
        days = [json.loads(path.read_text()) for path in files]
        if len(days) < 2 or len({d["transactions"] for d in days}) < len(days):
            raise ValueError("needs two or more days of different sizes")
        print(growth_table(days))
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"bench day: --growth: {error}", file=sys.stderr)
        return 2
    return 0


def machine() -> dict[str, Any]:
    """What ran it (platform.platform() would start a subprocess for `uname -p`)."""
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in
                    Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")  # fmt: skip
    uname = os.uname()
    return {"cpus": os.cpu_count(), "cpu": cpu, "os": f"{uname.sysname} {uname.release}",
            "python": platform.python_version(), "load_avg_1m": os.getloadavg()[0]}  # fmt: skip


# --- running a stage ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    cpu_s: float
    peak_mib: float


def clean_env(url: str, reports: Path) -> dict[str, str]:
    """The caller's environment without its cardsettle or AWS settings, plus the day's.
    Without PYTHONDONTWRITEBYTECODE too: an installed package runs from cached bytecode,
    while with it set every command compiled its ~600 modules again (1-1.5 s of CPU a
    command, measured on `settlement journal import --help`: 1.9-2.1 s against 0.9)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CARDSETTLE_", "AWS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(CARDSETTLE_DATABASE_URL=url, CARDSETTLE_REPORTS_DIR=str(reports),
               AWS_EC2_METADATA_DISABLED="true")  # fmt: skip
    return env


def run_stage(command: list[str], env: dict[str, str], workdir: Path, name: str) -> Run:
    """Run one stage in a fresh process under the launcher; its output goes to a log."""
    slug = name.replace(" ", "-")
    measured, log = workdir / f"{slug}.rusage.json", workdir / f"{slug}.log"
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, str(measured), *command],
            env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if done.returncode not in ACCEPTED_EXITS.get(name, {0}):
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"{name} exited {done.returncode}:\n" + "\n".join(tail))
    usage = json.loads(measured.read_text())
    if done.returncode:
        summary = [line for line in log.read_text(errors="replace").splitlines()[-40:]
                   if "rejected" in line or line.startswith("  line ")]  # fmt: skip
        print(f"  note: {name} exited {done.returncode}: " + " | ".join(summary[:4]), flush=True)
    return Run(usage["seconds"], usage["cpu_s"], usage["peak_kib"] / 1024)


# --- floors: loading the same rows ---------------------------------------------------------


def _table_columns(table: str) -> list[str]:
    from settlement.adapters.eod_tables import journal_entries  # noqa: PLC0415
    from settlement.adapters.tables import merchants, staged_transactions  # noqa: PLC0415

    tables = {t.name: t for t in (merchants, journal_entries, staged_transactions)}
    return [c.name for c in tables[table].columns]


def floor_sqlite_load(source: Path, target: Path, table: str) -> tuple[float, int]:
    """Copy `table`'s rows from the day into the floor database; seconds of the inserts."""
    from settlement.adapters.database import apply_sqlite_pragmas  # noqa: PLC0415

    columns = _table_columns(table)
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    reader = sqlite3.connect(source)
    writer = sqlite3.connect(target, isolation_level=None)
    apply_sqlite_pragmas(writer)  # the product's own list: the floor moves with it
    cursor = reader.execute(f"SELECT {names} FROM {table}")
    seconds, rows = 0.0, 0
    while chunk := cursor.fetchmany(CHUNK):
        started = time.perf_counter()
        writer.execute("BEGIN IMMEDIATE")
        writer.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)
        writer.execute("COMMIT")
        seconds += time.perf_counter() - started
        rows += len(chunk)
    reader.close()
    writer.close()
    return seconds, rows


def floor_postgres_load(source: str, target: str, table: str) -> tuple[float, int]:
    """The same on PostgreSQL, with a binary COPY typed as the table's columns."""
    import psycopg  # noqa: PLC0415

    columns = _table_columns(table)
    names = ", ".join(columns)
    with psycopg.connect(_conninfo(source)) as reader, psycopg.connect(_conninfo(target)) as writer:
        oids: dict[str, int] = dict(writer.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attnum > 0 AND NOT attisdropped", (table,)).fetchall())  # fmt: skip
        types = [oids[c] for c in columns]
        seconds, rows = 0.0, 0
        with reader.cursor(name="floor") as cursor:
            cursor.execute(f"SELECT {names} FROM {table}")
            while chunk := cursor.fetchmany(CHUNK):
                started = time.perf_counter()
                with (
                    writer.cursor() as out,
                    out.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
                ):
                    copy.set_types(types)
                    for row in chunk:
                        copy.write_row(row)
                writer.commit()
                seconds += time.perf_counter() - started
                rows += len(chunk)
    return seconds, rows


def server_cpu_s(url: str) -> float | None:
    """CPU seconds PostgreSQL has used so far: the postmaster's own, its reaped children's
    (every backend that served a connection and exited) and its live children's. None when
    the server is not a local process we can see (a URL given in the environment)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    query = make_url(url).query
    lock = Path(f"{query.get('host', '')}/.s.PGSQL.{query.get('port', '')}.lock")
    try:
        postmaster = int(lock.read_text().split()[0])
        own = _stat_fields(Path(f"/proc/{postmaster}/stat"))
        total = sum(map(int, own[11:15]))  # utime, stime and its reaped children's
    except (OSError, ValueError, IndexError):
        return None
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = _stat_fields(stat)
            if int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _stat_fields(stat: Path) -> list[str]:
    """A /proc/<pid>/stat's fields after the command name (which may hold spaces and
    parentheses), times in clock ticks: [1] the parent's pid, [11] utime, [12] stime, [13]
    cutime and [14] cstime (its exited children's)."""
    return stat.read_text().rsplit(")", 1)[1].split()


def _conninfo(url: str) -> str:
    from bench.bench_eod import _conninfo as conninfo  # noqa: PLC0415

    return conninfo(url)


# --- floors: the report's SELECTs through csv.writer ---------------------------------------


def report_selects(day: date, backend: str) -> list[tuple[str, str]]:
    """(file name, SQL) of each CSV file, compiled from the report's own read model."""
    from sqlalchemy.dialects import postgresql  # noqa: PLC0415
    from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: PLC0415

    from settlement.adapters.report_reads.detail_rows import DetailRows  # noqa: PLC0415

    class Queries(DetailRows):
        def _stream(self, query: Any, record: Any) -> Any:
            return query

        def _chunks(self, query: Any) -> Any:
            return query

    dialect = (
        postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
        if backend == "postgresql"
        else sqlite_dialect.dialect()
    )
    queries = Queries(SimpleNamespace(dialect=dialect))  # type: ignore[arg-type]  # never runs
    # The streams `settlement.reports.csv_files` writes the six files from.
    names = ("reconciliation_chunks", "exceptions", "flagged_chunks", "settlement_chunks",
             "payout_chunks", "ledger_chunks")  # fmt: skip
    return [
        (name, str(getattr(queries, name)(day).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True})))
        for name in names
    ]  # fmt: skip


def floor_report(url: str, backend: str, day: date, out: Path) -> tuple[float, int]:
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    started = time.perf_counter()
    for name, sql in report_selects(day, backend):
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for row_count in _stream_rows(url, backend, sql, writer.writerow):
                rows += row_count
    return time.perf_counter() - started, rows


def _stream_rows(url: str, backend: str, sql: str, write: Callable[[Any], Any]) -> Iterator[int]:
    """Write each row of `sql` as the driver returns it; yields the rows of each chunk."""
    chunks = _sqlite_chunks(url, sql) if backend == "sqlite" else _postgres_chunks(url, sql)
    for chunk in chunks:
        for row in chunk:
            write(row)
        yield len(chunk)


def _sqlite_chunks(url: str, sql: str) -> Iterator[list[Any]]:
    connection = sqlite3.connect(_sqlite_path(url))
    cursor = connection.execute(sql)
    while chunk := cursor.fetchmany(CHUNK):
        yield chunk
    connection.close()


def _postgres_chunks(url: str, sql: str) -> Iterator[list[Any]]:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(_conninfo(url)) as connection, connection.cursor(name="r") as cursor:
        cursor.execute(sql)
        while chunk := cursor.fetchmany(CHUNK):
            yield chunk


# --- the day ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def business_date() -> date:
    """bench_eod's day, so that its bare-SQL baseline runs on ours as written."""
    from bench.bench_eod import DAY  # noqa: PLC0415

    return DAY


def stage_commands(count: int, day_dir: Path, day: date) -> dict[str, list[str]]:
    sim, cli, iso = str(BIN / "pos-sim"), str(BIN / "settlement"), day.isoformat()
    return {
        "generate": [sim, "generate", "--business-date", iso, "-n", str(count),
                     "--out", str(day_dir)],
        "merchants import": [cli, "merchants", "import", str(day_dir / "merchants.csv")],
        "journal import": [cli, "journal", "import", str(day_dir / "journal.csv")],
        "ingest": [cli, "ingest", "--transport", "direct", str(day_dir / "messages.jsonl")],
        "eod": [cli, "eod", "--date", iso, "--labels", str(day_dir / "labels.csv")],
        "report": [cli, "report", "--date", iso, "--no-upload"],
    }  # fmt: skip


def floor_generate(count: int) -> tuple[float, int]:
    """bench_generate's bare loop in a fresh child: its pools plus its loop, wall seconds."""
    command = [sys.executable, "-m", "bench.bench_generate", "--child", "baseline", str(count)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return measured["pools_s"] + measured["wall_s"], count


@dataclass(frozen=True, slots=True)
class Day:
    """Where one measured day lives: its files, its database and the floors' database."""

    backend: str
    count: int
    workdir: Path
    url: str
    floor_url: str
    date: date

    def floor_load(self, table: str) -> tuple[float, int]:
        if self.backend == "sqlite":
            return floor_sqlite_load(_sqlite_path(self.url), _sqlite_path(self.floor_url), table)
        return floor_postgres_load(self.url, self.floor_url, table)

    def server_cpu_s(self) -> float | None:
        return None if self.backend == "sqlite" else server_cpu_s(self.url)

    def floor_eod(self) -> tuple[float, int]:
        from bench import bench_eod  # noqa: PLC0415

        if self.backend == "sqlite":
            parts = bench_eod.raw_sqlite(_sqlite_path(self.url))
        else:
            parts = bench_eod.raw_postgres(self.url)
        return sum(parts.values()), 0

    def floor_report(self) -> tuple[float, int]:
        return floor_report(self.url, self.backend, self.date, self.workdir / "floor-report")


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def floors_of(day: Day) -> dict[str, Callable[[], tuple[float, int]]]:
    return {
        "generate": lambda: floor_generate(day.count),
        "merchants import": lambda: day.floor_load("merchants"),
        "journal import": lambda: day.floor_load("journal_entries"),
        "ingest": lambda: day.floor_load("staged_transactions"),
        "eod": day.floor_eod,
        "report": day.floor_report,
    }


def run_day(day: Day, results: list[StageResult]) -> None:
    """Each stage, then its floor right after it (so a slow spell of a shared machine lands on
    both), into `results` as they finish; a stage's rows are the rows its floor handled (eod:
    the staged transactions)."""
    env = clean_env(day.url, day.workdir / "reports")
    commands = stage_commands(day.count, day.workdir / "day", day.date)
    for program in ("pos-sim", "settlement"):  # the bytecode cache, as after a first use
        subprocess.run([str(BIN / program), "--help"], env=env, capture_output=True, check=True)
    floors, staged = floors_of(day), 0
    for name in STAGES:
        load, server_before = os.getloadavg()[0], day.server_cpu_s()
        run = run_stage(commands[name], env, day.workdir, name)
        server_after = day.server_cpu_s()
        floor_s, rows = floors[name]()
        staged = rows if name == "ingest" else staged
        server = (
            None if server_before is None or server_after is None else server_after - server_before
        )
        result = StageResult(name, rows or staged, run.seconds, run.cpu_s, run.peak_mib, floor_s,
                             server, load)  # fmt: skip
        print(
            f"  {name}: {result.seconds:.1f} s ({result.cpu_s:.1f} s CPU"
            + ("" if server is None else f", server {server:.1f} s")
            + f"), {result.rows:,} rows, peak {result.peak_mib:.0f} MiB; floor {floor_s:.1f} s;"
            f" load {load:.1f}",
            flush=True,
        )
        results.append(result)


@contextmanager
def databases(backend: str, workdir: Path) -> Iterator[tuple[str, str]]:
    """(the day's URL, the floors' URL), both migrated beforehand (`settlement db upgrade`,
    a once-per-database step, not a day's); PostgreSQL on a throwaway cluster started as the
    test suite starts it."""
    from settlement.adapters.database import upgrade  # noqa: PLC0415

    if backend == "sqlite":
        urls = (f"sqlite:///{workdir / 'day.db'}", f"sqlite:///{workdir / 'floor.db'}")
        upgrade(urls[0])
        upgrade(urls[1])
        yield urls
        return
    from tests.support.pgcluster import scratch_database, throwaway_cluster  # noqa: PLC0415

    with (
        throwaway_cluster() as server,
        scratch_database(server) as url,
        scratch_database(server) as floor_url,
    ):
        upgrade(url)
        upgrade(floor_url)
        yield url, floor_url


@contextmanager
def work_directory(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="bench-day-") as tmp:
        yield Path(tmp)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args([] if argv is None else argv)
    if options.growth:
        return print_growth(options.growth)
    count, backend = options.transactions, options.backend
    print(f"day {count:,} {backend}: load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with work_directory(options.keep) as workdir, databases(backend, workdir) as (url, floor):
        stages: list[StageResult] = []
        try:
            run_day(Day(backend, count, workdir, url, floor, business_date()), stages)
        except RuntimeError as error:
            print(format_table(stages, count, backend) + "\n(the day stopped there)")
            print(f"bench day: {error}", file=sys.stderr)
            return 1
    print(format_table(stages, count, backend))
    print(f"load average {os.getloadavg()[0]:.1f} at the end (2 cores shared: ratios hold better)")
    if options.json is not None:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(as_json(stages, count, backend), indent=2) + "\n")
    return 0


def cpu_profile(out: str, module: str, args: list[str]) -> int:
    """Run `python -m MODULE ARGS` here under cProfile timed by the CPU clock, into `out`:
    on a shared machine a wall-clock profile counts the waits for a core as work."""
    import cProfile  # noqa: PLC0415
    import runpy  # noqa: PLC0415

    sys.argv = [module, *args]
    profile = cProfile.Profile(time.process_time)
    code: Any = 0
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as stopped:
        code = stopped.code
    finally:
        profile.disable()
        profile.dump_stats(out)
    return code if isinstance(code, int) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cpu-profile"] and len(sys.argv) >= 4:
        raise SystemExit(cpu_profile(sys.argv[2], sys.argv[3], sys.argv[4:]))
    raise SystemExit(main(sys.argv[1:]))
