"""Sandbox backends by name: one factory per kind, each building a sandbox for a task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.tasks.task import Task
from agentbench_ts.tools.workspace import ToolLimits

SandboxFactory = Callable[[Task], Sandbox]


@dataclass(frozen=True)
class SandboxConfig:
    kind: str = "local"
    path_env: str = "/usr/local/bin:/usr/bin:/bin"
    tool_limits: ToolLimits = field(default_factory=ToolLimits)


def _local(config: SandboxConfig) -> SandboxFactory:
    def build(task: Task) -> Sandbox:
        return LocalSandbox(
            task.repo_dir, task.toolchain_dir, path_env=config.path_env, tool_limits=config.tool_limits
        )

    return build


SANDBOX_KINDS: dict[str, Callable[[SandboxConfig], SandboxFactory]] = {"local": _local}


def sandbox_factory(config: SandboxConfig) -> SandboxFactory:
    try:
        return SANDBOX_KINDS[config.kind](config)
    except KeyError:
        known = ", ".join(SANDBOX_KINDS)
        raise ValueError(f"unknown sandbox kind {config.kind!r}; known: {known}") from None
