"""Integer formulas as data, so a settlement rule is written once and runs in two places.

Why data and not a Python function: the end of day prices a million lines in one
`INSERT ... SELECT`, so the formula must also exist as SQL. Written as a tree of these nodes
(in `settlement.domain.netting`), the same definition is evaluated here (`evaluate`, used by
`price_line` and `Payout`) and rendered to SQL by `settlement.adapters.sql_render`; neither
can drift from the other. Only what the settlement rules need: integer arithmetic, half-even
division (`money.half_even_quotient`, the one rounding), and a choice on a transaction's
type or currency. Inputs are named by `Column`; the renderer maps each name to SQL.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import assert_never

from settlement.domain.money import half_even_quotient


@dataclass(frozen=True, slots=True)
class Column:
    """An input by name: a transaction's, a merchant's or a run's value."""

    name: str


@dataclass(frozen=True, slots=True)
class Const:
    value: int


@dataclass(frozen=True, slots=True)
class Add:
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Sub:
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Mul:
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class HalfEvenDiv:
    """numerator / denominator rounded half-even; numerator >= 0 and denominator > 0 (the
    SQL rendering divides with truncation, which is the floor only for these)."""

    numerator: Expr
    denominator: Expr


@dataclass(frozen=True, slots=True)
class Is:
    """A text input equals a value (an enum's: a transaction type)."""

    column: Column
    value: str


@dataclass(frozen=True, slots=True)
class Differs:
    """Two text inputs differ (a transaction's currency and the settlement currency)."""

    left: Column
    right: Column


@dataclass(frozen=True, slots=True)
class Both:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Negative:
    value: Expr


@dataclass(frozen=True, slots=True)
class When:
    """`then` where `condition` holds, else `otherwise`."""

    condition: Condition
    then: Expr
    otherwise: Expr


Expr = Column | Const | Add | Sub | Mul | HalfEvenDiv | When
Condition = Is | Differs | Both | Negative
Inputs = Mapping[str, int | str]
_ARITHMETIC: dict[type[Add | Sub | Mul], Callable[[int, int], int]] = {
    Add: operator.add,
    Sub: operator.sub,
    Mul: operator.mul,
}


def evaluate(expr: Expr, inputs: Inputs) -> int:
    """The formula's integer value for `inputs` (every Column named in it must be there)."""
    match expr:
        case Column(name):
            value = inputs[name]
            if not isinstance(value, int):
                raise TypeError(f"{name} is {value!r}, not an integer")
            return value
        case Const(value):
            return value
        case Add() | Sub() | Mul():
            return _ARITHMETIC[type(expr)](
                evaluate(expr.left, inputs), evaluate(expr.right, inputs)
            )
        case HalfEvenDiv(numerator, denominator):
            return half_even_quotient(evaluate(numerator, inputs), evaluate(denominator, inputs))
        case When(condition, then, otherwise):
            return evaluate(then if holds(condition, inputs) else otherwise, inputs)
    assert_never(expr)


def holds(condition: Condition, inputs: Inputs) -> bool:
    match condition:
        case Is(column, value):
            return inputs[column.name] == value
        case Differs(left, right):
            return inputs[left.name] != inputs[right.name]
        case Both(left, right):
            return holds(left, inputs) and holds(right, inputs)
        case Negative(value):
            return evaluate(value, inputs) < 0
    assert_never(condition)
