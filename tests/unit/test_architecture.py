"""What the import-linter contracts (pyproject.toml, run by `make architecture`) cannot say:
the domain never reads the clock; and the contracts themselves are not quietly weakened."""

from __future__ import annotations

import ast
import tomllib
from enum import StrEnum
from pathlib import Path

import settlement.domain
from settlement.domain.fraud.model import Action
from settlement.domain.holds import HoldReason
from settlement.domain.netting import PayoutDirection
from settlement.domain.originals import OriginalCheck
from settlement.domain.recon_classes import MatchMethod, Outcome, ReconClass
from settlement.domain.transactions import TransactionType

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


# The domain's vocabularies: a value of one of these, typed as a literal where code decides
# something (a comparison), is the rule restated; the enum member names its one home.
RULE_ENUMS: tuple[type[StrEnum], ...] = (
    ReconClass, Outcome, MatchMethod, TransactionType, HoldReason, Action, PayoutDirection,
    OriginalCheck,
)  # fmt: skip
SETTLEMENT_DIR = DOMAIN_DIR.parent


def _compared_rule_literals(tree: ast.AST, values: set[str]) -> list[str]:
    """`x == "settled"`, `x in ("exception", ...)`: literals of a domain enum a test compares."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        for side in (node.left, *node.comparators):
            elements = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
            found += [
                f"{element.value!r} at line {node.lineno}"
                for element in elements
                if isinstance(element, ast.Constant) and element.value in values
            ]
    return found


def test_outside_the_domain_no_decision_compares_with_a_rule_literal() -> None:
    values = {member.value for enum in RULE_ENUMS for member in enum}
    for path in sorted(SETTLEMENT_DIR.rglob("*.py")):
        if DOMAIN_DIR in path.parents:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found = _compared_rule_literals(tree, values)
        assert not found, f"{path.relative_to(SETTLEMENT_DIR)}: use the domain's enum: {found}"


def test_guard_catches_a_compared_rule_literal() -> None:
    bad = ast.parse('if row.outcome in ("exception", "other"):\n    x = row.direction == "debit"\n')
    assert _compared_rule_literals(bad, {"exception", "debit"}) == [
        "'exception' at line 1",
        "'debit' at line 2",
    ]


def _parity_tests(tree: ast.AST) -> list[str]:
    """`quotient % 2`: the tie-to-even step of a half-even rounding."""
    return [
        f"% 2 at line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.right, ast.Constant)
        and node.right.value == 2
    ]


def test_half_even_rounding_is_written_once() -> None:
    """`money.half_even_quotient` is the one rounding (the SQL renders the same steps from
    `formula.HalfEvenDiv`); a second copy of its tie rule is a second home that can drift."""
    home = DOMAIN_DIR / "money.py"
    assert _parity_tests(ast.parse(home.read_text())), "the guard no longer sees the home"
    for path in sorted(SETTLEMENT_DIR.rglob("*.py")):
        if path != home:
            found = _parity_tests(ast.parse(path.read_text(), filename=str(path)))
            assert not found, f"{path.relative_to(SETTLEMENT_DIR)}: {found}"


# Settings are read, and engines and clients built, by the entry points only; below them they
# arrive as arguments. These are the builders, and the modules that define them.
BUILDERS = {"load_settings", "Settings", "sqs_client", "s3_client", "create_db_engine"}
ENTRY_POINTS = ("cli", "entrypoints")
BUILDER_HOMES = ("adapters/aws.py", "adapters/database.py", "config.py")


def _builder_calls(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in BUILDERS:
                found.append(f"{name}() at line {node.lineno}")
    return found


def test_only_entry_points_read_settings_or_build_engines_and_clients() -> None:
    for path in sorted(SETTLEMENT_DIR.rglob("*.py")):
        relative = path.relative_to(SETTLEMENT_DIR)
        if relative.parts[0] in ENTRY_POINTS or relative.as_posix() in BUILDER_HOMES:
            continue
        found = _builder_calls(ast.parse(path.read_text(), filename=str(path)))
        assert not found, f"{relative}: pass it in from the entry point: {found}"


def test_guard_catches_a_client_built_below_the_entry_points() -> None:
    bad = ast.parse("client = s3 or aws.s3_client(settings)\n")
    assert _builder_calls(bad) == ["s3_client() at line 1"]
