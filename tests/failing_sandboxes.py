"""A sandbox factory that fails for one task a given number of times (a daemon going away), and counts
what it was asked for: the runner's retries and resume read it."""

from __future__ import annotations

from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.registry import SandboxFactory


class FailingSandboxes:
    """A sandbox factory that fails for `task_id` the first `times` times it is asked, and counts."""

    def __init__(self, make_sandbox: SandboxFactory, task_id: str, times: int) -> None:
        self.make_sandbox, self.task_id, self.left, self.asked = make_sandbox, task_id, times, list[str]()

    def __call__(self, spec: SandboxSpec) -> Sandbox:
        self.asked.append(spec.name)
        if spec.name == self.task_id and self.left > 0:
            self.left -= 1
            raise OSError("the daemon went away")
        return self.make_sandbox(spec)
