"""High-risk MCC at night: a purchase at a high-integrity-risk merchant in the small hours.

The MCCs are parameters; the shipped list (default_rules.toml) is Visa's High-Integrity Risk
MCCs (betting, dating, adult teleservices, drugs, crypto, cyberlockers, skill games, trading,
telemarketing, subscriptions, tobacco), sourced in docs/fraud-rules.md. Where Visa counts an
MCC only card-absent (a pharmacy's online sales, not its counter), so does the rule.
"Night" is the terminal's wall clock (`local_time`), since 03:00 UTC is evening in New York.
The window may wrap midnight (night_start 23:00, night_end 05:00); the end is exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from settlement.domain.fraud.activity import CardActivity
from settlement.domain.fraud.bound import Bound, RawGroup, row_index
from settlement.domain.fraud.model import Hit
from settlement.domain.fraud.spec import CardRule, each
from settlement.domain.transactions import EntryMode, StagedTransaction


@dataclass(frozen=True, slots=True)
class Params:
    mccs: tuple[str, ...]
    card_absent_only: tuple[str, ...]  # of `mccs`, those that count only card-absent
    card_absent_modes: tuple[str, ...]
    night_start: time
    night_end: time

    def __post_init__(self) -> None:
        for key in ("mccs", "card_absent_only"):
            bad = [mcc for mcc in getattr(self, key) if not (len(mcc) == 4 and mcc.isdigit())]
            if bad:
                raise ValueError(f"{key}: {bad[0]!r} is not a four-digit MCC")
        modes = {mode.value for mode in EntryMode}
        bad = [mode for mode in self.card_absent_modes if mode not in modes]
        if bad:
            raise ValueError(f"card_absent_modes: {bad[0]!r} is not one of {sorted(modes)}")
        if self.night_start == self.night_end:
            raise ValueError("night_start and night_end: must differ")


def at_night(clock: time, start: time, end: time) -> bool:
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def listed(tx: StagedTransaction, params: Params) -> bool:
    """At a listed MCC, and card-absent where the list counts only card-absent sales."""
    if tx.mcc not in params.mccs:
        return False
    return tx.mcc not in params.card_absent_only or tx.entry_mode in params.card_absent_modes


def check(card: CardActivity, params: Params) -> list[Hit]:
    return [
        Hit(tx, _reason(tx, params))
        for tx, today in zip(card.purchases, card.today, strict=True)
        if today
        and listed(tx, params)
        and at_night(tx.local_time.time(), params.night_start, params.night_end)
    ]


def _reason(tx: StagedTransaction, params: Params) -> str:
    return (
        f"MCC {tx.mcc} at {tx.local_time:%H:%M} local time "
        f"(night {params.night_start:%H:%M}-{params.night_end:%H:%M})"
    )


def unreachable(tx: StagedTransaction, params: Params) -> str | None:
    """Why `check` can never flag `tx` whatever else the card does (it reads `tx` alone)."""
    if tx.mcc not in params.mccs:
        return f"MCC {tx.mcc} is not in the rule's list"
    if not listed(tx, params):
        return f"MCC {tx.mcc} counts only card-absent, this was {tx.entry_mode}"
    if not at_night(tx.local_time.time(), params.night_start, params.night_end):
        return f"local time outside {params.night_start:%H:%M}-{params.night_end:%H:%M}"
    return None


_MCC = row_index("mcc")


def may_flag(group: RawGroup, params: Params) -> bool:
    """A business-date purchase at a listed MCC, whatever the hour (local time is not read)."""
    mccs = params.mccs
    pairs = zip(group.rows, group.today, strict=True)
    return any(today and row[_MCC] in mccs for row, today in pairs)


RULE = CardRule(
    Params,
    check,
    scenarios=("high_risk_mcc_night",),
    bound=Bound(("mcc",), may_flag),
    reach=each(unreachable),
)
