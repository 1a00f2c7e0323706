"""MultiPL-E's verdict for one TypeScript program, decided exactly as its eval_ts.py does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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

    def to_result(self, program: str) -> dict[str, object]:
        """One entry of a MultiPL-E `.results.json` file."""
        return {
            "program": program,
            "status": self.status,
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


def compile_failure(exit_code: int, stdout: str, stderr: str) -> Verdict:
    """`tsc` exited non-zero (any diagnostic, or its own timeout): MultiPL-E calls that SyntaxError."""
    return Verdict("SyntaxError", exit_code, stdout, stderr)


def run_verdict(exit_code: int, stdout: str, stderr: str, timed_out: bool) -> Verdict:
    """The verdict of `node program.js`, from its exit code and stderr."""
    status: Status
    if timed_out:
        status = "Timeout"
    elif exit_code == 0:
        status = "OK"
    elif "ERR_ASSERTION" in stderr:
        status = "AssertionError"
    elif "SyntaxError" in stderr:
        status = "SyntaxError"
    elif "ReferenceError" in stderr:
        status = "ReferenceError"
    else:
        status = "Exception"
    return Verdict(status, exit_code, stdout, stderr)
