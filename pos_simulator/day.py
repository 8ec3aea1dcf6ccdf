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
from typing import Any

from pos_simulator.config import DayConfig
from pos_simulator.everyday import Everyday
from pos_simulator.faults import FaultDraw
from pos_simulator.fraud import SCENARIOS, Scenario
from pos_simulator.history import Reservoir
from pos_simulator.kit import Kit
from pos_simulator.plan import plan_day
from pos_simulator.pools import Merchant, Pools
from pos_simulator.records import Txn
from pos_simulator.render import Transmitter
from pos_simulator.streams import InstantStream, SlotClock, Weigh, Weighing, anywhere, open_hours
from pos_simulator.timeline import MS_PER_S
from pos_simulator.trips import plan_trips
from pos_simulator.vocabulary import LEGIT
from pos_simulator.writer import FLUSH_ROWS, DayWriter

STREAM, EMIT, RETRANSMIT = 0, 1, 2  # heap actions
VOID_AFTER_MS = (5 * MS_PER_S, 180 * MS_PER_S)
REFUND_MIN_AGE_MS = 10 * 60 * MS_PER_S
PARTIAL_REFUND_SHARE = 0.3
Handler = Callable[[int, Merchant], None]
# The slots' sums kept by the weighing that purchases, refunds, voids and amount spikes share:
# they run at most a slot apart, as the heap releases the others as the purchases pass them.
SHARED_SLOTS = 2


@dataclass(frozen=True, slots=True)
class DaySummary:
    transactions: int
    messages: int
    labels: dict[str, int]
    faults: dict[str, int]
    types: dict[str, int]


class DaySimulator:
    def __init__(self, config: DayConfig, pools: Pools, writer: DayWriter) -> None:
        self._config, self._pools, self._writer = config, pools, writer
        self._rng = random.Random(f"traffic:{config.seed}")
        self._clock = SlotClock(config.day, (m.timezone for m in pools.merchants))
        self._start, self._end = self._clock.start_ms, self._clock.end_ms
        trips = plan_trips(random.Random(f"trips:{config.seed}"), pools, config.mix.abroad_share)
        self._kit = Kit(self._rng, pools, self._start, self._end, Reservoir(self._rng), trips)
        self._heap: list[tuple[int, int, int, Any]] = []
        self._seq = itertools.count()
        self._out = Transmitter(
            self._rng, self._clock, writer, FaultDraw(config.mix.faults), self._retransmit
        )
        self._plan = plan_day(config)
        self._everyday = Everyday(
            self._kit,
            self._clock,
            self._out,
            foreign_shares=(config.mix.abroad_share, config.mix.online_foreign_share),
            orphan_share=self._plan.orphan_share,
            pending=(self._heap, self._release),
        )
        self._counts: Counter[str] = Counter()
        self._weighings: dict[tuple[object, object], Weighing] = {}

    def run(self) -> DaySummary:
        plan = self._plan
        everyday = self._stream("legit", plan.legit, anywhere, open_hours)
        self._follow(
            iter(self._stream("refunds", plan.refunds, anywhere, open_hours)), self._refund
        )
        self._follow(iter(self._stream("voids", plan.void_pairs, anywhere, open_hours)), self._void)
        for name, lengths in plan.stories.items():
            scenario = SCENARIOS[name]
            stream = self._stream(name, len(lengths), scenario.eligible, scenario.weigh)
            self._follow(iter(stream), partial(self._story, scenario, iter(lengths)))
        for chunk in everyday.chunks():
            self._everyday.chunk(chunk)
            if len(self._writer.journal_buffer) >= FLUSH_ROWS:
                self._writer.flush()
        self._release(self._end)
        return self._summary()

    def _stream(
        self,
        name: str,
        count: int,
        eligible: Callable[[Merchant], bool],
        weigh: Weigh,
    ) -> InstantStream:
        """The stream `name`; streams weighing merchants alike share their `Weighing`."""
        weighing = self._weighings.get((eligible, weigh))
        if weighing is None:
            merchants = [m for m in self._pools.merchants if eligible(m)]
            if eligible is anywhere and weigh is open_hours:  # purchases and their kin
                weighing = Weighing(merchants, weigh, self._clock, SHARED_SLOTS)
            else:  # a fraud scenario's: a few thousand picks a day
                weighing = Weighing(merchants, weigh, self._clock, packed=True)
            self._weighings[eligible, weigh] = weighing
        return InstantStream(random.Random(f"{name}:{self._config.seed}"), count, weighing)

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

    # --- refunds, voids and fraud stories ----------------------------------------------

    def _refund(self, ms: int, merchant: Merchant) -> None:
        original = self._kit.reservoir.take(ms - REFUND_MIN_AGE_MS)
        if original is None:  # nothing old enough to refund yet: an ordinary sale instead
            txn = self._everyday.purchase(ms, merchant)
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
        txn = self._everyday.purchase(ms, merchant)
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
        refunds, reversals = counts["refund"] + self._everyday.orphans, counts["reversal"]
        types = {"purchase": n - refunds - reversals, "refund": refunds, "reversal": reversals}
        return DaySummary(n, self._writer.lines, labels, faults, types)
