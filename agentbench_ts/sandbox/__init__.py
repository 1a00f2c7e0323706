"""Sandboxes: a workspace for the tools plus command execution, one episode at a time."""

from agentbench_ts.sandbox.base import ExecResult, Sandbox, final_patch
from agentbench_ts.sandbox.local import LocalSandbox

__all__ = ["ExecResult", "LocalSandbox", "Sandbox", "final_patch"]
