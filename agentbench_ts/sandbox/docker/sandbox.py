"""DockerSandbox: one container per episode, no network, CPU/memory/pids limits, read-only root.

The repository is a private host-side copy of the image's repository folder (/work/repo for
our task images, e.g. /home/<repo> for Multi-SWE-bench instance images), bind-mounted over it.
The file tools run on this machine against it (same confinement as LocalSandbox, no `docker exec`
per call); commands run in the container as the calling user, so everything
they write can be read and removed here. A command past its deadline takes the container with
it: a fresh one is started on the same copy, so the workspace survives and nothing else does.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import requests
from docker import DockerClient
from docker.errors import APIError, NotFound
from docker.models.containers import Container
from docker.types import Mount

from agentbench_ts.errors import SandboxError
from agentbench_ts.plumbing.process import CommandResult
from agentbench_ts.sandbox.base import REPO_DIR
from agentbench_ts.sandbox.config import DockerLimits
from agentbench_ts.sandbox.docker.exec import exec_in_container
from agentbench_ts.sandbox.docker.workspace import WorkspaceCopies
from agentbench_ts.sandbox.warm_tsc import CONTAINER_STATE, IMAGE_DIR, STATE_VARIABLE
from agentbench_ts.tools.host import HostWorkspace
from agentbench_ts.tools.workspace import ToolLimits

_KILLED = (137, -9)
"""Exit codes of a command killed by SIGKILL (as the shell and as the SDK report them)."""
SANDBOX_LABEL = "agentbench.sandbox"
OWNER_LABEL = "agentbench.owner"
TASK_LABEL = "agentbench.task"


def owner_label() -> str:
    """Who made a container: host and process, so leftovers of dead processes can be found."""
    return f"{socket.gethostname()}:{os.getpid()}"


class DockerSandbox:
    """Implements `Sandbox` with a container from `image`, whose `repo_dir` holds the repository."""

    def __init__(
        self,
        client: DockerClient,
        image: str,
        *,
        workspaces: WorkspaceCopies,
        name: str = "",
        repo_dir: str = REPO_DIR,
        limits: DockerLimits | None = None,
        tool_limits: ToolLimits | None = None,
        warm_tsc: bool = False,
    ) -> None:
        self._client = client
        self._workspaces = workspaces
        self._image = image
        self._repo_dir = repo_dir
        self._limits = limits or DockerLimits()
        self._tool_limits = tool_limits
        self._labels = {SANDBOX_LABEL: "1", OWNER_LABEL: owner_label(), TASK_LABEL: name}
        self._name = f"agentbench-{uuid.uuid4().hex[:12]}"
        self._container: Container | None = None
        self._repo: Path | None = None
        try:
            self._environment = self._environment_of(warm_tsc)
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        self._repo = self._workspaces.new_episode(self._image, self._repo_dir)
        self._workspace = HostWorkspace(self._repo, self._tool_limits)
        self._container = self._run_container()

    def _environment_of(self, warm_tsc: bool) -> dict[str, str]:
        """HOME, and for warm `tsc` builds the launcher first on the image's PATH and the folder of
        the compiler server (in /tmp: it goes with the container)."""
        environment = {"HOME": "/tmp"}
        if warm_tsc:
            try:
                image_env = self._client.images.get(self._image).attrs["Config"].get("Env") or []
            except APIError as exc:
                raise SandboxError(f"cannot read the environment of {self._image}: {exc}") from exc
            path = next((e.split("=", 1)[1] for e in image_env if e.startswith("PATH=")), "/usr/bin:/bin")
            environment |= {"PATH": f"{IMAGE_DIR}/bin:{path}", STATE_VARIABLE: CONTAINER_STATE}
        return environment

    def _run_container(self) -> Container:
        limits = self._limits
        try:
            return self._client.containers.run(
                self._image,
                command=["sleep", "infinity"],
                name=f"{self._name}-{uuid.uuid4().hex[:6]}",
                detach=True,
                init=True,
                network_mode="none",
                **limits.resources(),
                read_only=True,
                tmpfs={"/tmp": f"rw,exec,size={limits.tmpfs_bytes}"},
                mounts=[Mount(self._repo_dir, str(self._repo), type="bind")],
                working_dir=self._repo_dir,
                user=f"{os.getuid()}:{os.getgid()}",
                environment=self._environment,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                labels=self._labels,
            )
        except APIError as exc:
            raise SandboxError(f"cannot start a container from {self._image}: {exc}") from exc

    @property
    def workspace(self) -> HostWorkspace:
        return self._workspace

    @property
    def container_id(self) -> str:
        if self._container is None:
            raise SandboxError("sandbox is closed")
        return str(self._container.id)

    def _replace_container(self) -> None:
        self._remove_container()
        self._container = self._run_container()

    def exec(self, command: str, timeout_s: float, *, separate_stderr: bool = False) -> CommandResult:
        """The command's result; a SandboxError where the container itself died meanwhile (killed from
        outside, the daemon restarted): that is the harness's failure, not the command's."""
        result = exec_in_container(
            self._client,
            self.container_id,
            command,
            timeout_s,
            workdir=self._repo_dir,
            max_output_bytes=self._limits.max_output_bytes,
            max_file_bytes=self._limits.max_file_bytes,
            on_timeout=self._replace_container,
            separate_stderr=separate_stderr,
        )
        if not result.timed_out and not self._container_alive(killed=result.exit_code in _KILLED):
            raise SandboxError(
                f"the sandbox container of {self._labels[TASK_LABEL]} died while running a command"
            )
        return result

    def _container_alive(self, *, killed: bool) -> bool:
        """Whether the container still runs. After a command that was killed, the daemon may not yet
        have marked a container that died with it: look again for a moment."""
        deadline = time.monotonic() + (2.0 if killed else 0.0)
        while True:
            try:
                assert self._container is not None
                self._container.reload()
                if self._container.status != "running":
                    return False
            except NotFound:
                return False
            if time.monotonic() >= deadline:
                return True
            time.sleep(0.1)

    def reset(self) -> None:
        self._teardown()
        self._start()

    def _remove_container(self, patience_s: float = 30.0) -> None:
        """Remove the container; while the daemon does not answer (a restart), keep asking a while."""
        if self._container is None:
            return
        deadline = time.monotonic() + patience_s
        while True:
            try:
                self._container.remove(force=True)
                break
            except NotFound:
                break
            except (APIError, requests.exceptions.ConnectionError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(1.0)
        self._container = None

    def _teardown(self) -> None:
        """Container and workspace go, the workspace even where the container could not be removed."""
        try:
            self._remove_container()
        finally:
            if self._repo is not None:
                self._workspaces.remove(self._repo)
                self._repo = None

    def close(self) -> None:
        self._teardown()

    def __enter__(self) -> DockerSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
