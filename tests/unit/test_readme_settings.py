"""Every setting a user can touch is in the README's configuration table."""

from __future__ import annotations

from pathlib import Path

from settlement.config import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    text = README.read_text()
    start, end = text.index("<!-- config-table:start -->"), text.index("<!-- config-table:end -->")
    table = text[start:end]
    rows = {line.split("|")[1].strip().strip("`") for line in table.splitlines() if "|" in line}
    missing = [
        f"{ENV_PREFIX}{name}".upper()
        for name in Settings.model_fields
        if f"{ENV_PREFIX}{name}".upper() not in rows
    ]
    assert missing == []
