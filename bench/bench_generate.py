"""Benchmark: `pos-sim generate` against a bare loop that writes the same JSON lines.

The baseline samples the same number of rows from the same pools (merchant, card, amount,
terminal, entry mode, instant) and writes messages.jsonl with the simulator's own text
helpers, so the ratio is the price of realism: time-of-day shapes, refunds, voids, fraud
stories, faults, the journal and the labels. Each measurement runs in a fresh child process,
which reports its CPU and wall time and its peak RSS; peak RSS at 100k and 1M shows that the
output is streamed. Timings are CPU seconds of the timed loop (the pools, built once per run
by Faker, are timed apart): on a shared 2-core machine wall time is noisier; it is printed
too. Usage: `python -m bench generate` or `python -m bench.bench_generate [N ...]`.
"""

from __future__ import annotations

import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from pos_simulator.amounts import amount_text
from pos_simulator.config import DayConfig
from pos_simulator.density import pool_sizes
from pos_simulator.generate import pools_for, simulate_day
from pos_simulator.pools import Pools
from pos_simulator.streams import SlotClock
from pos_simulator.timeline import local_time_text, utc_text, uuid7_text
from pos_simulator.vocabulary import ENTRY_MODES, SCHEMA_ID

SIZES = (100_000, 1_000_000)
ROUNDS = 2  # best of, per size and kind
TARGET_RATIO = 1.5
FLUSH_ROWS = 4096


def config_for(transactions: int) -> DayConfig:
    """Sized as `pos-sim generate -n N` sizes it, so that bench_day's generate stage and
    this floor build the same pools."""
    sizes = pool_sizes(transactions, "generate")
    return DayConfig(seed=7, business_date=date(2026, 11, 27), transactions=transactions,
                     merchants=sizes.merchants, cards=sizes.cards)  # fmt: skip


def baseline(config: DayConfig, pools: Pools, out_dir: Path) -> None:
    """The bare loop: uniform samples from the pools, one JSON line each, nothing else."""
    day = config.day
    start, span = day.start_ms, day.end_ms - day.start_ms
    offsets = SlotClock(day, (m.timezone for m in pools.merchants)).offsets[0]
    rng = random.Random(config.seed)
    draw, gauss, bits = rng.random, rng.gauss, rng.getrandbits
    merchants, cards, n = pools.merchants, pools.cards, config.transactions
    buffer: list[str] = []
    with (out_dir / "messages.jsonl").open("w", encoding="utf-8", buffering=1 << 20) as out:
        for i in range(n):
            ms = start + i * span // n
            m = merchants[int(draw() * len(merchants))]
            card = cards[int(draw() * len(cards))]
            amount = int(math.exp(m.log_mu_minor + m.sigma * gauss())) or 1
            suffixes = m.terminal_suffixes
            terminal = m.merchant_id + suffixes[int(draw() * len(suffixes))]
            offset = offsets[m.timezone] or 0
            buffer.append(
                f'{{"schema":"{SCHEMA_ID}","transaction_id":"{uuid7_text(ms, bits(74))}",'
                f'"type":"purchase","original_transaction_id":null,'
                f'"merchant_id":"{m.merchant_id}","terminal_id":"{terminal}","pan":"{card.pan}",'
                f'"expiry":"{card.expiry}","amount":"{amount_text(amount, m.exponent)}",'
                f'"currency":"{m.currency}","card_country":"{card.country}",'
                f'"merchant_country":"{m.country_code}","mcc":"{m.mcc_code}",'
                f'"entry_mode":"{ENTRY_MODES[int(draw() * 5)]}",'
                f'"local_time":"{local_time_text(ms, offset)}",'
                f'"sent_at":"{utc_text(ms + 80 + int(draw() * 1920))}"}}\n'
            )
            if len(buffer) >= FLUSH_ROWS:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))


def child(kind: str, transactions: int) -> dict[str, Any]:
    """Run one measurement in this process (a fresh child) and report it."""
    config = config_for(transactions)
    started = time.perf_counter()
    pools = pools_for(config)
    pools_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        cpu, wall = time.process_time(), time.perf_counter()
        if kind == "generate":
            simulate_day(config, pools, Path(tmp))
        else:
            baseline(config, pools, Path(tmp))
        cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"cpu_s": cpu_s, "wall_s": wall_s, "pools_s": pools_s, "peak_mb": peak_kb / 1024}


def measure(kind: str, transactions: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_generate", "--child", kind, str(transactions)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def best(kind: str, transactions: int) -> dict[str, Any]:
    runs = [measure(kind, transactions) for _ in range(ROUNDS)]
    chosen = min(runs, key=lambda run: run["cpu_s"])
    chosen["wall_s"] = min(run["wall_s"] for run in runs)
    chosen["peak_mb"] = max(run["peak_mb"] for run in runs)
    return chosen


def report(transactions: int) -> dict[str, Any]:
    gen, base = best("generate", transactions), best("baseline", transactions)
    ratio = gen["cpu_s"] / base["cpu_s"]
    print(
        f"generate {transactions:,}: {transactions / gen['cpu_s']:,.0f} rows/s, "
        f"baseline {transactions / base['cpu_s']:,.0f} rows/s, ratio {ratio:.2f} "
        f"(target <= {TARGET_RATIO}x time; CPU s {gen['cpu_s']:.2f} vs {base['cpu_s']:.2f}, "
        f"wall s {gen['wall_s']:.2f} vs {base['wall_s']:.2f}, "
        f"ratio {gen['wall_s'] / base['wall_s']:.2f}; "
        f"pools {gen['pools_s']:.2f} s apart)"
    )
    print(
        f"generate {transactions:,}: peak RSS {gen['peak_mb']:.0f} MB "
        f"(baseline {base['peak_mb']:.0f} MB)"
    )
    return {"transactions": transactions, "ratio": ratio, "generate": gen, "baseline": base}


def main(sizes: tuple[int, ...] = SIZES) -> None:
    results = [report(size) for size in sizes]
    peaks = ", ".join(f"{r['transactions']:,}: {r['generate']['peak_mb']:.0f} MB" for r in results)
    print(f"generate peak memory by N: {peaks} (streamed output: flat in N)")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))))
    else:
        main(tuple(int(arg) for arg in sys.argv[1:]) or SIZES)
