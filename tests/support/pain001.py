"""The official ISO 20022 pain.001.001.09 schema (shipped by python-sepaxml), loaded once,
and a bank file's content read back for assertions."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import sepaxml
import xmlschema

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


@cache
def pain001_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas/pain.001.001.09.xsd"))


def assert_valid(document: bytes) -> None:
    """Raises with the schema's own reason when `document` is not a valid pain.001.001.09."""
    pain001_schema().validate(document.decode("utf-8"))


def transactions(document: bytes) -> dict[str, tuple[Decimal, str, str]]:
    """End-to-end id -> (amount, creditor name, creditor IBAN)."""
    root = ET.fromstring(document)
    found = {}
    for tx in root.iterfind(".//p:CdtTrfTxInf", NS):
        found[tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) or ""] = (
            Decimal(tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) or "0"),
            tx.findtext("p:Cdtr/p:Nm", namespaces=NS) or "",
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) or "",
        )
    return found


def header(document: bytes, path: str) -> str:
    """The text at `path` (p:-prefixed) under the document's root."""
    return ET.fromstring(document).findtext(path, namespaces=NS) or ""
