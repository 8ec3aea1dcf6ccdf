"""A merchant's IBAN drawn by schwifty, faster: the same draws from the same RNG.

schwifty's `IBAN.random` makes a BBAN's random part with rstr's `Xeger`, which parses the
country's regex again for every draw and sends every character through a dispatch table;
a Polish IBAN, drawn again until no card-number-length run of it passes Luhn, takes
thousands of draws, and the 300 drawn accounts of a 50,000-merchant pool cost ~4.5 s of
CPU, most of it there. `PlannedXeger` parses each regex once into a plan and runs it with
the same calls on the same RNG (`randint` once a repeat, `choice` once a character, from
the same candidates in the same order), so every IBAN, and the RNG after it, is the same;
a regex with anything else in it (none of schwifty's BBAN formats has) is left to rstr.
`planned_xeger` puts it in schwifty's place while a pool draws its accounts, and takes it
out again.
"""

from __future__ import annotations

import random
import re._parser as sre_parse  # type: ignore[import-not-found]  # what rstr parses with
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from re import Pattern
from typing import Any

from rstr.xeger import STAR_PLUS_LIMIT, Xeger
from schwifty import bban as schwifty_bban

# (op, argument): a character from candidates, a literal, or a repeat of a sub-plan.
Plan = list[tuple[str, Any]]
_ALPHABETS = {"CATEGORY_DIGIT": "0123456789"}  # rstr's `digits` alphabet
_PLANS: dict[str, Plan | None] = {}


class PlannedXeger:
    """`rstr.Rstr(random)` for `.xeger(regex)`, with each regex's plan made once."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def xeger(self, regex: str | Pattern[str]) -> str:
        pattern = regex if isinstance(regex, str) else regex.pattern
        if pattern not in _PLANS:
            _PLANS[pattern] = plan_of(sre_parse.parse(pattern))
        plan = _PLANS[pattern]
        if plan is None:
            return str(Xeger(self._rng).xeger(regex))
        out: list[str] = []
        _run(plan, self._rng, out)
        return "".join(out)


def plan_of(parsed: Any) -> Plan | None:
    """The plan of a parsed regex; None if it holds anything but `^`/`$`, literals, classes
    of ranges, literals and \\d, and repeats of those."""
    plan: Plan = []
    for opcode, value in parsed:
        name = str(opcode)
        if name == "AT":
            continue
        if name == "LITERAL":
            plan.append(("literal", chr(value)))
        elif name == "IN":
            candidates = _candidates(value)
            if candidates is None:
                return None
            plan.append(("in", candidates))
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, sub = value
            inner = plan_of(sub)
            if inner is None:
                return None
            plan.append(("repeat", (low, min(high, STAR_PLUS_LIMIT), inner)))
        else:
            return None
    return plan


def _candidates(items: Any) -> list[str] | None:
    """rstr's candidate list for a class: each item's characters, in order."""
    parts: list[str] = []
    for opcode, value in items:
        name = str(opcode)
        if name == "LITERAL":
            parts.append(chr(value))
        elif name == "RANGE":
            parts.append("".join(chr(code) for code in range(value[0], value[1] + 1)))
        elif name == "CATEGORY" and str(value) in _ALPHABETS:
            parts.append(_ALPHABETS[str(value)])
        else:
            return None  # a negated class, \w, \s...: rstr's own way
    return list(chain(*parts))


def _run(plan: Plan, rng: random.Random, out: list[str]) -> None:
    for op, argument in plan:
        if op == "in":
            out.append(rng.choice(argument))
        elif op == "literal":
            out.append(argument)
        else:
            low, high, inner = argument
            for _ in range(rng.randint(low, high)):
                _run(inner, rng, out)


@contextmanager
def planned_xeger() -> Iterator[None]:
    """schwifty's BBAN maker with `PlannedXeger` for rstr's `Rstr`, inside the block."""
    saved = vars(schwifty_bban)["Rstr"]
    setattr(schwifty_bban, "Rstr", PlannedXeger)  # noqa: B010 - a module global, by name
    try:
        yield
    finally:
        setattr(schwifty_bban, "Rstr", saved)  # noqa: B010
