"""Running a task's tests in a sandbox and deciding whether the task is resolved; grading a
recorded patch again in a fresh sandbox."""

from __future__ import annotations

from collections.abc import Callable

from agentbench_ts.sandbox.base import Sandbox, SandboxSpec, apply_patch
from agentbench_ts.tasks.tap import parse_tap
from agentbench_ts.tasks.task import Task
from agentbench_ts.verdicts import TestReport, TestStatus

_SHOWN_FAILURES = 5
_SHOWN_OUTPUT_LINES = 8
OUTPUT_TAIL_CHARS = 4000

Grader = Callable[[Task, Sandbox], TestReport]
"""Runs a task's tests on the sandbox as the episode left it and judges them."""


def summarize_tests(tests: dict[str, TestStatus], missing: list[str], output: str, timed_out: bool) -> str:
    if timed_out:
        return "the tests timed out"
    failed = [name for name, status in tests.items() if status is TestStatus.FAIL]
    passed = sum(status is TestStatus.PASS for status in tests.values())
    if not tests:
        head = "\n".join(line for line in output.splitlines() if line.strip())
        head = "\n".join(head.splitlines()[:_SHOWN_OUTPUT_LINES])
        return f"no test ran (build or load failure):\n{head}"
    text = f"{passed} passed, {len(failed)} failed"
    if failed:
        text += "; failing: " + "; ".join(failed[:_SHOWN_FAILURES])
    if missing:
        text += "; not run: " + "; ".join(missing[:_SHOWN_FAILURES])
    return text


def judge(task: Task, tests: dict[str, TestStatus]) -> tuple[bool, list[str]]:
    """Resolved iff every fail_to_pass and pass_to_pass test ran and passed."""
    required = [*task.fail_to_pass, *task.pass_to_pass]
    missing = [name for name in required if name not in tests]
    resolved = not missing and all(tests[name] is TestStatus.PASS for name in required)
    return resolved, missing


def run_tests(task: Task, sandbox: Sandbox) -> TestReport:
    """The 'tap' grader: the task's test_command, its TAP report (stdout: what a test writes to stderr
    cannot pass for a test line), every required test passing."""
    result = sandbox.exec(task.test_command, task.test_timeout_s, separate_stderr=True)
    tests = parse_tap(result.output)
    resolved, missing = judge(task, tests)
    return TestReport(
        resolved=resolved and not result.timed_out,
        exit_code=result.exit_code,
        timed_out=result.timed_out,
        tests=tests,
        missing=missing,
        summary=summarize_tests(tests, missing, result.log, result.timed_out),
        elapsed_s=result.elapsed_s,
        output_tail=result.log[-OUTPUT_TAIL_CHARS:],
    )


def grade_patch(
    task: Task, patch: str, make_sandbox: Callable[[SandboxSpec], Sandbox], grader: Grader
) -> TestReport:
    """A recorded patch, applied to the task's start state in a fresh sandbox, graded."""
    sandbox = make_sandbox(task.sandbox_spec())
    try:
        apply_patch(sandbox, patch)
        return grader(task, sandbox)
    finally:
        sandbox.close()
