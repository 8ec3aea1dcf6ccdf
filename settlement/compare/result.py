"""One consumption mode's measurement: what `compare-modes` writes to compare.json and the
report reads back (`settlement.reports.comparison`), defined once for both."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class ModeResult:
    mode: str
    batch_size: int
    batch_window_s: float
    messages: int
    staged: int
    seconds: float
    throughput_msg_s: float
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_p99: float
    latency_ms_max: float
    sqs_requests: dict[str, int]
    sqs_requests_total: int
    sqs_cost_usd: str
    sqs_cost_usd_per_million_messages: str
    staleness_s: float  # last send -> last staged: how far behind end of day would start

    @property
    def latency_ms(self) -> dict[str, float]:
        """The latency percentiles by name (p50, p95, p99, max), as the report charts them."""
        return {
            "p50": self.latency_ms_p50,
            "p95": self.latency_ms_p95,
            "p99": self.latency_ms_p99,
            "max": self.latency_ms_max,
        }


def write_comparison(results: Sequence[ModeResult], path: Path, extra: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**extra, "modes": [asdict(result) for result in results]}
    path.write_text(json.dumps(document, indent=2) + "\n")
