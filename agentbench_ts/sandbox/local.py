"""LocalSandbox: a private temporary copy of the task repository and plain subprocesses.

It keeps episodes apart and bounds time and output, but it is not a security boundary:
commands run as the current user. Use DockerSandbox for untrusted model output at scale.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from agentbench_ts.errors import SandboxError
from agentbench_ts.plumbing.git import GIT_IDENTITY, git
from agentbench_ts.plumbing.process import CommandResult, run_shell
from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.warm_tsc import STATE_VARIABLE, shared_state, take_lease, write_launcher
from agentbench_ts.tools.host import HostWorkspace
from agentbench_ts.tools.workspace import ToolLimits

BASE_COMMIT_MESSAGE = "agentbench base"


def init_base_commit(repo: Path) -> None:
    """Make `repo` a git repository whose HEAD is its current content."""
    what = "recording the start state"
    git(repo, "init", "-q", error=SandboxError, what=what)
    git(repo, "add", "-A", error=SandboxError, what=what)
    commit = ["commit", "-q", "--no-verify", "--allow-empty", "-m", BASE_COMMIT_MESSAGE]
    git(repo, *GIT_IDENTITY, *commit, error=SandboxError, what=what)


class LocalSandbox:
    """Implements `Sandbox` with a temporary directory: <tmp>/repo, plus <tmp>/node_modules (and with
    warm_tsc, <tmp>/warm-bin/tsc and a lease on the toolchain's shared warm compiler until close)."""

    def __init__(
        self,
        source_repo: Path,
        toolchain_dir: Path | None = None,
        *,
        path_env: str,
        tool_limits: ToolLimits | None = None,
        max_output_bytes: int = 1_000_000,
        warm_tsc: bool = False,
    ) -> None:
        if not source_repo.is_dir():
            raise SandboxError(f"task repository {source_repo} does not exist")
        self._source = source_repo
        self._root = Path(tempfile.mkdtemp(prefix="agentbench-"))
        self._repo = self._root / "repo"
        self._max_output_bytes = max_output_bytes
        self._env = {"PATH": path_env, "HOME": str(self._root / "home"), "LANG": "C.UTF-8", "CI": "1"}
        self._env["NO_COLOR"] = "1"
        self._lease: Path | None = None
        try:
            if toolchain_dir is not None:
                self._link_toolchain(toolchain_dir)
            if warm_tsc and toolchain_dir is not None:
                write_launcher(self._root / "warm-bin")
                state = shared_state(toolchain_dir)
                self._lease = take_lease(state)
                self._env["PATH"] = f"{self._root / 'warm-bin'}:{self._env['PATH']}"
                self._env[STATE_VARIABLE] = str(state)
            self._populate()
        except BaseException:
            self.close()
            raise
        self._workspace = HostWorkspace(self._repo, tool_limits)

    def _link_toolchain(self, toolchain_dir: Path) -> None:
        modules = toolchain_dir.resolve() / "node_modules"
        if not modules.is_dir():
            raise SandboxError(
                f"toolchain {toolchain_dir} is not installed; run: npm ci --prefix {toolchain_dir}"
            )
        # Node and tsc look for packages and @types in every parent directory of the repo.
        (self._root / "node_modules").symlink_to(modules, target_is_directory=True)
        self._env["PATH"] = f"{modules / '.bin'}:{self._env['PATH']}"

    def _populate(self) -> None:
        (self._root / "home").mkdir(exist_ok=True)
        shutil.copytree(self._source, self._repo, symlinks=True)
        init_base_commit(self._repo)

    @property
    def workspace(self) -> HostWorkspace:
        return self._workspace

    @property
    def repo_path(self) -> Path:
        return self._repo

    def exec(self, command: str, timeout_s: float, *, separate_stderr: bool = False) -> CommandResult:
        if not self._repo.is_dir():
            raise SandboxError("sandbox is closed")
        return run_shell(
            command,
            self._repo,
            self._env,
            timeout_s,
            max_output_bytes=self._max_output_bytes,
            separate_stderr=separate_stderr,
        )

    def reset(self) -> None:
        shutil.rmtree(self._repo, ignore_errors=True)
        self._populate()

    def close(self) -> None:
        if self._lease is not None:
            self._lease.unlink(missing_ok=True)
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LocalSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_sandboxes(config: LocalSandboxConfig) -> Callable[[SandboxSpec], Sandbox]:
    """The `local` backend: a LocalSandbox per episode."""

    def build(spec: SandboxSpec) -> Sandbox:
        if spec.image is not None:
            raise SandboxError(f"{spec.name} lives in the image {spec.image}: use the docker sandbox")
        return LocalSandbox(
            spec.repo_dir,
            spec.toolchain_dir,
            path_env=config.path_env,
            tool_limits=config.tool_limits,
            warm_tsc=spec.warm_tsc and config.warm_tsc,
        )

    return build
