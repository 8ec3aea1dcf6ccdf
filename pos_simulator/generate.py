"""Generate one business day into a directory: the entry point of the library.

Same `DayConfig` (seed included) => byte-identical files. Nothing here reads the clock or
the environment: the CLI resolves defaults and passes them in.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pos_simulator.config import DayConfig
from pos_simulator.countries import countries_for
from pos_simulator.day import DaySimulator, DaySummary
from pos_simulator.pools import Pools, build_pools
from pos_simulator.writer import MERCHANTS, DayWriter, write_merchants
from settlement.counting import ProgressCallback


def pools_for(config: DayConfig, progress: ProgressCallback | None = None) -> Pools:
    """The day's merchants and cards; `progress` is told how many of the
    `pool_items(config)` are built."""
    countries = countries_for(config.currencies)
    return build_pools(
        config.seed,
        config.merchants,
        config.cards,
        countries,
        config.business_date.year,
        cross_currency_share=config.mix.cross_currency_share,
        progress=progress,
    )


def pool_items(config: DayConfig) -> int:
    return config.merchants + config.cards


def simulate_day(
    config: DayConfig, pools: Pools, out_dir: Path, progress: ProgressCallback | None = None
) -> DaySummary:
    """Write merchants.csv, messages.jsonl, journal.csv, labels.csv and faults.csv;
    `progress` is told the transactions written (journal lines), every few thousand."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_merchants(out_dir / MERCHANTS, pools.merchants, pools.accounts)
    writer = DayWriter(out_dir, progress)
    with writer:
        summary = DaySimulator(config, pools, writer).run()
    return replace(summary, messages=writer.lines)  # late messages are counted on close


def generate_day(
    config: DayConfig, out_dir: Path, progress: ProgressCallback | None = None
) -> DaySummary:
    return simulate_day(config, pools_for(config), out_dir, progress)
