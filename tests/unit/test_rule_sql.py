"""The end-of-day SQL is generated from the domain's rule declarations, not restated.

Each named test of a precedence and each check of a refund or reversal has a rendering; the
classification CASEs run in the declared order, so reordering a declaration reorders both the
domain's `classify` and the SQL; every quoted literal in the statements is a value of a domain
enum; the line and payout formulas reach the SQL from `netting` (a changed formula changes
the SQL). That the rendered arithmetic evaluates equal on SQLite and PostgreSQL is
tests/integration/test_rule_sql_values.py; that whole days agree is test_eod_properties.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

import pytest

from settlement.adapters import eod_sql
from settlement.adapters.sql_render import expression, half_even_sql, precedence_case
from settlement.domain import netting
from settlement.domain.formula import Const, HalfEvenDiv, Mul, When
from settlement.domain.originals import REFUND_CHECKS, REVERSAL_MUST_EQUAL, OriginalCheck
from settlement.domain.recon_classes import (
    JOURNAL_ONLY_PRECEDENCE,
    STAGED_PRECEDENCE,
    JournalOnlyTest,
    MatchMethod,
    Outcome,
    Precedence,
    ReconClass,
    StagedTest,
    outcome_of,
)
from settlement.domain.run_scope import Scope
from settlement.domain.transactions import TransactionType

DAY = date(2026, 3, 11)
_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_CHOICE = re.compile(r"(?:THEN|ELSE) '(\w+)'")


def _choices(case_sql: str) -> list[str]:
    return _CHOICE.findall(case_sql)


@pytest.mark.parametrize(
    ("tests", "rendered"),
    [
        (StagedTest, eod_sql.STAGED_TEST_SQL),
        (JournalOnlyTest, eod_sql.JOURNAL_ONLY_TEST_SQL),
        (OriginalCheck, eod_sql.ORIGINAL_CHECK_FAILS_SQL),
    ],
)
def test_every_named_test_has_a_rendering(tests: type[StrEnum], rendered: dict[Any, str]) -> None:
    assert set(rendered) == set(tests)
    assert all(sql.strip() for sql in rendered.values())


def test_the_classification_cases_follow_the_declared_order() -> None:
    staged = precedence_case(STAGED_PRECEDENCE, eod_sql.STAGED_TEST_SQL)
    journal = precedence_case(JOURNAL_ONLY_PRECEDENCE, eod_sql.JOURNAL_ONLY_TEST_SQL)
    assert _choices(staged) == list(STAGED_PRECEDENCE.classes)
    assert _choices(journal) == list(JOURNAL_ONLY_PRECEDENCE.classes)
    assert staged.endswith(f"ELSE '{STAGED_PRECEDENCE.otherwise}' END")
    for recon_class, test in STAGED_PRECEDENCE.steps:  # each class with its own predicate
        assert f"WHEN ({eod_sql.STAGED_TEST_SQL[test]}) THEN '{recon_class}'" in staged


def test_reordering_the_precedence_reorders_the_domain_and_the_sql() -> None:
    """A late refund of nothing is `late`; declare orphan_refund first and both the pure
    classification and the CASE say `orphan_refund`."""
    late, orphan, *rest = STAGED_PRECEDENCE.steps
    swapped = Precedence((orphan, late, *rest), STAGED_PRECEDENCE.otherwise)
    late_orphan = {StagedTest.ARRIVED_LATE: True, StagedTest.ORIGINAL_NOWHERE: True}

    def holds(test: StagedTest) -> bool:
        return late_orphan.get(test, False)

    assert STAGED_PRECEDENCE.classify(holds) is ReconClass.LATE
    assert swapped.classify(holds) is ReconClass.ORPHAN_REFUND
    rendered = _choices(precedence_case(swapped, eod_sql.STAGED_TEST_SQL))
    assert rendered[:2] == [ReconClass.ORPHAN_REFUND, ReconClass.LATE]


def test_a_test_without_a_rendering_is_refused() -> None:
    partial = {
        k: v for k, v in eod_sql.STAGED_TEST_SQL.items() if k is not StagedTest.NOT_IN_JOURNAL
    }
    with pytest.raises(KeyError, match="not_in_journal"):
        precedence_case(STAGED_PRECEDENCE, partial)


def test_the_refund_and_reversal_cases_follow_the_originals_declarations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refund = eod_sql.refund_mismatch_sql()
    assert _choices(refund) == [recon_class for recon_class, _ in REFUND_CHECKS]
    reversal = eod_sql.reversal_differs_sql()
    assert reversal.split(" OR ") == [
        eod_sql.ORIGINAL_CHECK_FAILS_SQL[c] for c in REVERSAL_MUST_EQUAL
    ]
    # a reversal no longer held to its terminal: the terminal's predicate leaves the SQL
    fewer = tuple(c for c in REVERSAL_MUST_EQUAL if c is not OriginalCheck.SAME_TERMINAL)
    monkeypatch.setattr(eod_sql, "REVERSAL_MUST_EQUAL", fewer)
    assert "terminal_id" in reversal
    assert "terminal_id" not in eod_sql.reversal_differs_sql()
    monkeypatch.setattr(eod_sql, "REFUND_CHECKS", tuple(reversed(REFUND_CHECKS)))
    assert _choices(eod_sql.refund_mismatch_sql()) == [c for c, _ in reversed(REFUND_CHECKS)]


def _statements(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The SQL of each rule-bearing statement, captured instead of run."""
    captured: list[str] = []
    monkeypatch.setattr(
        eod_sql, "run", lambda _conn, statement, **_: captured.append(statement) or 0
    )
    conn: Any = SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))
    scope = Scope(DAY, datetime(2026, 3, 11, 21), date(2026, 3, 1), False)
    calls = {
        "classify_staged": lambda: eod_sql.classify_staged(conn, scope),
        "classify_journal_only": lambda: eod_sql.classify_journal_only(conn, DAY),
        "apply_tolerant_pairs": lambda: eod_sql.apply_tolerant_pairs(conn, DAY, [("s", "j", 1)]),
        "pair_reversals": lambda: eod_sql.pair_reversals(conn, DAY),
        "judge_refunds": lambda: eod_sql.judge_refunds(conn, DAY),
        "hold": lambda: eod_sql.hold(conn, DAY, "1 = 1", "no_rate"),
        "insert_settlement_lines": lambda: eod_sql.insert_settlement_lines(conn, DAY, 50),
        "insert_payouts": lambda: eod_sql.insert_payouts(conn, DAY),
    }
    found = {}
    for name, call in calls.items():
        captured.clear()
        call()
        found[name] = "\n".join(captured)
    return found


