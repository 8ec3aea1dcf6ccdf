"""End of day over a million staged transactions against a raw SQL baseline in the same run.

For each backend (SQLite, then PostgreSQL on a throwaway cluster) and each size (BENCH_EOD_SMALL_N,
default 100,000, and BENCH_EOD_N, default 1,000,000) a fresh database is migrated and bulk-loaded
directly (executemany / COPY, not through the gateway): the staged day, its journal, merchants.
The day is a realistic mix: cards with a few purchases each, refunds and reversals, eleven
countries and seven currencies (AED has no ECB rate), journal mismatches, journal-only and
re-keyed lines, late arrivals, and fraud-like bursts (velocity, card testing, over limit,
impossible travel, a compromised terminal). After ANALYZE:

(a) the real end-of-day run, in a child process that reports its wall time and peak RSS;
(b) the raw baseline on the same database with bare SQL through the driver: the staged/journal
    join by transaction_id, GROUP BY merchant and currency, a per-card sliding 15-minute
    velocity window function, and streaming the day's purchases out ordered by card and by
    terminal (the two reads the fraud screen needs).

Targets: EOD <= 3x the baseline at BENCH_EOD_N; peak RSS at BENCH_EOD_N <= 1.5x at
BENCH_EOD_SMALL_N. Usage: `python -m bench eod` or `python -m bench.bench_eod`.
"""

from __future__ import annotations

import json
import math
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from settlement.adapters.database import upgrade
from settlement.adapters.eod_tables import journal_entries
from settlement.adapters.tables import merchants, staged_transactions
from settlement.batching import batched
from tests.support.pgcluster import scratch_database, throwaway_cluster

DAY = date(2026, 3, 11)  # a Wednesday; cutoff 22:00 CET = 21:00 UTC
NOW = datetime(2026, 3, 11, 21, 30)
START = datetime(2026, 3, 11, 0, 0)
SPAN = timedelta(hours=20, minutes=45)
TARGET_RATIO = 3.0
TARGET_MEMORY = 1.5
STAGED = [c.name for c in staged_transactions.columns]
JOURNAL = [c.name for c in journal_entries.columns]
MERCHANT = [c.name for c in merchants.columns if not c.nullable]  # no bank account: iban, bic

# country: (weight, local currency, UTC offset in minutes, rough minor units per EUR cent)
COUNTRIES: dict[str, tuple[int, str, int, float]] = {
    "NL": (30, "EUR", 60, 1.0), "DE": (20, "EUR", 60, 1.0), "FR": (15, "EUR", 60, 1.0),
    "ES": (10, "EUR", 60, 1.0), "IT": (8, "EUR", 60, 1.0), "US": (6, "USD", -300, 1.08),
    "GB": (5, "GBP", 0, 0.85), "JP": (2, "JPY", 540, 1.6), "CH": (2, "CHF", 60, 0.95),
    "SE": (1, "SEK", 60, 11.3), "AE": (1, "AED", 240, 4.0),
}  # fmt: skip
MCCS = ("5411", "5812", "5999", "4111", "5732", "5541", "7995")


@dataclass(frozen=True, slots=True)
class Shop:
    merchant_id: str
    country: str
    mcc: str
    terminals: tuple[str, ...]


