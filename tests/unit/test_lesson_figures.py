"""The lesson's arithmetic: stories, time to first hold, fraud accepted before the hold (exact
EUR), never-held stories; and the seed's claims judged on the measured figures, each
contradiction explained with those figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from settlement.cli.lesson import _value
from settlement.compare.claims import time_to_hold_claim, transport_claims
from settlement.compare.lesson import DayRun, build_lesson, duration_text, hold_rows, story_kind
from settlement.compare.result import ModeResult
from settlement.domain.fraud import Action, FraudDecision, rate_table_to_eur
from settlement.domain.transactions import FRAUD_SCENARIOS
from settlement.reports.lesson import _claim
from tests.support.lane_cases import DAY, transactions_of

NINE = datetime(2026, 3, 11, 9)
CUTOFF = datetime(2026, 3, 11, 21)


def test_a_story_is_a_terminal_only_for_the_terminal_scenario() -> None:
    kinds = {scenario: story_kind(scenario) for scenario in FRAUD_SCENARIOS}
    assert kinds.pop("compromised_terminal") == "terminal"
    assert set(kinds.values()) == {"card"}


def _held(tid: str) -> FraudDecision:
    return FraudDecision(tid, Action.REVIEW, 60, ("velocity",), ("5 purchases",))


def _run() -> DayRun:
    # card 0: a spree of three (EUR 10.00, USD 20.00, EUR 30.00) at 09:00, 09:10, 09:20, the
    # lane holding it at the second's arrival; card 1: one unheld card-testing purchase
    parts = [
        (0, 540 + 10 * i, 0, 0, cur, amount, "NL", "chip", "5411", "purchase")
        for i, (cur, amount) in enumerate([("EUR", 1_000), ("USD", 2_000), ("EUR", 3_000)])
    ]
    parts.append((0, 600, 1, 1, "AED", 100, "NL", "chip", "5411", "purchase"))  # no EUR rate
    parts.append((0, 610, 2, 1, "EUR", 500, "NL", "chip", "5411", "purchase"))  # legit
    txs = transactions_of(parts)  # fmt: skip
    arrivals = [(tx, tx.transacted_at + timedelta(seconds=2)) for tx in txs]
    labels = {"T000": "stolen_card_spree", "T001": "stolen_card_spree",
              "T002": "stolen_card_spree", "T003": "card_testing"}  # fmt: skip
    second_arrival = arrivals[1][1]
    return DayRun(
        arrivals=arrivals, labels=labels,
        async_held_at={"T000": second_arrival, "T001": second_arrival, "T002": arrivals[2][1]},
        batch_decisions={tid: _held(tid) for tid in ("T000", "T001", "T002")},
        batch_held_at=CUTOFF + timedelta(seconds=3),
        to_eur=rate_table_to_eur({"USD": Decimal("2")}), lane_cpu_s=0.004, batch_cpu_s=0.002,
        lane_work={"screened_purchases": 9, "screened_groups": 6},
        released=0, agreement={"equal": True, "held": 3},
    )  # fmt: skip


def test_time_to_hold_and_what_was_accepted_before_it() -> None:
    lesson = build_lesson(_run(), DAY.isoformat(), CUTOFF)
    spree = next(s for s in lesson["scenarios"] if s["scenario"] == "stolen_card_spree")
    assert spree["stories"] == 1 and spree["fraud_transactions"] == 3
    a, b = spree["async"], spree["batch"]
    assert a["time_to_hold_s_median"] == a["time_to_hold_s_worst"] == 10 * 60 + 2
    assert b["time_to_hold_s_median"] == 12 * 3600 + 3
    # async: the first two were authorised before the hold (10.00 EUR + 20.00 USD = 10.00 EUR)
    assert a["accepted_before_hold"] == {"transactions": 2, "amount_eur_minor": 2_000,
                                         "amount_eur": "20.00", "without_eur_rate": 0}  # fmt: skip
    assert b["accepted_before_hold"]["amount_eur_minor"] == 5_000
    testing = lesson["total"]["async"]["never_held"]
    assert testing == {"stories": 1, "transactions": 1, "amount_eur_minor": 0,
                       "amount_eur": "0.00", "without_eur_rate": 1}  # fmt: skip
    assert lesson["compute"]["async"]["cpu_us_per_tx"] == 800  # 4 ms over 5 purchases
    rows = hold_rows(_run())
    assert [row[0] for row in rows] == ["T000", "T001", "T002", "T003"]  # not the legit T004
    assert rows[0][4] == rows[1][4] != rows[2][4] and rows[3][4:6] == ("", "")


def _mode(name: str, **figures: object) -> ModeResult:
    base: dict[str, object] = dict(
        mode=name, batch_size=1 if name == "async" else 10,
        batch_window_s=0.0 if name == "async" else 0.5, messages=120, staged=120, seconds=3.0,
        throughput_msg_s=40.0, latency_ms_p50=5.0, latency_ms_p95=9.0, latency_ms_p99=9.0,
        latency_ms_max=9.0, sqs_requests={"ReceiveMessage": 120}, sqs_requests_total=360,
        sqs_cost_usd="0.00014400", sqs_cost_usd_per_million_messages="1.20", staleness_s=0.1,
    )  # fmt: skip
    return ModeResult(**{**base, **figures})  # type: ignore[arg-type]


def test_claims_are_judged_on_the_figures_and_contradictions_say_why() -> None:
    batch = _mode("batch", sqs_requests={"ReceiveMessage": 30}, sqs_requests_total=150,
                  sqs_cost_usd="0.00006000", latency_ms_p50=400.0,
                  throughput_msg_s=39.5)  # fmt: skip
    claims = {c.metric: c for c in transport_claims([_mode("async"), batch], 40.0)}
    assert claims["sqs_requests"].holds and claims["sqs_cost_usd"].holds
    assert claims["latency_ms_p50"].holds and claims["latency_ms_p50"].why is None
    throughput = claims["throughput_msg_s"]
    assert not throughput.holds and throughput.winner == "tie"
    assert "capped by the sender" in str(throughput.why) and "40.0" in str(throughput.why)

    slow = _mode("batch", throughput_msg_s=20.0, seconds=6.0, sqs_requests_total=400,
                 sqs_requests={"ReceiveMessage": 120}, sqs_cost_usd="0.00016000")  # fmt: skip
    claims = {c.metric: c for c in transport_claims([_mode("async"), slow], 40.0)}
    assert claims["throughput_msg_s"].winner == "async"
    assert "3.0 s longer" in str(claims["throughput_msg_s"].why)
    assert not claims["sqs_requests"].holds and "1.0 messages each" in str(
        claims["sqs_requests"].why
    )
    assert not claims["sqs_cost_usd"].holds and "360 async vs 400 batch" in str(
        claims["sqs_cost_usd"].why
    )
    assert transport_claims([], 40.0) == []


def test_durations_read_as_a_person_says_them() -> None:
    assert [duration_text(s) for s in (0, 59, 61, 3_599, 3_600, 46_827)] == [
        "0 s", "59 s", "1 min 01 s", "59 min 59 s", "1 h 00 min", "13 h 00 min",
    ]  # fmt: skip


def test_a_time_to_hold_nobody_measured_reads_as_a_dash_not_none() -> None:
    """A day with no fraud story held one way (or either way) printed "None s" in the
    lesson's table and on the report's page."""
    for async_s, batch_s in ((None, None), (None, 3_600), (600, None)):
        empty = {"time_to_hold_s_median": None}
        total = {"async": {"time_to_hold_s_median": async_s} if async_s else empty,
                 "batch": {"time_to_hold_s_median": batch_s} if batch_s else empty}  # fmt: skip
        claim = time_to_hold_claim(total).to_dict()
        row = _claim(claim)
        shown = [_value(claim, "async_value"), _value(claim, "batch_value")]
        shown += [row.text("async"), row.text("batch")]
        assert not any("None" in text for text in shown), shown
        assert shown.count("–") == 2 * ((async_s is None) + (batch_s is None))
