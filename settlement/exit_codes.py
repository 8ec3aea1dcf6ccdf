"""The exit codes of every cardsettle command (`settlement` and `pos-sim`), one meaning each.

A script or a scheduler decides what to do next by these alone, so they mean the same in
every command: 0 the command did its job; 1 it failed at it (something was rejected, a
dependency was unreachable, an invariant broke); 2 it was called wrongly (usage, settings,
a missing input file); 3 it refused on purpose and changed nothing (already completed, the
cutoff has not passed, an empty day).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    DONE = 0
    FAILED = 1
    USAGE = 2
    REFUSED = 3
