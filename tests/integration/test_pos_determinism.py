"""Same seed and arguments => byte-identical files, across processes and hash seeds."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from pos_simulator.writer import FAULTS, JOURNAL, LABELS, MERCHANTS, MESSAGES

FILES = (MERCHANTS, MESSAGES, JOURNAL, LABELS, FAULTS)
SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from pos_simulator.config import DayConfig
from pos_simulator.generate import generate_day
from pos_simulator.options import RateOptions, build_mix
mix = build_mix(RateOptions(fraud_rate=0.05, fault_rate=0.05, malformed_rate=0.01))
config = DayConfig(seed=int(sys.argv[2]), business_date=date(2026, 3, 29), transactions=4000,
                   merchants=40, cards=500, mix=mix)
generate_day(config, Path(sys.argv[1]))
"""


def generate_in_process(out: Path, seed: int, hash_seed: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), str(seed)], check=True, env=env)
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in FILES}


def test_two_processes_write_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = generate_in_process(tmp_path / "a", 11, "1")
    second = generate_in_process(tmp_path / "b", 11, "987654")
    other = generate_in_process(tmp_path / "c", 12, "1")
    assert first == second
    assert all(other[name] != first[name] for name in (MESSAGES, JOURNAL, LABELS))
    assert not any(p.name.startswith(".") for p in (tmp_path / "a").iterdir())  # no spool left
