"""A fraud screen's second process that breaks after sending its card flags (its store's
read of the labelled fraud's groups, the reach, fails), or after sending the reach (its read
of the date's purchase ids, the census, fails). A module of its own, so that the spawned
process can import it by name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from settlement.adapters.eod_store import Span, SqlEodStore
from settlement.domain.transactions import StagedTransaction
from settlement.entrypoints.reading import screen_store_at

BROKEN = "the store could not be read (test)"


class _ReachBreaks(SqlEodStore):
    def groups_holding(
        self, key: str, span: Span, ids: Sequence[str]
    ) -> Iterator[list[StagedTransaction]]:
        raise RuntimeError(BROKEN)


@contextmanager
def reach_breaks_at(url: str, snapshot: str | None) -> Iterator[SqlEodStore]:
    """`screen_store_at(url, snapshot)`, whose reach read fails."""
    with screen_store_at(url, snapshot) as store:
        yield _ReachBreaks(store.conn)


class _CensusBreaks(SqlEodStore):
    def purchase_ids(self, run_date: date) -> Iterable[str]:
        raise RuntimeError(BROKEN)


@contextmanager
def census_breaks_at(url: str, snapshot: str | None) -> Iterator[SqlEodStore]:
    """`screen_store_at(url, snapshot)`, whose census read fails."""
    with screen_store_at(url, snapshot) as store:
        yield _CensusBreaks(store.conn)
