"""Proving a task: its tests fail at the base state and pass with the gold fix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.tasks.grading import TestReport, run_tests
from agentbench_ts.tasks.tap import TestStatus
from agentbench_ts.tasks.task import Task


@dataclass(frozen=True)
class TaskValidation:
    task_id: str
    problems: list[str] = field(default_factory=list)
    before: TestReport | None = None
    after: TestReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def apply_gold(task: Task, sandbox: Sandbox) -> None:
    for rel_path, content in task.gold_files().items():
        sandbox.workspace.write_file(rel_path, content)


def _check_before(task: Task, report: TestReport) -> list[str]:
    problems = []
    if report.resolved:
        problems.append("the base state already passes: nothing to fix")
    for name in task.fail_to_pass:
        if report.tests.get(name) is not TestStatus.FAIL:
            problems.append(f"fail_to_pass test {name!r} does not fail before the fix")
    for name in task.pass_to_pass:
        if report.tests.get(name) is not TestStatus.PASS:
            problems.append(f"pass_to_pass test {name!r} does not pass before the fix")
    return problems


def validate_task(task: Task, make_sandbox: Callable[[Task], Sandbox]) -> TaskValidation:
    if not task.gold_files():
        return TaskValidation(task.task_id, ["the task has no gold fix"])
    sandbox = make_sandbox(task)
    try:
        before = run_tests(task, sandbox)
        apply_gold(task, sandbox)
        after = run_tests(task, sandbox)
    finally:
        sandbox.close()
    problems = _check_before(task, before)
    if not after.resolved:
        problems.append(f"the gold fix does not resolve it: {after.summary}")
    return TaskValidation(task.task_id, problems, before, after)


def validate_tasks(
    tasks: list[Task], make_sandbox: Callable[[Task], Sandbox], workers: int = 2
) -> Iterator[TaskValidation]:
    """Validations in task order, `workers` tasks at a time."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(lambda task: validate_task(task, make_sandbox), tasks)
