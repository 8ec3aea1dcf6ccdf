"""What the report tests share: a compare.json as `settlement compare-modes` writes it, and the
value at a dotted key of summary.json (the key the HTML tags each number with)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from settlement.compare.result import ModeResult, write_comparison


def write_sample_comparison(path: Path) -> None:
    """A compare.json as `settlement compare-modes` writes it."""
    common = {"messages": 120, "staged": 120, "seconds": 3.1}
    modes = [
        ModeResult(
            mode="async", batch_size=1, batch_window_s=0.0, throughput_msg_s=38.7,
            latency_ms_p50=30.5, latency_ms_p95=80.2, latency_ms_p99=95.0, latency_ms_max=99.9,
            sqs_requests={"DeleteMessageBatch": 120, "ReceiveMessage": 121, "SendMessage": 120},
            sqs_requests_total=361, sqs_cost_usd="0.00014440",
            sqs_cost_usd_per_million_messages="1.20", staleness_s=0.101, **common,
        ),
        ModeResult(
            mode="batch", batch_size=10, batch_window_s=0.5, throughput_msg_s=38.2,
            latency_ms_p50=420.0, latency_ms_p95=610.4, latency_ms_p99=700.1, latency_ms_max=702.0,
            sqs_requests={"DeleteMessageBatch": 14, "ReceiveMessage": 27, "SendMessage": 120},
            sqs_requests_total=161, sqs_cost_usd="0.00006440",
            sqs_cost_usd_per_million_messages="0.54", staleness_s=0.702, **common,
        ),
    ]  # fmt: skip
    write_comparison(modes, path, {"messages": 120, "tps": 40.0, "seed": 7})


def summary_value(summary: dict[str, Any], key: str) -> Any:
    value: Any = summary
    for part in key.split("."):
        value = value[part]
    return value
