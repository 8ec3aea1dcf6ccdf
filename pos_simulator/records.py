"""One card transaction as the terminal did it, and its text in the message and the journal.

The message is written with an f-string, not `json.dumps`, because it is the hot path; every
value is ASCII without quotes or backslashes (ids, digits, codes, timestamps). Its fields are
the domain's `MESSAGE_FIELDS`, spelled out for speed: tests/unit/test_message_fields.py checks
the line has exactly those keys in that order and equals `json.dumps(message_fields(...),
separators=(",", ":"))`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos_simulator.amounts import amount_text
from pos_simulator.cards import Card
from pos_simulator.pools import Merchant
from pos_simulator.vocabulary import SCHEMA_ID


@dataclass(slots=True)
class Txn:
    ms: int  # the instant, Unix ms UTC
    transaction_id: str
    type: str  # purchase | refund | reversal
    original_id: str | None
    merchant: Merchant
    terminal_id: str
    card: Card
    amount_minor: int
    entry_mode: str
    label: str  # fraud scenario or legit


def message_fields(
    txn: Txn, local_time: str, sent_at: str, amount: str | None = None
) -> dict[str, str | None]:
    """The message as a dict, keys in contract order (for the rare, garbled messages)."""
    merchant = txn.merchant
    return {
        "schema": SCHEMA_ID,
        "transaction_id": txn.transaction_id,
        "type": txn.type,
        "original_transaction_id": txn.original_id,
        "merchant_id": merchant.merchant_id,
        "terminal_id": txn.terminal_id,
        "pan": txn.card.pan,
        "expiry": txn.card.expiry,
        "amount": amount_text(txn.amount_minor, merchant.exponent) if amount is None else amount,
        "currency": merchant.currency,
        "card_country": txn.card.country,
        "merchant_country": merchant.country_code,
        "mcc": merchant.mcc_code,
        "entry_mode": txn.entry_mode,
        "local_time": local_time,
        "sent_at": sent_at,
    }


def message_line(txn: Txn, local_time: str, sent_at: str, amount: str | None = None) -> str:
    """The message as one compact JSON line, newline included; `amount` overrides the text."""
    merchant, card = txn.merchant, txn.card
    original = "null" if txn.original_id is None else f'"{txn.original_id}"'
    if amount is None:
        amount = amount_text(txn.amount_minor, merchant.exponent)
    return (
        f'{{"schema":"{SCHEMA_ID}","transaction_id":"{txn.transaction_id}","type":"{txn.type}",'
        f'"original_transaction_id":{original},"merchant_id":"{merchant.merchant_id}",'
        f'"terminal_id":"{txn.terminal_id}","pan":"{card.pan}","expiry":"{card.expiry}",'
        f'"amount":"{amount}","currency":"{merchant.currency}","card_country":"{card.country}",'
        f'"merchant_country":"{merchant.country_code}","mcc":"{merchant.mcc_code}",'
        f'"entry_mode":"{txn.entry_mode}","local_time":"{local_time}","sent_at":"{sent_at}"}}\n'
    )


def journal_line(txn: Txn, local_time: str) -> str:
    """The terminal's end-of-day row: last four digits only, never the PAN."""
    merchant = txn.merchant
    return (
        f"{txn.transaction_id},{txn.terminal_id},{merchant.merchant_id},{txn.type},"
        f"{amount_text(txn.amount_minor, merchant.exponent)},{merchant.currency},{local_time},"
        f"{txn.card.pan[-4:]},{txn.original_id or ''}\n"
    )
