"""A generated day, checked file against file: contract, ground truth, faults and realism.

One day (12,000 transactions, raised fraud and fault rates so every kind occurs often) is
generated once for the module; each test reads it back the way the settlement side would.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from pos_simulator.config import DayConfig
from pos_simulator.contract import message_schema
from pos_simulator.countries import BY_CODE, distance_km
from pos_simulator.cross_border import DEFAULT_SHARE, SETTLES_IN
from pos_simulator.day import DaySummary
from pos_simulator.dayfiles import (
    FaultRow,
    iter_journal,
    iter_merchants,
    iter_message_lines,
    read_faults,
    read_labels,
)
from pos_simulator.generate import generate_day, pools_for
from pos_simulator.kit import FAR_KM
from pos_simulator.mcc import BY_CODE as MCC_BY_CODE
from pos_simulator.options import RateOptions, build_mix
from pos_simulator.records import Txn, journal_line, message_line
from pos_simulator.vocabulary import (
    FAULT_KINDS,
    FRAUD_LABELS,
    JOURNAL_COLUMNS,
    MALFORMED_FAULTS,
    MERCHANT_COLUMNS,
    MESSAGE_KEYS,
)
from settlement.domain.cards import card_brand, luhn_valid
from settlement.domain.currencies import minor_unit_exponent
from settlement.domain.money import Money
from settlement.domain.pos_message import PosMessage, Rejection, parse_pos_message
from settlement.domain.transactions import FRAUD_SCENARIOS

N = 12_000
SIGMAS = 5.0
RATES = RateOptions(fraud_rate=0.03, fault_rate=0.04, malformed_rate=0.01)
CONFIG = DayConfig(
    seed=20261127,
    business_date=date(2026, 11, 27),
    transactions=N,
    merchants=120,
    cards=3_000,
    mix=build_mix(RATES),
)


@dataclass
class Day:
    directory: Path
    summary: DaySummary
    journal: dict[str, dict[str, str]]
    labels: dict[str, str]
    faults: list[FaultRow]
    lines: dict[int, str]
    merchants: dict[str, dict[str, str]]
    valid: dict[int, dict[str, object]] = field(default_factory=dict)

    def faulted(self, *kinds: str) -> dict[str, FaultRow]:
        return {row.transaction_id: row for row in self.faults if row.fault in kinds}

    def valid_messages(self) -> dict[int, dict[str, object]]:
        """Line -> message for every line that is not malformed (parsed once)."""
        if not self.valid:
            malformed = {row.line for row in self.faults if row.fault in MALFORMED_FAULTS}
            self.valid = {
                n: json.loads(text) for n, text in self.lines.items() if n not in malformed
            }
        return self.valid


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    directory = tmp_path_factory.mktemp("pos-day")
    summary = generate_day(CONFIG, directory)
    return Day(
        directory=directory,
        summary=summary,
        journal={row["transaction_id"]: row for row in iter_journal(directory)},
        labels=read_labels(directory),
        faults=read_faults(directory),
        lines=dict(iter_message_lines(directory)),
        merchants={row["merchant_id"]: row for row in iter_merchants(directory)},
    )


def within_binomial(count: int, n: int, rate: float) -> bool:
    sigma = math.sqrt(n * rate * (1 - rate))
    return abs(count - n * rate) <= SIGMAS * sigma + 1


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- files and ground truth -------------------------------------------------------------


def test_files_have_the_documented_columns(day: Day) -> None:
    names = ("journal.csv", "labels.csv", "faults.csv", "merchants.csv")
    first = {name: (day.directory / name).read_text().splitlines()[0] for name in names}
    assert first["journal.csv"] == ",".join(JOURNAL_COLUMNS)
    assert first["labels.csv"] == "transaction_id,label"
    assert first["faults.csv"] == "transaction_id,line,fault"
    assert first["merchants.csv"] == ",".join(MERCHANT_COLUMNS)


def test_journal_has_every_transaction_once_with_its_label(day: Day) -> None:
    assert len(day.journal) == N == day.summary.transactions
    assert list(day.labels) == list(day.journal)  # same ids, same order
    assert set(day.labels.values()) <= {*FRAUD_SCENARIOS, "legit"}
    assert FRAUD_LABELS == FRAUD_SCENARIOS
    assert len(day.lines) == day.summary.messages


def test_fraud_labels_match_their_rates(day: Day) -> None:
    counts = Counter(day.labels.values())
    for name, rate in CONFIG.fraud_rates.items():
        assert counts[name] == day.summary.labels[name]
        assert abs(counts[name] - N * rate) <= 1 or within_binomial(counts[name], N, rate), name
        assert counts[name] > 0


def test_fault_counts_match_their_rates_within_binomial_tolerance(day: Day) -> None:
    counts = Counter(row.fault for row in day.faults)
    assert set(counts) <= set(FAULT_KINDS)
    for kind in FAULT_KINDS:
        rate = CONFIG.mix.faults[kind]
        assert counts[kind] > 0, kind
        assert within_binomial(counts[kind], N, rate), (kind, counts[kind], N * rate)
    assert counts == Counter(day.summary.faults)


def test_a_transaction_has_at_most_one_fault_and_lines_point_at_it(day: Day) -> None:
    per_transaction = Counter(row.transaction_id for row in day.faults)
    assert max(per_transaction.values()) == 1
    for row in day.faults:
        assert row.transaction_id in day.journal
        if row.fault == "lost":
            assert row.line is None
            continue
        assert row.line is not None
        if row.fault != "malformed_json":
            assert f'"transaction_id":"{row.transaction_id}"' in day.lines[row.line] or (
                row.fault == "missing_field"
            )


# --- the message contract ----------------------------------------------------------------


def test_every_valid_message_matches_the_json_schema(day: Day) -> None:
    validator = Draft202012Validator(message_schema(), format_checker=FormatChecker())
    Draft202012Validator.check_schema(message_schema())
    for number, message in day.valid_messages().items():
        errors = list(validator.iter_errors(message))
        assert not errors, (number, errors[0].message)


def test_messages_are_compact_json_in_contract_key_order(day: Day) -> None:
    malformed_json = {row.line for row in day.faults if row.fault == "malformed_json"}
    for number, text in day.lines.items():
        if number in malformed_json:
            continue
        message = json.loads(text)
        assert text == json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        assert [key for key in MESSAGE_KEYS if key in message] == list(message)


def test_the_gateway_accepts_valid_messages_and_rejects_each_malformed_kind_by_name(
    day: Day,
) -> None:
    malformed = {row.line: row.fault for row in day.faults if row.fault in MALFORMED_FAULTS}
    for number, text in day.lines.items():
        parsed = parse_pos_message(text)
        if number in malformed:
            assert isinstance(parsed, Rejection), number
            assert parsed.reason.value == malformed[number], (number, parsed.detail)
        else:
            assert isinstance(parsed, PosMessage), (number, parsed)


def test_pans_are_luhn_valid_with_brand_prefix_and_length(day: Day) -> None:
    brands = Counter()
    for message in day.valid_messages().values():
        pan = str(message["pan"])
        assert luhn_valid(pan)
        brands[card_brand(pan)] += 1
    # Every scheme of issue 16 is drawn, and the gateway knows each card's scheme.
    assert set(brands) == {
        "visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "maestro",
    }  # fmt: skip


def test_amounts_have_exactly_the_currency_decimals(day: Day) -> None:
    for row in day.journal.values():
        exponent = minor_unit_exponent(row["currency"])
        decimals = len(row["amount"].partition(".")[2])
        assert decimals == exponent, row
        assert Money.parse(row["amount"], row["currency"]).amount_minor > 0
    currencies = {row["currency"] for row in day.journal.values()}
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "SEK", "KWD"} <= currencies


# --- journal against messages ------------------------------------------------------------


def test_journal_and_messages_differ_exactly_where_faults_say(day: Day) -> None:
    faults = {row.transaction_id: row.fault for row in day.faults}
    sent: dict[str, list[dict[str, object]]] = defaultdict(list)
    for message in day.valid_messages().values():
        sent[str(message["transaction_id"])].append(message)
    malformed_ids = set(day.faulted(*MALFORMED_FAULTS))
    for transaction_id, row in day.journal.items():
        fault = faults.get(transaction_id)
        copies = sent.get(transaction_id, [])
        if fault in ("lost", *MALFORMED_FAULTS):
            assert copies == [], (fault, transaction_id)
            continue
        assert len(copies) == (2 if fault == "duplicated" else 1), (fault, transaction_id)
        for message in copies:
            same_amount = message["amount"] == row["amount"]
            assert same_amount != (fault == "altered_amount"), transaction_id
            assert message["local_time"] == row["local_time"]
            assert message["merchant_id"] == row["merchant_id"]
            assert message["terminal_id"] == row["terminal_id"]
            assert message["type"] == row["type"]
            assert message["currency"] == row["currency"]
            assert str(message["pan"]).endswith(row["pan_last4"])
            assert (message["original_transaction_id"] or "") == row["original_transaction_id"]
    assert malformed_ids <= set(day.journal)


def test_only_late_messages_are_sent_after_the_cutoff(day: Day) -> None:
    zone = ZoneInfo(CONFIG.timezone)
    start = datetime(2026, 11, 26, 22, 0, tzinfo=zone)
    cutoff = datetime(2026, 11, 27, 22, 0, tzinfo=zone)
    late = set(day.faulted("late"))
    for row in day.journal.values():
        assert start <= instant(row["local_time"]) < cutoff
    for message in day.valid_messages().values():
        sent_at = instant(str(message["sent_at"]))
        assert sent_at.utcoffset() is not None and sent_at.utcoffset().total_seconds() == 0
        assert (sent_at >= cutoff) == (message["transaction_id"] in late)
        assert sent_at >= instant(str(message["local_time"]))


def test_late_messages_come_last_and_duplicates_after_their_first_copy(day: Day) -> None:
    late_lines = sorted(row.line for row in day.faults if row.fault == "late" and row.line)
    assert late_lines == list(range(len(day.lines) - len(late_lines) + 1, len(day.lines) + 1))
    lines_of: dict[str, list[int]] = defaultdict(list)
    for number, message in day.valid_messages().items():
        lines_of[str(message["transaction_id"])].append(number)
    for row in day.faults:
        if row.fault == "duplicated":
            assert lines_of[row.transaction_id][1] == row.line


def test_refunds_and_reversals_point_to_an_earlier_original_of_same_card_and_merchant(
    day: Day,
) -> None:
    orphans = set(day.faulted("orphan_refund"))
    pans = {m["transaction_id"]: m["pan"] for m in day.valid_messages().values()}
    kinds = Counter()
    for transaction_id, row in day.journal.items():
        if row["type"] == "purchase":
            assert row["original_transaction_id"] == ""
            continue
        kinds[row["type"]] += 1
        original_id = row["original_transaction_id"]
        if transaction_id in orphans:
            assert original_id not in day.journal and row["type"] == "refund"
            continue
        original = day.journal[original_id]
        assert original["type"] == "purchase"
        assert original["merchant_id"] == row["merchant_id"]
        assert original["pan_last4"] == row["pan_last4"]
        if original_id in pans and transaction_id in pans:
            assert pans[original_id] == pans[transaction_id]
        assert instant(original["local_time"]) <= instant(row["local_time"])
        assert Money.parse(row["amount"], row["currency"]) <= Money.parse(
            original["amount"], original["currency"]
        )
        if row["type"] == "reversal":
            gap_s = (instant(row["local_time"]) - instant(original["local_time"])).total_seconds()
            assert gap_s <= 181
    assert kinds["refund"] > 0 and kinds["reversal"] > 0
    assert len(orphans) > 0


def test_each_original_is_refunded_or_reversed_at_most_once(day: Day) -> None:
    originals = Counter(
        row["original_transaction_id"]
        for tid, row in day.journal.items()
        if row["original_transaction_id"] and tid not in day.faulted("orphan_refund")
    )
    assert max(originals.values()) == 1


def test_transaction_ids_are_unique_time_ordered_uuid7(day: Day) -> None:
    ids = list(day.journal)
    assert len(set(ids)) == len(ids)
    for transaction_id in ids:
        assert len(transaction_id) == 36 and transaction_id[14] == "7"
        assert transaction_id[19] in "89ab"
    ms = [int(tid.replace("-", "")[:12], 16) for tid in ids]
    assert ms == sorted(ms)  # the journal is in time order, and so are the ids


# --- merchants and realism ---------------------------------------------------------------


def test_merchants_csv_is_complete_and_consistent(day: Day) -> None:
    currencies = Counter()
    cross = 0
    for merchant_id, row in day.merchants.items():
        assert len(merchant_id) <= 32
        assert row["mcc"] in MCC_BY_CODE
        country = BY_CODE[row["country"]]
        # its sales currency, or (cross-border acquiring) that currency's settlement pair
        assert row["settlement_currency"] in {country.currency, SETTLES_IN.get(country.currency)}
        cross += row["settlement_currency"] != country.currency
        assert row["city"] in {city.name for city in country.cities}
        ZoneInfo(row["timezone"])
        fee = Money.parse(row["fee_fixed"], row["settlement_currency"])
        assert fee.format() == row["fee_fixed"] and fee.amount_minor > 0
        assert 0 < int(row["mdr_bps"]) < 1000
        currencies[row["settlement_currency"]] += 1
    assert 1 <= currencies["KWD"] <= 2  # a token three-decimal currency without an ECB rate
    assert cross == round(DEFAULT_SHARE * len(day.merchants))
    for row in day.journal.values():
        assert row["merchant_id"] in day.merchants
        assert row["terminal_id"].startswith(row["merchant_id"]) and len(row["terminal_id"]) <= 32


def _by_label(day: Day, label: str) -> list[dict[str, object]]:
    ids = {tid for tid, name in day.labels.items() if name == label}
    return [m for m in day.valid_messages().values() if m["transaction_id"] in ids]


def test_impossible_travel_puts_one_card_in_far_apart_countries_within_the_hour(
    day: Day,
) -> None:
    by_pan: dict[str, list[dict[str, object]]] = defaultdict(list)
    for message in _by_label(day, "impossible_travel"):
        by_pan[str(message["pan"])].append(message)
    # A leg the day deliberately lost or malformed (faults.csv) leaves its story one leg.
    delivered = [legs for legs in by_pan.values() if len(legs) > 1]
    assert len(delivered) >= 0.8 * len(by_pan)
    pairs = 0
    for legs in delivered:
        legs.sort(key=lambda m: instant(str(m["local_time"])))
        for a, b in zip(legs, legs[1:], strict=False):
            gap_s = (instant(str(b["local_time"])) - instant(str(a["local_time"]))).total_seconds()
            far = distance_km(
                BY_CODE[str(a["merchant_country"])], BY_CODE[str(b["merchant_country"])]
            )
            if gap_s <= 3600 and far > FAR_KM:
                pairs += 1
    assert pairs >= len(delivered) * 0.9


def test_compromised_terminal_stories_use_many_distinct_cards(day: Day) -> None:
    by_terminal: dict[str, set[str]] = defaultdict(set)
    count: Counter[str] = Counter()
    for message in _by_label(day, "compromised_terminal"):
        by_terminal[str(message["terminal_id"])].add(str(message["pan"]))
        count[str(message["terminal_id"])] += 1
    assert all(len(by_terminal[t]) >= 0.9 * count[t] for t in count)
    assert max(count.values()) >= 5


def test_high_risk_mcc_night_happens_at_night_at_high_risk_merchants(day: Day) -> None:
    messages = _by_label(day, "high_risk_mcc_night")
    assert messages
    for message in messages:
        assert MCC_BY_CODE[str(message["mcc"])].high_risk
    first_hours = [instant(str(m["local_time"])).hour for m in messages]
    assert sum(hour < 6 for hour in first_hours) >= 0.8 * len(first_hours)


def test_card_testing_is_tiny_and_stolen_sprees_are_large(day: Day) -> None:
    def eur(message: dict[str, object]) -> float:
        country = BY_CODE[str(message["merchant_country"])]
        return float(str(message["amount"])) / country.eur_rate

    testing = [eur(m) for m in _by_label(day, "card_testing")]
    spree = [eur(m) for m in _by_label(day, "stolen_card_spree")]
    assert max(testing) <= 2.5 and sorted(spree)[len(spree) // 2] > 200
    assert sum(m["entry_mode"] == "ecommerce" for m in _by_label(day, "card_testing")) > 0


def test_most_card_present_spend_is_domestic(day: Day) -> None:
    legit = {tid for tid, name in day.labels.items() if name == "legit"}
    present = [
        m
        for m in day.valid_messages().values()
        if m["entry_mode"] != "ecommerce" and m["transaction_id"] in legit
        if m["type"] == "purchase"
    ]
    abroad = sum(m["card_country"] != m["merchant_country"] for m in present)
    assert within_binomial(abroad, len(present), CONFIG.mix.abroad_share)


def test_every_line_is_what_the_record_encoders_write(day: Day) -> None:
    """The hot path spells the lines out; they must equal `message_line` / `journal_line`."""
    pools = pools_for(CONFIG)
    merchants = {m.merchant_id: m for m in pools.merchants}
    cards = {card.pan: card for card in pools.cards}
    journal_lines = (day.directory / "journal.csv").read_text().splitlines()[1:]
    journal_text = dict(zip(day.journal, journal_lines, strict=True))
    altered = set(day.faulted("altered_amount"))
    for number, m in day.valid_messages().items():
        tid = str(m["transaction_id"])
        merchant = merchants[str(m["merchant_id"])]
        amount = Money.parse(str(day.journal[tid]["amount"]), merchant.currency).amount_minor
        txn = Txn(0, tid, str(m["type"]), m["original_transaction_id"], merchant,  # type: ignore[arg-type]
                  str(m["terminal_id"]), cards[str(m["pan"])], amount, str(m["entry_mode"]),
                  "legit")  # fmt: skip
        wrong = str(m["amount"]) if tid in altered else None
        line = message_line(txn, str(m["local_time"]), str(m["sent_at"]), wrong)
        assert line == day.lines[number] + "\n"
        assert journal_line(txn, str(m["local_time"])) == journal_text[tid] + "\n"


def test_a_legit_card_is_present_in_one_country_all_day(day: Day) -> None:
    """A tourist's card stays on its trip: no legit card pays in person in two countries."""
    legit = {tid for tid, name in day.labels.items() if name == "legit"}
    countries: dict[str, set[str]] = defaultdict(set)
    home: dict[str, str] = {}
    for m in day.valid_messages().values():
        if m["transaction_id"] in legit and m["entry_mode"] != "ecommerce":
            countries[str(m["pan"])].add(str(m["merchant_country"]))
            home[str(m["pan"])] = str(m["card_country"])
    travelled = {pan: seen for pan, seen in countries.items() if len(seen) > 1}
    assert not travelled
    tourists = [pan for pan, seen in countries.items() if seen != {home[pan]}]
    assert len(tourists) > 10  # tourists do pay in person: the check above is not vacuous
