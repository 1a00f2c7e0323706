"""The test policy: when the driver runs the task's tests and tells the model."""

from __future__ import annotations

from agentbench_ts.agent.config import TestPolicy
from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.tasks.grading import Grader, run_tests
from agentbench_ts.tasks.task import Task
from agentbench_ts.verdicts import TestReport


class TestDriver:
    """Runs the tests when the policy says so; reuses the last report while nothing was written."""

    __test__ = False  # not a pytest class

    def __init__(self, task: Task, sandbox: Sandbox, policy: TestPolicy, grader: Grader = run_tests) -> None:
        self._task, self._sandbox, self._policy, self._grader = task, sandbox, policy, grader
        self._latest: TestReport | None = None
        self.runs = 0

    def _run(self) -> TestReport:
        if self._latest is None:
            self._latest = self._grader(self._task, self._sandbox)
            self.runs += 1
        return self._latest

    def after_write(self) -> TestReport | None:
        self._latest = None
        return self._run() if self._policy == "on_write" else None

    def on_done(self) -> TestReport | None:
        return self._run() if self._policy == "end" else None

    def final(self) -> TestReport:
        return self._run()
