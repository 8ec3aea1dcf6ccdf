"""Read `compare.json` (written by `settlement compare-modes`) for the report's batch-vs-async
section. A missing file means no section; a file of another shape is refused loudly rather
than shown half-read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from settlement.compare.result import ModeResult
from settlement.reports.documents import read_document
from settlement.reports.model import Comparison


class ComparisonFormatError(ValueError):
    """compare.json exists but is not what compare-modes writes."""


def _mode(document: dict[str, Any]) -> ModeResult:
    return ModeResult(
        mode=str(document["mode"]),
        batch_size=int(document["batch_size"]),
        batch_window_s=float(document["batch_window_s"]),
        messages=int(document["messages"]),
        staged=int(document["staged"]),
        seconds=float(document["seconds"]),
        throughput_msg_s=float(document["throughput_msg_s"]),
        latency_ms_p50=float(document["latency_ms_p50"]),
        latency_ms_p95=float(document["latency_ms_p95"]),
        latency_ms_p99=float(document["latency_ms_p99"]),
        latency_ms_max=float(document["latency_ms_max"]),
        sqs_requests={str(k): int(v) for k, v in sorted(document["sqs_requests"].items())},
        sqs_requests_total=int(document["sqs_requests_total"]),
        sqs_cost_usd=str(document["sqs_cost_usd"]),
        sqs_cost_usd_per_million_messages=str(document["sqs_cost_usd_per_million_messages"]),
        staleness_s=float(document["staleness_s"]),
    )


def load_comparison(path: Path) -> Comparison | None:
    if not path.is_file():
        return None
    try:
        document = read_document(path)
        modes = tuple(_mode(mode) for mode in document["modes"])
        if not modes:  # the page's table is one column a mode, its rows from the first
            raise ValueError("no modes")
        return Comparison(
            messages=int(document["messages"]), tps=float(document["tps"]), modes=modes
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as error:
        raise ComparisonFormatError(f"{path}: not a compare-modes result ({error})") from None
