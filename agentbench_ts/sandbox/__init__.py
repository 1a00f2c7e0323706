"""Sandboxes: a workspace for the tools plus command execution, one episode at a time."""

from agentbench_ts.plumbing.process import CommandResult
from agentbench_ts.sandbox.base import Sandbox, SandboxSpec, apply_patch, final_patch, workspace_diff
from agentbench_ts.sandbox.local import LocalSandbox

__all__ = [
    "CommandResult",
    "LocalSandbox",
    "Sandbox",
    "SandboxSpec",
    "apply_patch",
    "final_patch",
    "workspace_diff",
]