def test_every_literal_in_the_rule_statements_is_a_domain_enum_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    allowed = {str(v) for enum in (ReconClass, Outcome, TransactionType, MatchMethod,
                                   netting.PayoutDirection) for v in enum}  # fmt: skip
    allowed.add("completed")  # the run guard's status of an eod_runs row (scope_cte)
    for name, statement in _statements(monkeypatch).items():
        typed = set(_LITERAL.findall(statement)) - allowed
        assert not typed, f"{name} types {typed}"


def test_the_outcome_of_each_class_comes_from_recon_classes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements = _statements(monkeypatch)
    for recon_class in STAGED_PRECEDENCE.classes:
        when = f"WHEN '{recon_class}' THEN '{outcome_of(recon_class)}'"
        assert when in statements["classify_staged"]
        assert when in statements["pair_reversals"]


def test_the_line_and_payout_sql_is_rendered_from_netting(monkeypatch: pytest.MonkeyPatch) -> None:
    statements = _statements(monkeypatch)
    lines, payouts = statements["insert_settlement_lines"], statements["insert_payouts"]
    assert half_even_sql("(x.converted * x.mdr_bps)", "10000") in lines
    assert half_even_sql("(x.converted * 50)", "10000") in lines  # the run's markup bps
    assert "'debit'" in payouts and "'credit'" in payouts
    assert "x.mdr_bps" in lines
    # a changed fee formula changes the statement: 1% of the converted amount, no MDR
    flat = HalfEvenDiv(Mul(netting.CONVERTED, Const(100)), Const(10_000))
    monkeypatch.setattr(netting, "FEE_MINOR", When(netting.IS_PURCHASE, flat, Const(0)))
    changed = _statements(monkeypatch)["insert_settlement_lines"]
    assert "x.mdr_bps" not in changed
    assert half_even_sql("(x.converted * 100)", "10000") in changed


def test_a_formula_input_without_a_column_is_refused() -> None:
    with pytest.raises(KeyError, match="mdr_bps"):
        expression(netting.FEE_MINOR, {"converted_minor": "c", "transaction_type": "t"})
