"""One business day of terminal traffic, produced in time order and written as it goes.

Everyday purchases come from the main stream; refunds, voids and each fraud scenario have
streams of their own. Their events, and the follow-ups they schedule (a reversal minutes
after its purchase, the rest of a fraud burst, a duplicate retransmission), wait in one
heap ordered by instant and are released as the main stream passes their time. So every
file comes out sorted by time, and memory holds only what is pending, never the whole day.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from heapq import heappop, heappush
from math import exp
from typing import Any

from pos_simulator.amounts import amount_text
from pos_simulator.cards import Card
from pos_simulator.config import DayConfig
from pos_simulator.faults import FaultDraw
from pos_simulator.fraud import SCENARIOS, Scenario, story_lengths
from pos_simulator.history import Reservoir
from pos_simulator.kit import CONTACTLESS_SHARE, MAGSTRIPE_SHARE, MANUAL_SHARE, Kit
from pos_simulator.plan import plan_day
from pos_simulator.pools import Merchant, Pools
from pos_simulator.records import Txn
from pos_simulator.streams import InstantStream, SlotClock
from pos_simulator.timeline import MS_PER_DAY, MS_PER_S, local_time_text, utc_text, uuid7_text
from pos_simulator.transmission import LATENCY_MS, Transmitter
from pos_simulator.vocabulary import LEGIT, SCHEMA_ID
from pos_simulator.writer import FLUSH_ROWS, DayWriter

STREAM, EMIT, RETRANSMIT = 0, 1, 2  # heap actions
VOID_AFTER_MS = (5 * MS_PER_S, 180 * MS_PER_S)
REFUND_MIN_AGE_MS = 10 * 60 * MS_PER_S
PARTIAL_REFUND_SHARE = 0.3
ORPHAN_AGE_DAYS = (1, 60)
FOREIGN_CARD_TRIES = 8
Handler = Callable[[int, Merchant], None]


@dataclass(frozen=True, slots=True)
class DaySummary:
    transactions: int
    messages: int
    labels: dict[str, int]
    faults: dict[str, int]
    types: dict[str, int]


def _any(_: Merchant) -> bool:
    return True


def _open_hours(merchant: Merchant, hour: int) -> float:
    return merchant.hour_weights[hour]


class DaySimulator:
    def __init__(self, config: DayConfig, pools: Pools, writer: DayWriter) -> None:
        self._config, self._pools, self._writer = config, pools, writer
        self._rng = random.Random(f"traffic:{config.seed}")
        self._clock = SlotClock(config.day, (m.timezone for m in pools.merchants))
        self._start, self._end = self._clock.start_ms, self._clock.end_ms
        self._kit = Kit(self._rng, pools, self._start, self._end, Reservoir(self._rng))
        self._heap: list[tuple[int, int, int, Any]] = []
        self._seq = itertools.count()
        self._out = Transmitter(
            self._rng, self._clock, writer, FaultDraw(config.mix.faults), self._retransmit
        )
        self._plan = plan_day(config)
        self._orphan = self._plan.orphan_share
        # Below this draw an everyday purchase is unusual: an orphan refund or faulted.
        self._unusual = self._orphan + (1.0 - self._orphan) * self._out.draw.total
        self._domestic = [
            pools.cards_by_country.get(m.country_code, pools.cards) for m in pools.merchants
        ]
        self._foreign = (config.mix.abroad_share, config.mix.online_foreign_share)
        self._counts: Counter[str] = Counter()

    def run(self) -> DaySummary:
        plan = self._plan
        everyday = self._stream("legit", plan.legit, _any, _open_hours)
        self._follow(iter(self._stream("refunds", plan.refunds, _any, _open_hours)), self._refund)
        self._follow(iter(self._stream("voids", plan.void_pairs, _any, _open_hours)), self._void)
        for name, count in plan.fraud.items():
            scenario = SCENARIOS[name]
            rng = random.Random(f"stories:{name}:{self._config.seed}")
            lengths = story_lengths(rng, count, scenario)
            stream = self._stream(name, len(lengths), scenario.eligible, scenario.weigh)
            self._follow(iter(stream), partial(self._story, scenario, iter(lengths)))
        for slot, instants, merchants in everyday.chunks():
            self._purchases(slot, instants, merchants)
            if len(self._writer.journal_buffer) >= FLUSH_ROWS:
                self._writer.flush()
        self._release(self._end)
        return self._summary()

    def _stream(
        self,
        name: str,
        count: int,
        eligible: Callable[[Merchant], bool],
        weigh: Callable[[Merchant, int], float],
    ) -> InstantStream:
        rng = random.Random(f"{name}:{self._config.seed}")
        merchants = [m for m in self._pools.merchants if eligible(m)]
        return InstantStream(rng, count, merchants, weigh, self._clock)

    # --- the heap of pending events -----------------------------------------------------

    def _follow(self, events: Iterator[tuple[int, Merchant]], handler: Handler) -> None:
        upcoming = next(events, None)
        if upcoming is not None:
            ms, merchant = upcoming
            heappush(self._heap, (ms, next(self._seq), STREAM, (merchant, events, handler)))

    def _schedule(self, txn: Txn) -> None:
        heappush(self._heap, (txn.ms, next(self._seq), EMIT, txn))

    def _retransmit(self, sent_ms: int, transaction_id: str, line: str) -> None:
        heappush(self._heap, (sent_ms, next(self._seq), RETRANSMIT, (transaction_id, line)))

    def _release(self, until_ms: int) -> None:
        """Handle every pending event due at or before `until_ms`, in time order."""
        heap = self._heap
        while heap and heap[0][0] <= until_ms:
            ms, _, action, payload = heappop(heap)
            if action == EMIT:
                self._out.emit(payload, self._rng.random())
            elif action == RETRANSMIT:
                transaction_id, line = payload
                self._writer.fault(transaction_id, self._writer.message(line), "duplicated")
            else:
                merchant, events, handler = payload
                handler(ms, merchant)
                self._follow(events, handler)

    # --- everyday purchases: the hot path ---------------------------------------------

    def _purchases(  # noqa: PLR0912, PLR0915 - the hot path is flat on purpose
        self, slot: int, instants: list[int], merchants: list[Merchant]
    ) -> None:
        """One chunk of everyday purchases.

        Written flat, with every lookup hoisted into a local and the two lines spelled out,
        because calls and attribute lookups are most of the per-row cost (bench/
        bench_generate.py holds the whole day to 1.5x a bare loop; tests check these lines
        equal `encode_message` / `encode_journal`). Unusual rows (orphan refunds, faults) go
        through `_unusual_purchase`; a `Txn` is built only for purchases the reservoir keeps.
        """
        rng, heap, writer, reservoir = self._rng, self._heap, self._writer, self._kit.reservoir
        draw, gauss, bits = rng.random, rng.gauss, rng.getrandbits
        offsets, clock, unusual = self._clock.offsets[slot], self._clock, self._unusual
        journal, labels = writer.journal_buffer.append, writer.labels_buffer.append
        messages, domestic = writer.messages_buffer.append, self._domestic
        abroad, online_foreign = self._foreign
        last_ms, inf = self._end - 1, float("inf")
        low_ms, span_ms = LATENCY_MS[0], LATENCY_MS[1] - LATENCY_MS[0]
        due = heap[0][0] if heap else inf
        lines, candidate, keep_at = writer.lines, reservoir.candidates, reservoir.next_index
        for ms, merchant in zip(instants, merchants, strict=True):
            u = draw()
            if ms >= due or u < unusual:
                writer.lines, reservoir.candidates = lines, candidate
                if ms >= due:
                    self._release(ms)
                if u < unusual:
                    self._unusual_purchase(ms, merchant, u)
                lines, candidate, keep_at = writer.lines, reservoir.candidates, reservoir.next_index
                due = heap[0][0] if heap else inf
                if u < unusual:
                    continue
            if draw() < (online_foreign if merchant.online else abroad):
                card = self._foreign_card(merchant)
            else:
                cards = domestic[merchant.index]
                card = cards[int(draw() * len(cards))]
            amount_minor = int(exp(merchant.log_mu_minor + merchant.sigma * gauss())) or 1
            terminal = merchant.terminals[int(draw() * len(merchant.terminals))]
            if merchant.online:
                mode = "ecommerce"
            else:
                x = draw()
                if x < MAGSTRIPE_SHARE:
                    mode = "magstripe"
                elif x < MAGSTRIPE_SHARE + MANUAL_SHARE:
                    mode = "manual"
                elif x < CONTACTLESS_SHARE and amount_minor <= merchant.contactless_limit_minor:
                    mode = "contactless"
                else:
                    mode = "chip"
            transaction_id = uuid7_text(ms, bits(74))
            offset = offsets[merchant.timezone]
            if offset is None:
                offset = clock.offset(merchant.timezone, ms)
            local = local_time_text(ms, offset)
            amount = amount_text(amount_minor, merchant.exponent)
            merchant_id, currency, pan = merchant.merchant_id, merchant.currency, card.pan
            journal(
                f"{transaction_id},{terminal},{merchant_id},purchase,{amount},{currency},"
                f"{local},{pan[-4:]},\n"
            )
            labels(f"{transaction_id},legit\n")
            sent = ms + low_ms + int(draw() * span_ms)
            messages(
                f'{{"schema":"{SCHEMA_ID}","transaction_id":"{transaction_id}","type":"purchase",'
                f'"original_transaction_id":null,"merchant_id":"{merchant_id}",'
                f'"terminal_id":"{terminal}","pan":"{pan}","expiry":"{card.expiry}",'
                f'"amount":"{amount}","currency":"{currency}","card_country":"{card.country}",'
                f'"merchant_country":"{merchant.country_code}","mcc":"{merchant.mcc_code}",'
                f'"entry_mode":"{mode}","local_time":"{local}",'
                f'"sent_at":"{utc_text(sent if sent < last_ms else last_ms)}"}}\n'
            )
            lines += 1
            if candidate == keep_at:
                txn = Txn(
                    ms,
                    transaction_id,
                    "purchase",
                    None,
                    merchant,
                    terminal,
                    card,
                    amount_minor,
                    mode,
                    LEGIT,
                )
                reservoir.keep(txn, candidate)
                keep_at = reservoir.next_index
            candidate += 1
        writer.lines, reservoir.candidates = lines, candidate

    def _unusual_purchase(self, ms: int, merchant: Merchant, u: float) -> None:
        txn = self._everyday(ms, merchant)
        if u < self._orphan:
            days_ago = self._rng.randint(*ORPHAN_AGE_DAYS)
            txn.type = "refund"
            txn.original_id = self._kit.new_id(self._start - days_ago * MS_PER_DAY)
            self._counts["refund"] += 1
            self._out.orphan_refund(txn)
            return
        # Rescale to [0, draw.total): the fault slices sit at the bottom of [0, 1).
        self._out.emit(txn, (u - self._orphan) / (1.0 - self._orphan))

    def _everyday(self, ms: int, merchant: Merchant) -> Txn:
        kit = self._kit
        abroad, online_foreign = self._foreign
        if self._rng.random() < (online_foreign if merchant.online else abroad):
            card = self._foreign_card(merchant)
        else:
            card = kit.pick(self._domestic[merchant.index])
        amount = kit.amount(merchant)
        return kit.txn(
            ms, merchant, card, amount, label=LEGIT, mode=kit.present_mode(merchant, amount)
        )

    def _foreign_card(self, merchant: Merchant) -> Card:
        """A card from another country: a tourist at a terminal, a foreign online shopper."""
        cards, home = self._pools.cards, merchant.country_code
        card = self._kit.pick(cards)
        for _ in range(FOREIGN_CARD_TRIES):
            if card.country != home:
                break
            card = self._kit.pick(cards)
        return card

    # --- refunds, voids and fraud stories ----------------------------------------------

    def _refund(self, ms: int, merchant: Merchant) -> None:
        original = self._kit.reservoir.take(ms - REFUND_MIN_AGE_MS)
        if original is None:  # nothing old enough to refund yet: an ordinary sale instead
            txn = self._everyday(ms, merchant)
            if self._out.emit(txn, self._rng.random()) is None:
                self._kit.reservoir.offer(txn)
            return
        amount = original.amount_minor
        if self._rng.random() < PARTIAL_REFUND_SHARE:
            amount = max(1, int(amount * (0.1 + 0.8 * self._rng.random())))
        refund = Txn(
            ms,
            self._kit.new_id(ms),
            "refund",
            original.transaction_id,
            original.merchant,
            original.terminal_id,
            original.card,
            amount,
            original.entry_mode,
            LEGIT,
        )
        self._counts["refund"] += 1
        self._out.emit(refund, self._rng.random())

    def _void(self, ms: int, merchant: Merchant) -> None:
        """A purchase voided at the terminal shortly after (wrong amount, customer changed mind)."""
        txn = self._everyday(ms, merchant)
        self._out.emit(txn, self._rng.random())
        at = min(ms + self._kit.uniform_ms(*VOID_AFTER_MS), self._end - 1)
        self._schedule(
            Txn(
                at,
                self._kit.new_id(at),
                "reversal",
                txn.transaction_id,
                merchant,
                txn.terminal_id,
                txn.card,
                txn.amount_minor,
                txn.entry_mode,
                LEGIT,
            )
        )
        self._counts["reversal"] += 1

    def _story(
        self, scenario: Scenario, lengths: Iterator[int], ms: int, merchant: Merchant
    ) -> None:
        for txn in scenario.build(self._kit, ms, merchant, next(lengths)):
            self._counts[scenario.name] += 1
            self._schedule(txn)

    def _summary(self) -> DaySummary:
        n, counts = self._config.transactions, self._counts
        labels = {name: counts[name] for name in SCENARIOS}
        labels[LEGIT] = n - sum(labels.values())
        faults = dict(sorted(self._out.faults.items()))
        refunds, reversals = counts["refund"], counts["reversal"]
        types = {"purchase": n - refunds - reversals, "refund": refunds, "reversal": reversals}
        return DaySummary(n, self._writer.lines, labels, faults, types)
