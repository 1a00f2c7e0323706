"""The Sandbox protocol: a workspace for the tools plus command execution with limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agentbench_ts.errors import SandboxError
from agentbench_ts.tools.workspace import Workspace


@dataclass(frozen=True)
class ExecResult:
    exit_code: int | None
    output: str
    timed_out: bool = False
    truncated: bool = False
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Sandbox(Protocol):
    """One task repository, isolated for one episode at a time."""

    @property
    def workspace(self) -> Workspace: ...

    def exec(self, command: str, timeout_s: float) -> ExecResult:
        """Run a shell command in the repository root; kill its process tree at the timeout."""
        ...

    def reset(self) -> None:
        """Bring the repository back to the task's base state."""
        ...

    def close(self) -> None:
        """Release everything; safe to call twice."""
        ...


REPO_DIR = "/work/repo"
"""Where our task images keep the repository (instance images of other harnesses differ)."""
GIT_IDENTITY = ("-c", "user.name=agentbench", "-c", "user.email=agentbench@localhost")
"""Who the harness's own commits are by (no global git config is assumed)."""
BASE_REF = "refs/agentbench/base"
"""The episode's start state, where it differs from HEAD (recorded by the docker workspace copies)."""


def workspace_diff(sandbox: Sandbox, timeout_s: float = 60.0) -> str:
    """The diff of the workspace against its start state (BASE_REF, else HEAD), new files included;
    a SandboxError where git cannot say (a grader must not take that for an empty patch)."""
    base = f"$(git rev-parse -q --verify {BASE_REF} || echo HEAD)"
    result = sandbox.exec(f"git add -A && git diff --cached --binary {base}", timeout_s)
    if not result.ok:
        raise SandboxError(f"cannot take the workspace's diff: {result.output[-500:].strip()}")
    return result.output


def final_patch(sandbox: Sandbox, timeout_s: float = 60.0) -> str:
    """The episode's patch for its trace record: `workspace_diff`, or "" where git cannot say."""
    try:
        return workspace_diff(sandbox, timeout_s)
    except SandboxError:
        return ""
