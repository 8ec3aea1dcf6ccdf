"""What the import-linter contracts (pyproject.toml, run by `make architecture`) cannot say:
the domain never reads the clock; and the contracts themselves are not quietly weakened."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import settlement.domain

CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}
DOMAIN_DIR = Path(settlement.domain.__file__).parent
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
INFRASTRUCTURE = {"sqlalchemy", "psycopg", "boto3", "botocore", "moto", "apscheduler"}


def _modules() -> list[Path]:
    return sorted(DOMAIN_DIR.rglob("*.py"))


def _clock_reads(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else ""
            if node.func.attr in CLOCK_CALLS and owner_name in {"datetime", "date", "time"}:
                found.append(f"{owner_name}.{node.func.attr}() at line {node.lineno}")
    return found


def test_domain_has_modules() -> None:
    assert len(_modules()) >= 2


def test_domain_never_reads_the_clock() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        assert not _clock_reads(tree), f"{path.name}: {_clock_reads(tree)}"


def test_guard_catches_a_clock_read() -> None:
    bad = ast.parse("from datetime import datetime\nx = datetime.now()\n")
    assert _clock_reads(bad) == ["datetime.now() at line 2"]


def test_the_contracts_keep_the_domain_pure_and_the_layers_in_order() -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    contracts = {contract["id"]: contract for contract in config["contracts"]}
    pure = contracts["domain-pure"]
    assert pure["source_modules"] == ["settlement.domain"] and "ignore_imports" not in pure
    assert INFRASTRUCTURE <= set(pure["forbidden_modules"])
    assert not pure.get("allow_indirect_imports", False)
    assert contracts["layers"]["layers"][-2:] == ["settlement.adapters", "settlement.domain"]
    assert "ignore_imports" not in contracts["layers"]
