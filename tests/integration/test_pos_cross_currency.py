"""Cross-border acquiring in the generated day: a configurable share of merchants settle in
another currency than they sell in, every pair has an ECB rate on the demo's date, the same
seed gives the same day, and the share changes merchants.csv and nothing else."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pos_simulator.cli import app
from pos_simulator.config import DayConfig
from pos_simulator.cross_border import DEFAULT_SHARE, SETTLES_IN, settlement_currencies
from pos_simulator.generate import generate_day
from pos_simulator.options import parse_share
from pos_simulator.profiles import Mix
from settlement.adapters.rates import ecb_history
from settlement.cli.demo import DEMO_DATE

SMALL = DayConfig(seed=5, business_date=date(2026, 10, 14), transactions=1_500, merchants=120)


def _merchants(directory: Path) -> list[dict[str, str]]:
    with (directory / "merchants.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _day(tmp_path: Path, name: str, share: float, seed: int = 5) -> Path:
    config = replace(SMALL, seed=seed, mix=replace(Mix(), cross_currency_share=share))
    generate_day(config, tmp_path / name)
    return tmp_path / name


def test_every_pair_has_an_ecb_rate_on_the_demo_date() -> None:
    day = date.fromisoformat(DEMO_DATE)
    for currency in (set(SETTLES_IN) | set(SETTLES_IN.values())) - {"EUR"}:
        assert day in {rate_date for rate_date, _ in ecb_history(currency)}, currency


@pytest.mark.parametrize("share", [0.0, 0.05, DEFAULT_SHARE, 0.5, 1.0])
def test_the_share_is_honoured_with_realistic_pairs(share: float) -> None:
    sales = ["EUR"] * 60 + ["GBP"] * 10 + ["CHF"] * 5 + ["USD"] * 10 + ["JPY"] * 5 + ["KWD"]
    settled = settlement_currencies(9, sales, share)
    moved = [(a, b) for a, b in zip(sales, settled, strict=True) if a != b]
    eligible = sum(currency in SETTLES_IN for currency in sales)
    assert len(moved) == min(eligible, round(share * len(sales)))
    assert all(SETTLES_IN[a] == b for a, b in moved)
    assert settled == settlement_currencies(9, sales, share)  # seeded


def test_the_share_changes_merchants_csv_and_nothing_else(tmp_path: Path) -> None:
    none, some = _day(tmp_path, "none", 0.0), _day(tmp_path, "some", DEFAULT_SHARE)
    for name in ("messages.jsonl", "journal.csv", "labels.csv", "faults.csv"):
        assert (none / name).read_bytes() == (some / name).read_bytes(), name
    before, after = _merchants(none), _merchants(some)
    moved = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(moved) == round(DEFAULT_SHARE * len(before))
    for a, b in moved:
        assert SETTLES_IN[a["settlement_currency"]] == b["settlement_currency"]
        assert {k: v for k, v in a.items() if k not in ("settlement_currency", "fee_fixed")} == {
            k: v for k, v in b.items() if k not in ("settlement_currency", "fee_fixed")
        }


def test_the_same_seed_gives_the_same_day(tmp_path: Path) -> None:
    first, again = _day(tmp_path, "a", 0.3), _day(tmp_path, "b", 0.3)
    other = _day(tmp_path, "c", 0.3, seed=6)
    for name in ("merchants.csv", "messages.jsonl", "journal.csv", "labels.csv"):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    assert _merchants(first) != _merchants(other)


@pytest.mark.parametrize("text", ["-1", "2", "nan", "20%", "inf", ""])
def test_a_hostile_share_gets_one_line(text: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--cross-currency-share must be a number from 0 to 1"):
        parse_share("--cross-currency-share", text)
    args = ["generate", "--business-date", "2026-10-14", "-n", "50", "--merchants", "20"]
    args += ["--out", str(tmp_path / "x"), f"--cross-currency-share={text}"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"pos-sim: --cross-currency-share must be a number from 0 to 1 (e.g. 0.2), got {text!r}"
    ]
    assert not (tmp_path / "x").exists()
