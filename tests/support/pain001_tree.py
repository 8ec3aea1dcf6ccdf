"""A frozen copy of the ElementTree pain.001 renderer the end of day used up to r19
(settlement/adapters/pain001.py before it wrote lines): the reference its text rendering
must equal byte for byte (tests/unit/test_pain001.py).

A payment order as the ISO 20022 `pain.001.001.09` XML a bank reads.

Built with the standard library's ElementTree rather than python-sepaxml: sepaxml writes
`CreDtTm` from the clock and random payment-information ids, so the same payouts would give
a different file on every run, and a re-run must give the identical one. The element order
is the schema's; tests validate every file against the official XSD (the one sepaxml
ships). Text is escaped by ElementTree and was cut to the SEPA character set before it got
here (`domain.credit_transfer`), so a merchant's name can neither break the XML nor leave it.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from settlement.domain.credit_transfer import SEPA_CURRENCY, CreditTransfer, Party, PaymentOrder
from settlement.domain.money import Money

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
# A debtor agent without a BIC: the value EPC's implementation guidelines prescribe.
NOT_PROVIDED = "NOTPROVIDED"


def _add(parent: ET.Element, path: str, text: str | None = None) -> ET.Element:
    """The element at `path` (slash-separated) under `parent`, created at each step."""
    node = parent
    for tag in path.split("/"):
        node = ET.SubElement(node, tag)
    if text is not None:
        node.text = text
    return node


def _euros(amount_minor: int) -> str:
    return Money(amount_minor, SEPA_CURRENCY).format()


def _account(parent: ET.Element, tag: str, party: Party) -> None:
    _add(parent, f"{tag}/Id/IBAN", party.account.iban)


def _agent(parent: ET.Element, tag: str, party: Party) -> None:
    if party.account.bic is not None:
        _add(parent, f"{tag}/FinInstnId/BICFI", party.account.bic)
    else:
        _add(parent, f"{tag}/FinInstnId/Othr/Id", NOT_PROVIDED)


def _transaction(block: ET.Element, transfer: CreditTransfer) -> None:
    node = _add(block, "CdtTrfTxInf")
    _add(node, "PmtId/EndToEndId", transfer.end_to_end_id)
    amount = _add(node, "Amt/InstdAmt", _euros(transfer.amount_minor))
    amount.set("Ccy", SEPA_CURRENCY)
    if transfer.creditor.account.bic is not None:  # SEPA is IBAN-only: the agent is optional
        _agent(node, "CdtrAgt", transfer.creditor)
    _add(node, "Cdtr/Nm", transfer.creditor.name)
    _account(node, "CdtrAcct", transfer.creditor)
    _add(node, "RmtInf/Ustrd", transfer.remittance)


def _payment_information(root: ET.Element, order: PaymentOrder) -> None:
    block = _add(root, "PmtInf")
    _add(block, "PmtInfId", order.payment_information_id)
    _add(block, "PmtMtd", "TRF")
    _add(block, "NbOfTxs", str(order.count))
    _add(block, "CtrlSum", _euros(order.control_sum_minor))
    _add(block, "PmtTpInf/SvcLvl/Cd", "SEPA")
    _add(block, "ReqdExctnDt/Dt", order.execution_date.isoformat())
    _add(block, "Dbtr/Nm", order.debtor.name)
    _account(block, "DbtrAcct", order.debtor)
    _agent(block, "DbtrAgt", order.debtor)
    _add(block, "ChrgBr", "SLEV")
    for transfer in order.transfers:
        _transaction(block, transfer)


def render(order: PaymentOrder) -> bytes:
    """The order's document, UTF-8, indented, with an XML declaration."""
    document = ET.Element("Document", xmlns=NAMESPACE)
    root = _add(document, "CstmrCdtTrfInitn")
    header = _add(root, "GrpHdr")
    _add(header, "MsgId", order.message_id)
    _add(header, "CreDtTm", order.created_at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _add(header, "NbOfTxs", str(order.count))
    _add(header, "CtrlSum", _euros(order.control_sum_minor))
    _add(header, "InitgPty/Nm", order.debtor.name)
    _payment_information(root, order)
    ET.indent(document)
    text: bytes = ET.tostring(document, encoding="UTF-8", xml_declaration=True)
    return text + b"\n"
