"""Everyday purchases: the bulk of the day, and the simulator's hot path.

Most of a day is ordinary purchases: a card (mostly domestic, a configurable share foreign),
a basket from the merchant's category distribution, a terminal, an entry mode. The common
case, a purchase without fault, is written straight into the output buffers by `chunk`;
everything unusual goes through `Transmitter` with a `Txn` like the rest of the day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from math import exp
from typing import Any

from pos_simulator.amounts import amount_text
from pos_simulator.kit import CONTACTLESS_SHARE, MAGSTRIPE_SHARE, MANUAL_SHARE, Kit
from pos_simulator.pools import Merchant
from pos_simulator.records import Txn
from pos_simulator.render import LATENCY_MS, Transmitter
from pos_simulator.streams import Chunk, SlotClock
from pos_simulator.timeline import MS_PER_DAY, local_time_text, utc_text, uuid7_text
from pos_simulator.vocabulary import LEGIT, SCHEMA_ID
from pos_simulator.writer import DayWriter

ORPHAN_AGE_DAYS = (1, 60)
Heap = list[tuple[int, int, int, Any]]


class Everyday:
    def __init__(
        self,
        kit: Kit,
        clock: SlotClock,
        out: Transmitter,
        *,
        foreign_shares: tuple[float, float],  # card-present, online
        orphan_share: float,
        pending: tuple[Heap, Callable[[int], None]],  # the day's heap and its release
    ) -> None:
        self._kit, self._rng, self._clock, self._out = kit, kit.rng, clock, out
        self._writer: DayWriter = out.writer
        self._start, self._end = clock.start_ms, clock.end_ms
        pools, trips = kit.pools, kit.trips
        # Per merchant, built once so a row costs one index: who can pay here today. In
        # person that is the locals at home and the tourists visiting this country; online,
        # any local or any card from elsewhere.
        self._domestic = [
            pools.cards_by_country.get(m.country_code, pools.cards)
            if m.online
            else trips.home_cards(m.country_code, pools)
            for m in pools.merchants
        ]
        self._foreign_cards = [
            trips.foreign[m.country_code]
            if m.online
            else trips.visiting.get(m.country_code) or self._domestic[m.index]
            for m in pools.merchants
        ]
        self._foreign = foreign_shares
        self._orphan = orphan_share
        # Below this draw a purchase is unusual: an orphan refund or a faulted transmission.
        self._unusual = orphan_share + (1.0 - orphan_share) * out.draw.total
        self._heap, self._release = pending
        self.orphans = 0

    def chunk(self, chunk: Chunk) -> None:  # noqa: PLR0912, PLR0915 - flat on purpose
        """One chunk of everyday purchases.

        Written flat, with every lookup hoisted into a local and the two lines spelled out,
        because calls and attribute lookups are most of the per-row cost (bench/
        bench_generate.py holds the whole day to 1.5x a bare loop; a test checks the lines
        equal `records.message_line` / `journal_line`). Unusual rows (orphan refunds, faults)
        go through `_unusual_purchase`; a `Txn` is built only for purchases the reservoir keeps.
        """
        rng, heap, writer, reservoir = self._rng, self._heap, self._writer, self._kit.reservoir
        draw, gauss, bits = rng.random, rng.gauss, rng.getrandbits
        offsets, clock, unusual = self._clock.offsets[chunk.slot], self._clock, self._unusual
        pick, population, cum, total = chunk.draw, chunk.merchants, chunk.cum, chunk.cum[-1]
        journal, labels = writer.journal_buffer.append, writer.labels_buffer.append
        messages = writer.messages_buffer.append
        domestic, foreign = self._domestic, self._foreign_cards
        abroad, online_foreign = self._foreign
        last_ms, inf = self._end - 1, float("inf")
        low_ms, span_ms = LATENCY_MS[0], LATENCY_MS[1] - LATENCY_MS[0]
        due = heap[0][0] if heap else inf
        lines, candidate, keep_at = writer.lines, reservoir.candidates, reservoir.next_index
        for ms in chunk.instants:
            merchant = population[bisect_right(cum, pick() * total)]
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
                cards = foreign[merchant.index]
            else:
                cards = domestic[merchant.index]
            card = cards[int(draw() * len(cards))]
            amount_minor = int(exp(merchant.log_mu_minor + merchant.sigma * gauss())) or 1
            suffixes = merchant.terminal_suffixes  # the terminal: merchant_id + its suffix
            suffix = suffixes[int(draw() * len(suffixes))]
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
                f"{transaction_id},{merchant_id}{suffix},{merchant_id},purchase,{amount},{currency},"
                f"{local},{pan[-4:]},\n"
            )
            labels(f"{transaction_id},legit\n")
            sent = ms + low_ms + int(draw() * span_ms)
            messages(
                f'{{"schema":"{SCHEMA_ID}","transaction_id":"{transaction_id}","type":"purchase",'
                f'"original_transaction_id":null,"merchant_id":"{merchant_id}",'
                f'"terminal_id":"{merchant_id}{suffix}","pan":"{pan}","expiry":"{card.expiry}",'
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
                    merchant_id + suffix,
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
        txn = self.purchase(ms, merchant)
        if u < self._orphan:
            days_ago = self._rng.randint(*ORPHAN_AGE_DAYS)
            txn.type = "refund"
            txn.original_id = self._kit.new_id(self._start - days_ago * MS_PER_DAY)
            self.orphans += 1
            self._out.orphan_refund(txn)
            return
        # Rescale to [0, draw.total): the fault slices sit at the bottom of [0, 1).
        self._out.emit(txn, (u - self._orphan) / (1.0 - self._orphan))

    def purchase(self, ms: int, merchant: Merchant) -> Txn:
        kit = self._kit
        abroad, online_foreign = self._foreign
        if self._rng.random() < (online_foreign if merchant.online else abroad):
            card = kit.pick(self._foreign_cards[merchant.index])
        else:
            card = kit.pick(self._domestic[merchant.index])
        amount = kit.amount(merchant)
        return kit.txn(
            ms, merchant, card, amount, label=LEGIT, mode=kit.present_mode(merchant, amount)
        )
