"""Proving a task: its tests fail at the base state and pass with the gold fix."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.graders import GraderOptions, graders_for
from agentbench_ts.tasks.grading import Grader
from agentbench_ts.tasks.sources import SourceContext, TaskSourceSpec, load_sources
from agentbench_ts.tasks.task import Task
from agentbench_ts.verdicts import TestReport, TestStatus


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


def validate_task(task: Task, make_sandbox: Callable[[SandboxSpec], Sandbox], grader: Grader) -> TaskValidation:
    if not task.gold_files():
        return TaskValidation(task.task_id, ["the task has no gold fix"])
    sandbox = make_sandbox(task.sandbox_spec())
    try:
        before = grader(task, sandbox)
        apply_gold(task, sandbox)
        after = grader(task, sandbox)
    finally:
        sandbox.close()
    problems = _check_before(task, before)
    if not after.resolved:
        problems.append(f"the gold fix does not resolve it: {after.summary}")
    return TaskValidation(task.task_id, problems, before, after)


def validate_tasks(
    tasks: list[Task],
    make_sandbox: Callable[[SandboxSpec], Sandbox],
    graders: Mapping[str, Grader],
    concurrency: int = 2,
) -> Iterator[TaskValidation]:
    """Validations in task order, `concurrency` tasks at a time, each graded by its own grader."""
    with ThreadPoolExecutor(max_workers=max(concurrency, 1)) as pool:
        yield from pool.map(lambda task: validate_task(task, make_sandbox, graders[task.grader]), tasks)


def validate_sources(
    specs: Sequence[TaskSourceSpec],
    context: SourceContext,
    *,
    only: Sequence[str] = (),
    grader_options: Mapping[str, GraderOptions] | None = None,
    concurrency: int = 2,
) -> tuple[list[Task], Iterator[TaskValidation]]:
    """The tasks of `specs` and their validations (lazily, in task order), in the context's sandbox."""
    tasks = load_sources(specs, context, only).tasks
    graders = graders_for(tasks, grader_options or {})
    return tasks, validate_tasks(tasks, sandbox_factory(context.sandbox), graders, concurrency)


def gold_resolves(task: Task, make_sandbox: Callable[[SandboxSpec], Sandbox], grader: Grader) -> bool:
    """Whether the gold fix, applied in a fresh sandbox, resolves the task this time."""
    sandbox = make_sandbox(task.sandbox_spec())
    try:
        apply_gold(task, sandbox)
        return grader(task, sandbox).resolved
    finally:
        sandbox.close()
