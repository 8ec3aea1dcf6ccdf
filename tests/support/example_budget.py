"""How many examples a property test tries: its full count in `make test`, a tenth in the
edit loop's `make unit`.

`make unit` must finish in seconds; `make test` is the contract and runs every property test
at the count its author chose. A Hypothesis profile carries the difference: `unit`
(`pytest --hypothesis-profile=unit`, as `make unit` runs it) gives a tenth of Hypothesis's
default 100 examples to a test that names no count, and a test that names its own count
writes `max_examples=examples(3000)`, which scales the same way. Under the default profile
(and Hypothesis's `ci` one) `examples(n) == n`: no count is lowered in `make test`.
"""

from __future__ import annotations

from hypothesis import settings

UNIT_SHARE = 10
_FULL = settings.get_profile("default").max_examples

settings.register_profile("unit", max_examples=_FULL // UNIT_SHARE)


def examples(thorough: int) -> int:
    """`thorough` under the full profiles, its share under `unit` (never fewer than one)."""
    return max(1, thorough * settings.default.max_examples // _FULL)
