"""Guard: the test suite's own layout. Helpers live in tests/support, so no test module
imports another (a shared helper hidden in a test file makes one test's edit another's
failure, and pytest collects what it imports twice); the unit tier imports neither moto nor
Selenium (tests/support/impurity_guard.py closes the other doors at run time)."""

from __future__ import annotations

import ast
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings

import tests
from tests.support.example_budget import examples
from tests.support.impurity_guard import FORBIDDEN_IN_UNIT, ImpureUnitTest

TESTS_DIR = Path(tests.__file__).parent
SUPPORT = "tests.support"


def _module_name(path: Path) -> str:
    parts = path.relative_to(TESTS_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, importer: str) -> set[str]:
    """Every module `importer` names in an import, relative ones resolved; for `from package
    import name`, `package.name` too, since the name may be a module."""
    found: set[str] = set()
    package = importer.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _test_imports(source: str, importer: str) -> set[str]:
    """The test modules (anything under tests/ but tests.support) `source` imports."""
    return {
        name
        for name in _imported(ast.parse(source), importer)
        if name.startswith("tests.")
        and name != SUPPORT
        and not name.startswith(f"{SUPPORT}.")
        and name.split(".")[-1] != "conftest"
    }


def _python_files() -> list[Path]:
    return sorted(TESTS_DIR.rglob("*.py"))


def test_the_scan_sees_the_whole_suite() -> None:
    names = {_module_name(path) for path in _python_files()}
    assert {"tests.conftest", "tests.unit.test_suite_layout", "tests.support.hand_day"} <= names
    assert len(names) > 100


def test_no_test_module_imports_another() -> None:
    offenders = {
        _module_name(path): found
        for path in _python_files()
        if (found := _test_imports(path.read_text(), _module_name(path)))
    }
    assert offenders == {}, "move the shared helper to tests/support"


@pytest.mark.parametrize(
    ("source", "importer", "found"),
    [
        ("from tests.integration.test_eod_day import DAY", "tests.unit.t", {
            "tests.integration.test_eod_day", "tests.integration.test_eod_day.DAY"}),
        ("import tests.e2e.rig", "tests.e2e.test_x", {"tests.e2e.rig"}),
        ("from tests.unit import test_fraud_traffic", "tests.unit.t", {
            "tests.unit", "tests.unit.test_fraud_traffic"}),
        ("from .test_fraud_traffic import Traffic", "tests.unit.test_fraud_rules", {
            "tests.unit.test_fraud_traffic", "tests.unit.test_fraud_traffic.Traffic"}),
        ("from ..support.hand_day import DAY", "tests.unit.t", set()),
        ("from tests.support.hand_day import DAY\nfrom tests import support", "tests.unit.t",
         set()),
        ("import tests.support.messages\nfrom settlement.cli import app", "tests.e2e.t", set()),
    ],
)  # fmt: skip
def test_the_scan_catches_each_spelling(source: str, importer: str, found: set[str]) -> None:
    assert _test_imports(source, importer) == found


def test_unit_tests_import_no_moto_nor_selenium() -> None:
    offenders = {
        _module_name(path): roots
        for path in sorted((TESTS_DIR / "unit").rglob("*.py"))
        if (roots := {n.split(".")[0] for n in _imported(ast.parse(path.read_text()), "x.y")}
            & FORBIDDEN_IN_UNIT)
    }  # fmt: skip
    assert offenders == {}, "a test that needs moto or a browser belongs in tests/integration"


def test_the_unit_tier_refuses_sockets_processes_and_databases(
    tmp_path: Path, impure_attempts: list[str]
) -> None:
    """The guard of tests/unit/conftest.py is on here: each door out raises, and is noted
    so that a test swallowing the refusal still fails."""
    with socket.socket() as unconnected, pytest.raises(ImpureUnitTest, match="network"):
        unconnected.connect(("127.0.0.1", 9))
    with pytest.raises(ImpureUnitTest, match="DNS"):
        socket.getaddrinfo("localhost", 80)
    with pytest.raises(ImpureUnitTest, match="subprocess"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    with pytest.raises(ImpureUnitTest, match="SQLite"):
        sqlite3.connect(tmp_path / "x.db")
    with pytest.raises(ImpureUnitTest, match="SQLite"):
        sqlite3.connect(":memory:")
    with pytest.raises(ImpureUnitTest, match="PostgreSQL"):
        psycopg.connect("postgresql://127.0.0.1:9/x")
    assert len(impure_attempts) == 6
    impure_attempts.clear()  # expected here; anywhere else they fail the test at teardown


def test_property_tests_keep_their_full_count_outside_the_unit_profile() -> None:
    """`make test` runs every count as written; only `make unit` takes a tenth."""
    active = settings.get_current_profile_name()
    try:
        for profile in ("default", "ci"):
            settings.load_profile(profile)
            assert examples(3000) == 3000 and examples(1) == 1
        settings.load_profile("unit")
        assert (examples(3000), examples(5), settings.default.max_examples) == (300, 1, 10)
    finally:
        settings.load_profile(active)
