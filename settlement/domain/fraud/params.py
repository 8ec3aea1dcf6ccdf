"""Typed rule parameters from TOML values, with errors that name the rule and the parameter.

A rule declares its parameters as a frozen dataclass; the field's type says how to read the
TOML value. Amounts are EUR decimal strings ("2500.00"), never TOML floats, so no binary
fraction ever reaches money; a per-currency table parses each value in its own currency.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from settlement.domain.currencies import UnknownCurrencyError
from settlement.domain.money import AmountFormatError, Money

P = TypeVar("P")


class RulebookError(ValueError):
    """A rules file that cannot be used; the message names the section and the key."""


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def _money(value: object, currency: str = "EUR") -> Money:
    if not isinstance(value, str):
        raise ValueError(f'expected a decimal string such as "2500.00", got {value!r}')
    try:
        return Money.parse(value, currency)
    except (AmountFormatError, UnknownCurrencyError) as error:
        raise ValueError(str(error)) from None


def _clock(value: object) -> time:
    if isinstance(value, time):  # TOML local time: 05:00:00
        return value
    try:
        return time.fromisoformat(_str(value))
    except ValueError:
        raise ValueError(f'expected a time such as "05:00", got {value!r}') from None


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(_str(item) for item in value)


def _money_table(value: object) -> dict[str, Money]:
    if not isinstance(value, dict):
        raise ValueError(f'expected a table such as {{ USD = "2700.00" }}, got {value!r}')
    return {str(code): _money(amount, str(code)) for code, amount in value.items()}


_READERS: dict[object, Callable[[object], object]] = {
    int: _int,
    bool: _bool,
    str: _str,
    Decimal: _decimal,
    Money: _money,
    time: _clock,
    tuple[str, ...]: _strings,
    dict[str, Money]: _money_table,
}


def read_params(params_type: type[P], section: str, values: Mapping[str, Any]) -> P:
    """Build `params_type` from a TOML table; unknown, missing and ill-typed keys are errors."""
    hints = typing.get_type_hints(params_type)
    names = [field.name for field in dataclasses.fields(params_type)]  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise RulebookError(f"[{section}]: unknown parameter {unknown[0]!r} (known: {names})")
    missing = [name for name in names if name not in values]
    if missing:
        raise RulebookError(f"[{section}]: missing parameter {missing[0]!r}")
    parsed: dict[str, object] = {}
    for name in names:
        try:
            parsed[name] = _READERS[hints[name]](values[name])
        except ValueError as error:
            raise RulebookError(f"[{section}] {name}: {error}") from None
    try:
        return params_type(**parsed)
    except ValueError as error:
        raise RulebookError(f"[{section}] {error}") from None
