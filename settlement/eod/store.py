"""The end of day's port: everything a run reads from and writes to its books, in the
domain's words.

`settlement.eod` orchestrates a run through an `EodStore` and never writes SQL. Two
implementations keep each other honest:
- `settlement.adapters.eod_store.SqlEodStore`: the production store, one database
  transaction; the set-based statements run over a whole date at once;
- `settlement.adapters.eod_memory.MemoryEodStore`: Python structures computed with the pure
  domain (reconcile, price_line/net, post), so a unit test runs a whole small day without a
  database. tests/integration/test_eod_store_differential.py holds the two equal.

A store instance serves one run: every method takes the run date it works on, and the
scope (`scope`) of the run that `reconcile` and `staged_by_currency` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from settlement.adapters.purchase_rows import Narrowing
from settlement.domain.fraud import FraudDecision, FraudFlag
from settlement.domain.fx import CrossRate
from settlement.domain.ledger import (
    CarriedFlow,
    CarryLink,
    Paid,
    Posting,
    SettledFlow,
    SettledRefunds,
    SuspenseFlow,
    Void,
)
from settlement.domain.reconciliation import Tolerance
from settlement.domain.run_scope import Scope
from settlement.domain.transactions import StagedTransaction

if TYPE_CHECKING:
    from settlement.adapters.eod_memory import MemoryEodStore
    from settlement.adapters.eod_store import SqlEodStore

__all__ = ["EodStore", "Narrowing", "Scope"]

Span = tuple[date, date]  # first and last business date, both included
RateHistory = list[tuple[date, Decimal]]
StoredRates = list[tuple[date, Decimal, str]]  # (date, units per EUR, source), ascending


class EodStore(Protocol):
    # --- the run's own results -----------------------------------------------------------
    def reset(self, run_date: date) -> None:
        """Forget the date's previous results (a re-run replaces them whole)."""

    def scope(self, run_date: date, cutoff_utc: datetime, lookback_start: date) -> Scope:
        """What the run covers: the date's staged rows and late arrivals of recent dates."""

    def reconcile(self, scope: Scope, tolerance: Tolerance) -> None:
        """One item per staged row in scope and per never-staged journal line of the date,
        classified (id match, tolerant match, reversals, refunds) with its outcome."""

    # --- fraud screen --------------------------------------------------------------------
    def purchase_groups(
        self, key: str, span: Span, narrowing: Narrowing | None
    ) -> Iterator[list[StagedTransaction]]:
        """Purchases of `span` grouped by `key` (card_token or terminal_id), each oldest
        first; only groups with a purchase on the span's last date, and (when `narrowing`)
        only those its pre-filter cannot rule out."""

    def burst_groups(
        self, span: Span, window_s: int, max_count: int
    ) -> Iterator[list[StagedTransaction]]:
        """Purchases of `span` per terminal, oldest first, of at least every terminal that
        may have more than `max_count` purchases in one window of `window_s`."""

    def groups_holding(
        self, key: str, span: Span, ids: Sequence[str]
    ) -> Iterator[list[StagedTransaction]]:
        """Purchases of `span` grouped by `key` as `purchase_groups` gives them, of only the
        groups with one of `ids` among their purchases on the span's last date (the
        scorecard judges the labelled fraud in them)."""

    def record_fraud(
        self, run_date: date, flags: list[FraudFlag], decisions: Mapping[str, FraudDecision]
    ) -> None: ...

    def hold_decided(self, run_date: date, action: str, reason: str) -> int:
        """Hold the settling items whose fraud decision is `action`; how many."""

    def exported_snapshot(self) -> str | None:
        """What another process passes to see exactly this run's data (PostgreSQL's
        exported snapshot); None where what is committed is the run's view (SQLite, under
        the run's write lock)."""

    def purchases_at_least(self, run_date: date, count: int) -> bool:
        """Whether the date has `count` staged purchases or more (always False for a store
        another process cannot open)."""

    def purchase_ids(self, run_date: date) -> Iterable[str]:
        """Ids of the date's staged purchases (the scorecard's population)."""

    def purchases_by_id(self, run_date: date, ids: Sequence[str]) -> Iterator[StagedTransaction]:
        """The date's staged purchases among `ids`, in no set order (the scorecard reads its
        labelled fraud through it)."""

    # --- FX ------------------------------------------------------------------------------
    def imported_rates(self, until: date) -> dict[str, StoredRates]:
        """Imported rates dated `until` or earlier with their source (`ecb` read from an
        ECB file, `imported` an operator's), ascending per currency."""

    def published_rates(self, currency: str) -> RateHistory:
        """The reference (ECB) history of a currency, ascending; imported rates win a tie."""

    def published_currencies(self) -> tuple[str, ...]:
        """Every currency the reference history has a column for."""

    def currency_pairs(self, run_date: date) -> list[tuple[str, str | None, int]]:
        """(transaction currency, settlement currency or None: unknown merchant, largest
        amount) over the settling items."""

    def hold_unknown_merchant(self, run_date: date, currency: str, reason: str) -> int: ...

    def hold_no_rate(
        self, run_date: date, currency: str, settlement_currency: str, reason: str, detail: str
    ) -> int:
        """Hold the pair's settling items with `reason` and its one-line `detail` (which
        currency lacks a usable rate, and how old its latest one is)."""

    def record_rate(self, run_date: date, rate: CrossRate, minor_rate: Fraction) -> None:
        """The rate the date's `rate.from_currency -> to_currency` lines convert at;
        `minor_rate` is it in minor units (`fx.minor_unit_fraction`)."""

    # --- settle --------------------------------------------------------------------------
    def settle(self, run_date: date, fx_markup_bps: int) -> None:
        """Settlement lines of the settling items, payouts per merchant and currency (each
        taking in the debit its merchant's previous payout in the currency passed on), and
        journal-vs-staged totals per terminal and merchant."""

    # --- the ledger and its checks -------------------------------------------------------
    def settled_flows(self, run_date: date) -> list[SettledFlow]: ...

    def paid_out(self, run_date: date) -> dict[str, Paid]:
        """Per currency: amounts due, fees, fx markup, debits carried in and out."""

    def carried_flows(self, run_date: date) -> list[CarriedFlow]:
        """Debits the date's payouts took in and passed on, per currency, in currency order."""

    def carry_links(self, run_date: date) -> list[CarryLink]:
        """For each merchant and currency with a payout after the date: what its latest
        payout up to the date passes on, and what the first later one took in."""

    def parked_flows(self, run_date: date) -> list[SuspenseFlow]:
        """Held and exception sums per (outcome, type, currency), in that order."""

    def staged_by_currency(self, scope: Scope) -> dict[str, int]:
        """Gross staged minor units of the scope per transaction currency."""

    def unsettled_by_currency(self, run_date: date) -> list[tuple[str, str, int]]:
        """(currency, outcome, staged sum) of the date's items that did not settle."""

    def settled_refunds(self, run_date: date) -> list[SettledRefunds]: ...

    def voids(self, run_date: date) -> tuple[list[Void], list[tuple[str, str]]]: ...

    def write_ledger(self, run_date: date, postings: list[Posting]) -> None:
        """The postings, numbered from 1 in the order given."""

    # --- closing -------------------------------------------------------------------------
    def age_open_items(self, run_date: date) -> None:
        """Open items carry their age in business days; a journal-only item whose
        transaction has now been staged is resolved."""

    def counts(self, run_date: date) -> dict[str, Any]: ...

    def payout_totals(self, run_date: date) -> dict[str, dict[str, int]]: ...

    def complete(self, run_date: date, run_id: str, now: datetime, summary: dict[str, Any]) -> bool:
        """Mark the run completed with its summary; False when another run took it over."""


if TYPE_CHECKING:  # mypy holds both implementations to the port

    def _implementations(sql: SqlEodStore, memory: MemoryEodStore) -> list[EodStore]:
        return [sql, memory]
