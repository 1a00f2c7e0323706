"""The Sandbox protocol, the neutral spec a sandbox is made from, and the episode's patch."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agentbench_ts.errors import SandboxError
from agentbench_ts.plumbing.process import CommandResult
from agentbench_ts.tools.workspace import Workspace

REPO_DIR = "/work/repo"
"""Where our task images keep the repository (instance images of other harnesses differ)."""
BASE_REF = "refs/agentbench/base"
"""The episode's start state, where it differs from HEAD (recorded by the docker workspace copies)."""


@dataclass(frozen=True)
class SandboxSpec:
    """What a sandbox is made from. Sandboxes know nothing of tasks: a task gives this."""

    name: str
    """Labels containers and names images ('suite/task')."""
    repo_dir: Path
    """The repository at its start state, on this machine."""
    toolchain_dir: Path | None = None
    """An npm project whose node_modules the repository's commands use."""
    group: str = ""
    """Specs of one group with one toolchain share an image layer (the suite)."""
    image: str | None = None
    """A built image whose image_repo_dir already holds the repository (docker only)."""
    image_repo_dir: str = REPO_DIR
    warm_tsc: bool = False
    """`tsc` goes through a compiler kept warm in the sandbox (same compiler, same verdicts)."""


class Sandbox(Protocol):
    """One repository, isolated for one episode at a time."""

    @property
    def workspace(self) -> Workspace: ...

    def exec(self, command: str, timeout_s: float, *, separate_stderr: bool = False) -> CommandResult:
        """Run a shell command in the repository root; kill its process tree at the timeout.
        With separate_stderr, `output` is stdout alone and `stderr` holds the rest: what a command
        writes as data (a diff, a listing, JSON) is read from stdout, never mixed with warnings."""
        ...

    def reset(self) -> None:
        """Bring the repository back to its start state."""
        ...

    def close(self) -> None:
        """Release everything; safe to call twice."""
        ...


def workspace_diff(sandbox: Sandbox, timeout_s: float = 60.0) -> str:
    """The diff of the workspace against its start state (BASE_REF, else HEAD), new files included;
    a SandboxError where git cannot say (a grader must not take that for an empty patch)."""
    base = f"$(git rev-parse -q --verify {BASE_REF} || echo HEAD)"
    command = f"git add -A && git diff --cached --binary {base}"
    result = sandbox.exec(command, timeout_s, separate_stderr=True)
    if not result.ok:
        raise SandboxError(f"cannot take the workspace's diff: {result.log[-500:].strip()}")
    return result.output


def final_patch(sandbox: Sandbox, timeout_s: float = 60.0) -> str:
    """The episode's patch for its trace record: `workspace_diff`, or "" where git cannot say."""
    try:
        return workspace_diff(sandbox, timeout_s)
    except SandboxError:
        return ""


_PATCH_CHUNK = 60_000
"""Base64 characters per command (one shell argument may hold 128 KiB)."""
_PATCH_FILE = '"$HOME/.agentbench-patch.b64"'


def apply_patch(sandbox: Sandbox, patch: str, timeout_s: float = 60.0) -> None:
    """Apply a recorded patch (a `git diff --binary`) to the workspace through the sandbox's own
    commands, so it works wherever the sandbox runs; a SandboxError says why it does not apply."""
    if not patch.strip():
        return
    encoded = base64.b64encode(patch.encode("utf-8", errors="surrogateescape")).decode()
    chunks = [encoded[i : i + _PATCH_CHUNK] for i in range(0, len(encoded), _PATCH_CHUNK)]
    steps = [f"rm -f {_PATCH_FILE}", *(f"printf %s '{chunk}' >> {_PATCH_FILE}" for chunk in chunks)]
    apply = "git apply --binary --whitespace=nowarn -"
    steps.append(f"base64 -d {_PATCH_FILE} | {apply}; code=$?; rm -f {_PATCH_FILE}; exit $code")
    for step in steps:
        result = sandbox.exec(step, timeout_s, separate_stderr=True)
        if not result.ok:
            raise SandboxError(f"the patch does not apply: {result.log[-1000:].strip()}")
