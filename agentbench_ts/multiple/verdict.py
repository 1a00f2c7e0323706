"""MultiPL-E's verdict for one TypeScript program, decided exactly as its eval_ts.py does."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from agentbench_ts.plumbing.process import CommandResult

Status = Literal["OK", "SyntaxError", "AssertionError", "ReferenceError", "Exception", "Timeout"]
STATUSES: tuple[Status, ...] = (
    "OK",
    "SyntaxError",
    "AssertionError",
    "ReferenceError",
    "Exception",
    "Timeout",
)


@dataclass(frozen=True)
class Verdict:
    status: Status
    exit_code: int
    stdout: str
    stderr: str

    def to_result(self, program: str, timestamp: int | None = None) -> dict[str, object]:
        """One entry of a MultiPL-E `.results.json` file, with its fields in its order (its
        evaluator drops "!!int" from stdout, and stamps each entry with the time it was judged)."""
        return {
            "program": program,
            "stdout": self.stdout.replace("!!int", ""),
            "stderr": self.stderr,
            "exit_code": self.exit_code,
            "status": self.status,
            "timestamp": int(time.time()) if timestamp is None else timestamp,
        }


def _exit_code(result: CommandResult) -> int:
    return -1 if result.exit_code is None else result.exit_code  # MultiPL-E's code for a timeout


def compile_failure(compiled: CommandResult) -> Verdict:
    """`tsc` exited non-zero (any diagnostic, or its own timeout): MultiPL-E calls that SyntaxError."""
    return Verdict("SyntaxError", _exit_code(compiled), compiled.output, compiled.stderr)


def run_verdict(ran: CommandResult) -> Verdict:
    """The verdict of `node program.js` (run with stderr kept apart), from its exit code and stderr."""
    status: Status
    if ran.timed_out:
        status = "Timeout"
    elif ran.exit_code == 0:
        status = "OK"
    elif "ERR_ASSERTION" in ran.stderr:
        status = "AssertionError"
    elif "SyntaxError" in ran.stderr:
        status = "SyntaxError"
    elif "ReferenceError" in ran.stderr:
        status = "ReferenceError"
    else:
        status = "Exception"
    return Verdict(status, _exit_code(ran), ran.output, ran.stderr)
