"""The domain's declared rules rendered to SQL: formulas, classification precedences, literals.

Why generate instead of writing the SQL beside the rule: the end of day must run each rule
set-based over a million rows, and a hand-written copy is a second definition that drifts.
The rule lives once in `settlement.domain` (a `formula.Expr` tree, a `Precedence` of named
tests, an enum); this module turns it into plain SQL that SQLite and PostgreSQL both accept,
and the statements in `eod_sql` only say which column feeds each named input. Nothing here
decides an outcome: it spells what the domain declared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar, assert_never

from settlement.domain.formula import (
    Add,
    Both,
    Column,
    Condition,
    Const,
    Differs,
    Expr,
    HalfEvenDiv,
    Is,
    Mul,
    Negative,
    Sub,
    When,
)
from settlement.domain.recon_classes import Precedence

Test = TypeVar("Test", bound=StrEnum)
_OPERATORS: dict[type[Add | Sub | Mul], str] = {Add: "+", Sub: "-", Mul: "*"}


def literal(value: str | None) -> str:
    """A text value (an enum's) as an SQL literal; None as NULL."""
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def half_even_sql(numerator: str, denominator: str) -> str:
    """`money.half_even_quotient` in integer SQL (no floats, no NUMERIC), step for step: the
    quotient, plus one when the remainder passes what is left of the divisor, or equals it
    and the quotient is odd.

    Integer division in SQL truncates, which is the floor `half_even_quotient` takes only for
    numerator >= 0 and denominator > 0: what `formula.HalfEvenDiv` requires (amounts, rates
    and basis points are positive). Comparing the remainder with `denominator - remainder`
    (not twice the remainder with the divisor) never leaves BIGINT for any divisor."""
    q = f"(({numerator}) / ({denominator}))"
    r = f"(({numerator}) - {q} * ({denominator}))"
    rest = f"(({denominator}) - {r})"
    odd = f"({q} - 2 * ({q} / 2) = 1)"
    return f"({q} + CASE WHEN {r} > {rest} OR ({r} = {rest} AND {odd}) THEN 1 ELSE 0 END)"


def _column(column: Column, columns: Mapping[str, str]) -> str:
    if column.name not in columns:
        raise KeyError(f"no SQL given for the formula's input {column.name!r}")
    return columns[column.name]


def expression(expr: Expr, columns: Mapping[str, str]) -> str:
    """`expr` as SQL, each `Column` replaced by `columns[name]` (a column or a literal)."""
    match expr:
        case Column():
            return _column(expr, columns)
        case Const(value):
            return str(int(value))
        case Add() | Sub() | Mul():
            left, right = expression(expr.left, columns), expression(expr.right, columns)
            return f"({left} {_OPERATORS[type(expr)]} {right})"
        case HalfEvenDiv(numerator, denominator):
            return half_even_sql(expression(numerator, columns), expression(denominator, columns))
        case When(test, then, otherwise):
            return (
                f"CASE WHEN {condition(test, columns)} THEN {expression(then, columns)}"
                f" ELSE {expression(otherwise, columns)} END"
            )
    assert_never(expr)


def condition(test: Condition, columns: Mapping[str, str]) -> str:
    match test:
        case Is(column, value):
            return f"{_column(column, columns)} = {literal(value)}"
        case Differs(left, right):
            return f"{_column(left, columns)} <> {_column(right, columns)}"
        case Both(left, right):
            return f"({condition(left, columns)} AND {condition(right, columns)})"
        case Negative(value):
            return f"{expression(value, columns)} < 0"
    assert_never(test)


def precedence_case(precedence: Precedence[Test], predicates: Mapping[Test, str]) -> str:
    """The CASE that picks the first class whose test holds, in the precedence's order;
    `predicates` renders each named test (one missing is an error, not a skipped step)."""
    missing = [test for _, test in precedence.steps if test not in predicates]
    if missing:
        raise KeyError(f"no SQL predicate for {missing}")
    whens = " ".join(
        f"WHEN ({predicates[test]}) THEN {literal(recon_class)}"
        for recon_class, test in precedence.steps
    )
    return f"CASE {whens} ELSE {literal(precedence.otherwise)} END"


def value_case(column: str, values: Iterable[tuple[str, str | None]]) -> str:
    """CASE mapping each value of `column` to another (a class to its outcome)."""
    whens = " ".join(f"WHEN {literal(key)} THEN {literal(value)}" for key, value in values)
    return f"CASE {column} {whens} END"
