"""Guard: settlement.domain imports no infrastructure and never reads the clock."""

from __future__ import annotations

import ast
from pathlib import Path

import settlement.domain

FORBIDDEN_MODULES = {"sqlalchemy", "boto3", "botocore", "moto", "apscheduler", "psycopg"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}
DOMAIN_DIR = Path(settlement.domain.__file__).parent


def _modules() -> list[Path]:
    return sorted(DOMAIN_DIR.rglob("*.py"))


def _imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


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


def test_domain_imports_no_infrastructure() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        bad = _imported_roots(tree) & FORBIDDEN_MODULES
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_domain_never_reads_the_clock() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        assert not _clock_reads(tree), f"{path.name}: {_clock_reads(tree)}"


def test_guard_catches_a_violation() -> None:
    bad = ast.parse("import boto3\nfrom datetime import datetime\nx = datetime.now()\n")
    assert _imported_roots(bad) & FORBIDDEN_MODULES == {"boto3"}
    assert _clock_reads(bad) == ["datetime.now() at line 3"]
