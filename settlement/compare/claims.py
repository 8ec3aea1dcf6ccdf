"""The seed's claims about batch vs asynchronous processing, checked against what was measured.

The seed says batch wins on SQS requests, cost and throughput, and async on latency; the
lesson adds fraud's time to hold (async expected) and compute per transaction (batch
expected). Each claim is reported as measured: who won, whether that is what was claimed,
and, where it is not, why, in one sentence built from the measured figures themselves (a
teacher needs the reason, not a tuned result). Two figures within `TIE_SHARE` of each other
are a tie: at the demo's size the measurement cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from settlement.compare.result import ModeResult

TIE_SHARE = Decimal("0.05")


@dataclass(frozen=True, slots=True)
class Claim:
    metric: str
    label: str
    claimed: str  # the mode the seed says wins
    better: str  # "lower" or "higher"
    unit: str
    async_value: float | int | str | None
    batch_value: float | int | str | None
    winner: str  # async, batch or tie (none: nothing measured)
    holds: bool
    why: str | None  # one sentence from the figures when the claim does not hold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _winner(a: Decimal, b: Decimal, better: str) -> str:
    if abs(a - b) <= TIE_SHARE * max(abs(a), abs(b)):
        return "tie"
    lower = "async" if a < b else "batch"
    return lower if better == "lower" else ("batch" if lower == "async" else "async")


Reason = Callable[[str], str]


def _claim(
    head: tuple[str, str, str, str, str], a: Any, b: Any, reason: Reason, exact: bool = False
) -> Claim:
    metric, label, claimed, better, unit = head
    if a is None or b is None:
        return Claim(*head, a, b, "none", False, reason("none"))
    x, y = Decimal(str(a)), Decimal(str(b))
    winner = _winner(x, y, better)
    if exact and winner == "tie" and x != y:
        winner = "async" if (x < y) == (better == "lower") else "batch"
    holds = winner == claimed
    return Claim(metric, label, claimed, better, unit, a, b, winner, holds,
                 None if holds else reason(winner))  # fmt: skip


def transport_claims(results: Sequence[ModeResult], tps: float) -> list[Claim]:
    modes = {result.mode: result for result in results}
    if "async" not in modes or "batch" not in modes:
        return []
    a, b = modes["async"], modes["batch"]
    n = b.messages
    receives_a = a.sqs_requests.get("ReceiveMessage", 0)
    receives_b = b.sqs_requests.get("ReceiveMessage", 0)

    def requests(_winner: str) -> str:
        per = n / receives_b if receives_b else 0.0
        return (
            f"batch receives carried {per:.1f} messages each ({receives_b:,} receives for "
            f"{n:,} messages, up to {b.batch_size} allowed) against async's {receives_a:,} "
            f"receives: at {tps:g} msg/s a {b.batch_window_s:g} s window gathers too few"
        )

    def cost(_winner: str) -> str:
        return (
            f"SQS bills per request, so the cost follows the request counts "
            f"({a.sqs_requests_total:,} async vs {b.sqs_requests_total:,} batch)"
        )

    def throughput(winner: str) -> str:
        capped = min(a.throughput_msg_s, b.throughput_msg_s) >= 0.9 * tps
        slower = b if winner == "async" else a
        faster = a if winner == "async" else b
        reason = (
            f"both modes consumed at about the send rate ({tps:g} msg/s sent; async "
            f"{a.throughput_msg_s:,.1f}, batch {b.throughput_msg_s:,.1f} msg/s measured): "
            "throughput is capped by the sender, so neither mode can show more"
            if capped
            else f"{a.throughput_msg_s:,.1f} vs {b.throughput_msg_s:,.1f} msg/s"
        )
        if winner == "tie":
            return reason if capped else _tie(a.throughput_msg_s, b.throughput_msg_s, "msg/s")
        return (
            f"{reason}; {slower.mode} took {slower.seconds - faster.seconds:,.1f} s longer for "
            f"the same {n:,} messages"
            + (
                f", its last {b.batch_window_s:g} s batching window waiting for messages that "
                "never came"
                if slower is b
                else ""
            )
        )

    def latency(winner: str) -> str:
        if winner == "tie":
            return _tie(a.latency_ms_p50, b.latency_ms_p50, "ms")
        return (
            f"async's median {a.latency_ms_p50:,.1f} ms is not below batch's "
            f"{b.latency_ms_p50:,.1f} ms: async paid a receive and a delete per message "
            f"({a.sqs_requests_total:,} requests for {n:,} messages) and they queued up"
        )

    return [
        _claim(("sqs_requests", "SQS requests", "batch", "lower", "requests"),
               a.sqs_requests_total, b.sqs_requests_total, requests, exact=True),
        _claim(("sqs_cost_usd", "SQS cost", "batch", "lower", "USD"),
               a.sqs_cost_usd, b.sqs_cost_usd, cost, exact=True),
        _claim(("throughput_msg_s", "throughput", "batch", "higher", "msg/s"),
               a.throughput_msg_s, b.throughput_msg_s, throughput),
        _claim(("latency_ms_p50", "latency p50", "async", "lower", "ms"),
               a.latency_ms_p50, b.latency_ms_p50, latency),
    ]  # fmt: skip


def _tie(a: float, b: float, unit: str) -> str:
    return (
        f"{a:,.1f} and {b:,.1f} {unit} are within {TIE_SHARE:.0%} of each other: at this "
        "size the measurement cannot tell the modes apart"
    )


def time_to_hold_claim(total: Mapping[str, Any]) -> Claim:
    a = total["async"]["time_to_hold_s_median"]
    b = total["batch"]["time_to_hold_s_median"]

    def why(winner: str) -> str:
        if winner == "none":
            return "no fraud story was held either way, so there is no time to hold to compare"
        return (
            f"the lane's median first hold came {a:,} s after a story began, not sooner than "
            f"the batch's {b:,} s (the cutoff plus the run): the holds that decided it came "
            "from purchases that arrived late"
        )

    head = ("time_to_hold_s_median", "fraud: time to first hold (median)", "async", "lower", "s")
    return _claim(head, a, b, why)


def compute_claim(compute: Mapping[str, Any]) -> Claim:
    a, b = compute["async"]["cpu_us_per_tx"], compute["batch"]["cpu_us_per_tx"]
    work, n = compute["lane_work"], compute["transactions"]

    def why(winner: str) -> str:
        screened = work.get("screened_purchases", 0)
        per = screened / n if n else 0.0
        return (
            f"the lane re-screened {screened:,} purchases in {work.get('screened_groups', 0):,} "
            f"card and terminal screenings for {n:,} arrivals ({per:.2f} per arrival), in "
            f"memory, while the batch read the day back from the database to screen each "
            f"card and terminal once: {a:,} vs {b:,} µs a purchase"
            + (" are within 5% of each other" if winner == "tie" else "")
        )

    head = ("cpu_us_per_tx", "compute per transaction (CPU)", "batch", "lower", "µs")
    return _claim(head, a, b, why)
