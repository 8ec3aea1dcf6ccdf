"""What the fraud lane's tests share: dense small card/terminal days with look-back history,
random rulebooks that trip often, and the batch's verdict on the same purchases (the end of
day's own `fraud_step.screen_day` + `decide` over the in-memory store)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from settlement.adapters.eod_memory import MemoryEodStore, StagedRow
from settlement.domain.fraud import (
    FraudDecision,
    FraudFlag,
    Rulebook,
    ToEur,
    decide,
    load_rulebook,
    rate_table_to_eur,
)
from settlement.domain.fraud.lane import FraudLane
from settlement.domain.transactions import EntryMode, StagedTransaction, TransactionType
from settlement.eod.fraud_step import screen_day

DAY = date(2026, 3, 11)
TO_EUR = rate_table_to_eur({"USD": Decimal("1.0850"), "JPY": Decimal("161.50")})

# (day offset 0 today / 1, 2, 20 days back, minute of the day, card, terminal, currency,
#  amount minor, merchant country, entry mode, mcc, transaction type)
purchase_parts = st.tuples(
    st.sampled_from([0, 0, 0, 0, 1, 1, 2, 20]),
    st.integers(0, 300),
    st.integers(0, 3),
    st.integers(0, 2),
    st.sampled_from(["EUR", "EUR", "USD", "JPY", "AED"]),
    st.sampled_from([100, 250, 2_000, 30_000, 120_000, 400_000]),
    st.sampled_from(["NL", "NL", "DE", "US", "JP", "XX"]),
    st.sampled_from(["chip", "contactless", "ecommerce", "manual"]),
    st.sampled_from(["5411", "7995"]),
    st.sampled_from(["purchase"] * 6 + ["refund"]),
)


def transactions_of(parts: Sequence[tuple[object, ...]]) -> list[StagedTransaction]:
    found = []
    for n, part in enumerate(parts):
        back, minute, card, terminal, currency, amount, country, mode, mcc, kind = part
        day = DAY - timedelta(days=int(str(back)))
        at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=int(str(minute)))
        found.append(
            StagedTransaction(
                f"T{n:03d}", TransactionType(str(kind)), None if kind == "purchase" else "T000",
                "M1", f"term-{terminal}", f"card-{card}", "424242", "1111", "visa", "NL",
                str(country), str(mcc), EntryMode(str(mode)), int(str(amount)), str(currency),
                at + timedelta(hours=1), 60, at, day,
            )
        )  # fmt: skip
    return found


@st.composite
def tight_rulebooks(draw: st.DrawFn) -> Rulebook:
    """Overlays with low thresholds, so every rule trips on a dozen purchases."""
    pick = lambda *values: draw(st.sampled_from(values))  # noqa: E731
    on = lambda: pick("true", "true", "false")  # noqa: E731
    return load_rulebook(f"""
[decision]
review_at = {pick(50, 60)}
decline_at = {pick(90, 120)}
[rules.over_limit]
enabled = {on()}
limit_eur = "{pick("5.00", "300.00", "2500.00")}"
[rules.velocity]
enabled = {on()}
max_count = {draw(st.integers(1, 4))}
window_min = {draw(st.integers(1, 90))}
[rules.spend_velocity]
enabled = {on()}
limit_eur = "{pick("10.00", "500.00")}"
min_count = {draw(st.integers(1, 3))}
window_min = {draw(st.integers(1, 120))}
[rules.card_testing]
enabled = {on()}
small_amount_eur = "{pick("1.00", "3.00", "30.00")}"
max_count = {draw(st.integers(1, 3))}
window_min = {draw(st.integers(1, 90))}
[rules.impossible_travel]
enabled = {on()}
max_speed_kmh = {draw(st.integers(50, 900))}
min_distance_km = {draw(st.integers(1, 1000))}
unknown_country_window_min = {draw(st.integers(0, 120))}
[rules.amount_spike]
enabled = {on()}
multiplier = "{pick("1.5", "3", "10")}"
min_history = {draw(st.integers(1, 4))}
min_amount_eur = "{pick("1.00", "20.00", "250.00")}"
[rules.high_risk_mcc_night]
enabled = {on()}
night_start = "{pick("00:00", "22:00")}"
night_end = "{pick("05:00", "23:30")}"
[rules.compromised_terminal]
enabled = {on()}
max_cards = {draw(st.integers(1, 3))}
window_min = {draw(st.integers(1, 90))}
baseline_multiplier = "{pick("1", "2")}"
baseline_min_hours = {draw(st.integers(1, 3))}
""")


def batch_verdict(
    transactions: Iterable[StagedTransaction],
    day: date,
    rulebook: Rulebook,
    to_eur: ToEur,
    *,
    exhaustive: bool,
) -> tuple[list[FraudFlag], dict[str, FraudDecision]]:
    """The end of day's screen of `day` over the purchases, as the run computes it."""
    store = MemoryEodStore([StagedRow(tx, tx.transacted_at) for tx in transactions], [], [])
    flags = screen_day(store, day, rulebook, to_eur, exhaustive=exhaustive)
    return flags, decide(flags, rulebook)


def flag_set(flags: Iterable[FraudFlag]) -> list[tuple[str, str, int, str]]:
    return sorted((f.transaction_id, f.rule, f.score, f.reason) for f in flags)


def replay(lane: FraudLane, arrivals: Iterable[tuple[StagedTransaction, datetime]]) -> FraudLane:
    for tx, arrived_at in arrivals:
        lane.observe(tx, arrived_at)
    return lane
