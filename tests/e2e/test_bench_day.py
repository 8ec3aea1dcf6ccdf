"""`python -m bench day` runs the whole day at a tiny size, as `make bench` runs it at 100k:
every stage in its own process, each with a floor, its own peak RSS, and the summary line.
The day's files (with the PANs the simulator made) live in the benchmark's own temporary
directory, gone when it ends; only its JSON lands in the test's directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_day import STAGES

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
COUNT = 2_000


def test_a_tiny_day_runs_every_stage_against_its_floor(tmp_path: Path) -> None:
    out = tmp_path / "day.json"
    command = [sys.executable, "-m", "bench", "day", "--transactions", str(COUNT),
               "--backend", "sqlite", "--json", str(out)]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    stages = {stage["name"]: stage for stage in result["stages"]}
    assert tuple(stages) == STAGES
    assert stages["generate"]["rows"] == COUNT
    assert stages["merchants import"]["rows"] == 300  # pos-sim's default pool
    # The simulator's faults: some journal lines never reach staging, a few are rejected.
    assert 0.95 * COUNT <= stages["ingest"]["rows"] <= stages["journal import"]["rows"] <= COUNT
    assert stages["eod"]["rows"] == stages["ingest"]["rows"]
    assert stages["report"]["rows"] >= stages["ingest"]["rows"]  # reconciliation.csv alone
    for stage in stages.values():
        assert stage["seconds"] > 0 and stage["floor_s"] > 0 and stage["ratio"] > 0, stage
        # Its own peak: a Python process with the CLI imported, not this test's or pytest's.
        assert 20 < stage["peak_mib"] < 1000, stage
    whole_s = sum(s["seconds"] for s in stages.values())
    assert result["whole_day_s"] == pytest.approx(whole_s, abs=0.01)  # each to the ms
    assert "| stage | seconds |" in done.stdout
    assert f"whole day: {result['whole_day_s']:.1f} s; sum of floors" in done.stdout
