"""The longest literal every match of a regular expression must contain, if there is one.

Used to let a fast file searcher preselect files; the final matching stays with the Python regex.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

# The stdlib's own regex parser, so the analysis follows Python's regex semantics exactly.
sre_parse: Any = importlib.import_module("re._parser")
_MIN_LITERAL = 3


@dataclass(frozen=True)
class RequiredLiteral:
    text: str
    ignore_case: bool


def _required_runs(items: Any) -> list[str]:
    """Runs of literal characters that lie on every path through `items` (a parsed sequence)."""
    runs: list[str] = []
    current: list[str] = []
    for op, arg in items:
        if op is sre_parse.LITERAL:
            current.append(chr(arg))
            continue
        runs.append("".join(current))
        current = []
        if op is sre_parse.SUBPATTERN and arg[1] == 0 and arg[2] == 0:
            runs += _required_runs(arg[3])  # a plain group: its contents are required too
    runs.append("".join(current))
    return runs


def required_literal(pattern: str) -> RequiredLiteral | None:
    """None when the pattern has no usable literal (or uses syntax beyond the stdlib's)."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    best = max(_required_runs(parsed), key=len)
    if len(best) < _MIN_LITERAL or "\n" in best or (ignore_case and not best.isascii()):
        return None
    return RequiredLiteral(best, ignore_case)