class DayMaker:
    """Deterministic synthetic day; rows come out as tuples in STAGED / JOURNAL column order."""

    def __init__(self, count: int, seed: int = 11) -> None:
        self.count, self.seed = count, seed
        self.rng = random.Random(seed)
        names = list(COUNTRIES)
        weights = [COUNTRIES[c][0] for c in names]
        shops = max(50, count // 50)
        self.shops = [self._shop(k, self.rng.choices(names, weights)[0]) for k in range(shops)]
        self.by_country: dict[str, list[Shop]] = {c: [] for c in names}
        for shop in self.shops:
            self.by_country[shop.country].append(shop)
        self.cards = max(10, count // 3)
        self.card_country = [self.rng.choices(names, weights)[0] for _ in range(self.cards)]

    def _shop(self, k: int, country: str) -> Shop:
        mcc = "7995" if self.rng.random() < 0.01 else self.rng.choice(MCCS[:-1])
        terminals = tuple(f"T{k:06d}-{j}" for j in range(2))
        return Shop(f"M{k:06d}", country, mcc, terminals)

    def merchant_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(self.seed + 1)  # its own: the staged rows must not depend on it
        for shop in self.shops:
            local = COUNTRIES[shop.country][1]
            settle = "USD" if local == "AED" else (local if rng.random() < 0.8 else "EUR")
            name = f"Shop {shop.merchant_id}"
            yield (shop.merchant_id, name, shop.mcc, shop.country, "City", "Europe/Amsterdam",
                   settle, rng.randint(80, 250), rng.randint(0, 25))  # fmt: skip

    def _amount(self, country: str, eur_cents: int) -> int:
        return max(1, int(eur_cents * COUNTRIES[country][3]))

    def _row(self, tid: str, card: int, shop: Shop, at: datetime, cents: int, **kw: Any) -> Any:
        country = shop.country
        _w, currency, offset, _r = COUNTRIES[country]
        sent = NOW + timedelta(hours=1) if kw.get("late") else at + timedelta(seconds=2)
        terminal = kw.get("terminal") or shop.terminals[card % 2]
        return (
            tid, kw.get("kind", "purchase"), kw.get("original"), shop.merchant_id, terminal,
            f"C{card:08d}", "424242", f"{card % 10000:04d}", "visa", self.card_country[card],
            country, shop.mcc, kw.get("mode", "chip"), self._amount(country, cents),
            currency, at + timedelta(minutes=offset), offset, at, DAY, sent, sent, sent,
            f"msg-{tid}", f"{zlib.crc32(tid.encode()):064x}", "staged",
        )  # fmt: skip

    def _home_shop(self, card: int) -> Shop:
        country = self.card_country[card]
        if self.rng.random() < 0.03 or not self.by_country[country]:
            return self.rng.choice(self.shops)
        return self.rng.choice(self.by_country[country])

    def _cents(self) -> int:
        return min(200_000, max(50, int(math.exp(self.rng.gauss(3.2, 1.0)) * 100)))

    def staged_rows(self) -> Iterator[tuple[Any, ...]]:
        bursts = list(self._bursts())
        base = self.count - len(bursts)
        recent: list[tuple[Any, ...]] = []
        draw = self.rng.random
        for i in range(base):
            at = START + SPAN * i / base
            tid = f"S{i:09d}"
            roll = draw()
            if recent and roll < 0.03:
                orig = recent[int(draw() * len(recent))]
                minor = orig[13] if roll < 0.01 else max(1, int(orig[13] * draw()))
                kind = "reversal" if roll < 0.01 else "refund"
                yield (tid, kind, orig[0], *orig[3:13], minor, orig[14],
                       at + timedelta(minutes=orig[16]), orig[16], at, DAY, *(at,) * 3,
                       f"msg-{tid}", f"{i:064x}", "staged")  # fmt: skip
                continue
            card = int(draw() * self.cards)
            row = self._row(tid, card, self._home_shop(card), at, self._cents(),
                            mode="ecommerce" if draw() < 0.2 else "chip",
                            late=draw() < 0.002)  # fmt: skip
            if draw() < 0.0005:
                row = (tid, "refund", f"ghost-{i}", *row[3:])
            else:
                recent.append(row)
                if len(recent) > 2000:
                    recent.pop(0)
            yield row
        yield from bursts

    def _bursts(self) -> Iterator[tuple[Any, ...]]:
        rng, n, k = self.rng, self.count, 0
        for kind, cards, size in (("velocity", n // 2000, 6), ("testing", n // 5000, 4),
                                  ("limit", n // 5000, 1), ("travel", n // 5000, 2)):  # fmt: skip
            for _ in range(max(1, cards)):
                card = rng.randrange(self.cards)
                at = START + timedelta(minutes=rng.randrange(60, 1150))
                for step in range(size):
                    k += 1
                    shop = self._home_shop(card)
                    cents = {"testing": 100, "limit": rng.randint(300_000, 900_000)}.get(
                        kind, rng.randint(3_000, 60_000)
                    )
                    if kind == "travel" and step == 1:
                        shop = rng.choice(self.by_country["JP"] or self.shops)
                    mode = "ecommerce" if kind == "testing" else "chip"
                    later = at + timedelta(minutes=3 * step)
                    yield self._row(f"F{k:08d}", card, shop, later, cents, mode=mode)
        for _ in range(max(1, n // 100_000)):
            shop, at = rng.choice(self.shops), START + timedelta(minutes=rng.randrange(60, 1150))
            for step in range(15):
                k += 1
                yield self._row(f"F{k:08d}", rng.randrange(self.cards), shop,
                                at + timedelta(minutes=step), self._cents(),
                                terminal=shop.terminals[0])  # fmt: skip

    def journal_rows(self, staged: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """The terminals' journal for the staged rows, with mismatches, gaps and extras."""
        rng = random.Random(self.seed + 2)
        draw = rng.random
        for row in staged:
            roll = draw()
            if roll < 0.005:
                continue  # never journalled: unexpected_in_staging
            tid, local, minor = row[0], row[15], row[13]
            if roll < 0.006:  # re-keyed by the terminal: a tolerant match
                tid, local = tid + "-J", local + timedelta(seconds=30)
            elif roll < 0.011:
                minor += 1  # amount_mismatch
            yield (tid, row[4], row[3], row[1], minor, row[14], local, row[16],
                   local - timedelta(minutes=row[16]), DAY, row[7], row[2], NOW)  # fmt: skip
            if roll > 0.997:  # a journal line whose transaction never reached us
                shop = rng.choice(self.shops)
                yield (f"J{tid}", shop.terminals[0], shop.merchant_id, "purchase", 999,
                       COUNTRIES[shop.country][1], local, row[16], row[17], DAY, "0000", None,
                       NOW)  # fmt: skip


# --- loading ---------------------------------------------------------------------------------


def _sqlite_text(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        v.strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, datetime)
        else v.isoformat()
        if isinstance(v, date)
        else v
        for v in row
    )


def load_sqlite(path: Path, count: int) -> None:
    maker = DayMaker(count)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    connection.execute("BEGIN")
    for table, columns, rows in _tables(maker):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        for batch in batched((_sqlite_text(row) for row in rows), 50_000):
            connection.executemany(sql, batch)
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()


def _tables(maker: DayMaker) -> Iterator[tuple[str, list[str], Iterator[tuple[Any, ...]]]]:
    yield "merchants", MERCHANT, maker.merchant_rows()
    yield "staged_transactions", STAGED, maker.staged_rows()
    replay = DayMaker(maker.count)  # same seed: the same staged rows again, for the journal
    yield "journal_entries", JOURNAL, maker.journal_rows(replay.staged_rows())


def _conninfo(url: str) -> str:
    parsed = make_url(url)
    host, port = parsed.query["host"], parsed.query["port"]
    return f"dbname={parsed.database} user={parsed.username} host={host} port={port}"


def load_postgres(url: str, count: int) -> None:
    maker = DayMaker(count)
    with psycopg.connect(_conninfo(url)) as connection:
        with connection.cursor() as cursor:
            for table, columns, rows in _tables(maker):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")


# --- the raw baseline --------------------------------------------------------------------------

_FIELDS = (
    "transaction_id, transaction_type, original_transaction_id, merchant_id, terminal_id,"
    " card_token, card_bin, card_last4, card_brand, card_country, merchant_country, mcc,"
    " entry_mode, amount_minor, currency, local_time, utc_offset_min, transacted_at,"
    " business_date"
)
JOIN = (
    "SELECT COUNT(*), SUM(CASE WHEN j.amount_minor = s.amount_minor THEN 1 ELSE 0 END)"
    " FROM staged_transactions s LEFT JOIN journal_entries j"
    " ON j.transaction_id = s.transaction_id WHERE s.business_date = {d}"
)
GROUPS = (
    "SELECT merchant_id, currency, SUM(amount_minor), COUNT(*) FROM staged_transactions"
    " WHERE business_date = {d} GROUP BY merchant_id, currency"
)
VELOCITY = (
    "SELECT COUNT(*) FROM (SELECT COUNT(*) OVER (PARTITION BY card_token ORDER BY ts"
    " RANGE BETWEEN {w} PRECEDING AND CURRENT ROW) AS n FROM (SELECT card_token, {ts} AS ts"
    " FROM staged_transactions WHERE business_date = {d} AND transaction_type = 'purchase') x)"
    " y WHERE n > 4"
)
STREAM = (
    f"SELECT {_FIELDS} FROM staged_transactions WHERE business_date = {{d}}"
    " AND transaction_type = 'purchase' ORDER BY {key}, transacted_at, transaction_id"
)
Timed = dict[str, float]


def _timed(parts: Timed, name: str, work: Callable[[], Any]) -> None:
    started = time.perf_counter()
    work()
    parts[name] = time.perf_counter() - started


def raw_sqlite(path: Path) -> Timed:
    connection = sqlite3.connect(path)
    d, parts = f"'{DAY.isoformat()}'", {}
    seconds = "CAST(strftime('%s', transacted_at) AS INTEGER)"
    queries = {
        "join": JOIN.format(d=d),
        "group_by": GROUPS.format(d=d),
        "velocity": VELOCITY.format(d=d, w=900, ts=seconds),
        "stream_card": STREAM.format(d=d, key="card_token"),
        "stream_terminal": STREAM.format(d=d, key="terminal_id"),
    }
    for name, sql in queries.items():
        _timed(parts, name, lambda sql=sql: sum(1 for _ in connection.execute(sql)))
    connection.close()
    return parts


def raw_postgres(url: str) -> Timed:
    d, parts = f"DATE '{DAY.isoformat()}'", {}
    queries = {
        "join": JOIN.format(d=d),
        "group_by": GROUPS.format(d=d),
        "velocity": VELOCITY.format(d=d, w="INTERVAL '15 minutes'", ts="transacted_at"),
        "stream_card": STREAM.format(d=d, key="card_token"),
        "stream_terminal": STREAM.format(d=d, key="terminal_id"),
    }
    with psycopg.connect(_conninfo(url)) as connection:
        for name, sql in queries.items():

            def read(sql: str = sql) -> int:
                with connection.cursor(name="raw") as cursor:  # server side: streamed
                    cursor.itersize = 5000
                    cursor.execute(sql)
                    return sum(1 for _ in cursor)

            _timed(parts, name, read)
        connection.rollback()
    return parts


# --- the end of day in a child process -------------------------------------------------------


def run_child(url: str, reports: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_eod", "--child", url, str(reports)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"end of day failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _peak_kib() -> int:
    """This process's own peak RSS. Not ru_maxrss: Linux carries the parent's high-water mark
    into a forked-then-exec'd child, so it would report the (big) loader's peak instead."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(url: str, reports: str) -> None:
    from settlement.adapters.database import create_db_engine  # noqa: PLC0415
    from settlement.config import load_settings  # noqa: PLC0415
    from settlement.eod.run import RunRequest, run_end_of_day  # noqa: PLC0415

    settings = load_settings(database_url=url, reports_dir=Path(reports))
    engine = create_db_engine(url)
    started = time.perf_counter()
    report = run_end_of_day(engine, settings, RunRequest(DAY, NOW))
    seconds = time.perf_counter() - started
    engine.dispose()
    peak_kib = _peak_kib()
    print(json.dumps({"status": report.status, "message": report.message, "seconds": seconds,
                      "timings": report.timings, "peak_mib": peak_kib / 1024,
                      "fraud": report.counts.get("fraud_decisions")}))  # fmt: skip


# --- the comparison ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    count: int
    eod_s: float
    raw_s: float
    peak_mib: float


def _report(label: str, count: int, eod: dict[str, Any], raw: Timed) -> Measured:
    base = sum(raw.values())
    assert eod["status"] == "completed", eod["message"]
    print(
        f"eod {label} {count:,}: {eod['seconds']:.1f} s; raw baseline {base:.1f} s;"
        f" ratio {eod['seconds'] / base:.2f} (target <= {TARGET_RATIO})"
    )
    steps = ", ".join(f"{k} {v:.1f}" for k, v in eod["timings"].items())
    parts = ", ".join(f"{k} {v:.1f}" for k, v in raw.items())
    print(f"  eod steps (s): {steps}; decisions {eod['fraud']}")
    print(f"  raw parts (s): {parts}; eod peak RSS {eod['peak_mib']:.0f} MiB")
    return Measured(count, eod["seconds"], base, eod["peak_mib"])


def _memory_line(label: str, small: Measured, big: Measured) -> None:
    ratio = big.peak_mib / small.peak_mib
    print(
        f"eod {label} peak RSS: {small.count:,} {small.peak_mib:.0f} MiB; {big.count:,}"
        f" {big.peak_mib:.0f} MiB; ratio {ratio:.2f} (target <= {TARGET_MEMORY})"
    )


def bench_sqlite(workdir: Path, sizes: list[int]) -> None:
    measured = []
    for count in sizes:
        path = workdir / f"eod-{count}.db"
        upgrade(f"sqlite:///{path}")
        load_sqlite(path, count)
        # Reports of each database apart: a payout file another database's run wrote is
        # refused by the next run, as it must be.
        eod = run_child(f"sqlite:///{path}", workdir / f"reports-sqlite-{count}")
        measured.append(_report("sqlite", count, eod, raw_sqlite(path)))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    _memory_line("sqlite", measured[0], measured[-1])


def bench_postgres(workdir: Path, sizes: list[int]) -> None:
    measured = []
    with throwaway_cluster() as server:
        for count in sizes:
            with scratch_database(server) as url:
                upgrade(url)
                load_postgres(url, count)
                eod = run_child(url, workdir / f"reports-postgresql-{count}")
                measured.append(_report("postgresql", count, eod, raw_postgres(url)))
    _memory_line("postgresql", measured[0], measured[-1])


def main() -> None:
    sizes = [int(os.environ.get(name, default)) for name, default in
             (("BENCH_EOD_SMALL_N", "100000"), ("BENCH_EOD_N", "1000000"))]  # fmt: skip
    backends = os.environ.get("BENCH_EOD_BACKENDS", "sqlite,postgresql").split(",")
    with tempfile.TemporaryDirectory(prefix="bench-eod-") as tmp:
        if "sqlite" in backends:
            bench_sqlite(Path(tmp), sizes)
        if "postgresql" in backends:
            bench_postgres(Path(tmp), sizes)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main()
