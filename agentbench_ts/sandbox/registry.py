"""Sandbox backends by name: one factory per kind, each building a sandbox for a task."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.sandbox.config import SandboxConfig
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.tasks.task import Task

if TYPE_CHECKING:
    from docker import DockerClient

SandboxFactory = Callable[[Task], Sandbox]


def _local(config: SandboxConfig) -> SandboxFactory:
    def build(task: Task) -> Sandbox:
        if task.image is not None:
            raise SandboxError(f"task {task.task_id} lives in the image {task.image}: use the docker sandbox")
        return LocalSandbox(
            task.repo_dir,
            task.toolchain_dir,
            path_env=config.path_env,
            tool_limits=config.tool_limits,
        )

    return build


def docker_client() -> DockerClient:
    """A client for the local daemon, or a SandboxError that says what is missing."""
    try:
        import docker  # noqa: PLC0415 (the docker SDK is an optional extra)
        from docker.errors import DockerException  # noqa: PLC0415
    except ImportError as exc:
        raise SandboxError("the docker SDK is missing: pip install 'agentbench-ts[docker]'") from exc
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        raise SandboxError(
            f"no Docker daemon is reachable ({exc}); start dockerd or set DOCKER_HOST"
        ) from exc
    return client


def _docker(config: SandboxConfig) -> SandboxFactory:
    from agentbench_ts.sandbox.docker_images import TaskImages  # noqa: PLC0415
    from agentbench_ts.sandbox.docker_sandbox import DockerSandbox  # noqa: PLC0415
    from agentbench_ts.sandbox.docker_workspace import WorkspaceCopies  # noqa: PLC0415

    client = docker_client()
    images = TaskImages(client, config.images)
    workspaces = WorkspaceCopies(client, config.images.workspaces)

    def build(task: Task) -> Sandbox:
        return DockerSandbox(
            client,
            task.image or images.task(task),
            workspaces=workspaces,
            task_id=task.task_id,
            repo_dir=task.image_repo_dir,
            limits=config.docker_limits,
            tool_limits=config.tool_limits,
        )

    return build


SANDBOX_KINDS: dict[str, Callable[[SandboxConfig], SandboxFactory]] = {"local": _local, "docker": _docker}


def sandbox_factory(config: SandboxConfig) -> SandboxFactory:
    if config.kind not in SANDBOX_KINDS:
        raise ValueError(f"unknown sandbox kind {config.kind!r}; known: {', '.join(SANDBOX_KINDS)}")
    return SANDBOX_KINDS[config.kind](config)
