"""The `docker` backend: a DockerSandbox per episode, images built on first use."""

from __future__ import annotations

from collections.abc import Callable

from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.config import DockerSandboxConfig
from agentbench_ts.sandbox.docker.client import docker_client
from agentbench_ts.sandbox.docker.layers import TaskImages
from agentbench_ts.sandbox.docker.sandbox import DockerSandbox
from agentbench_ts.sandbox.docker.workspace import WorkspaceCopies


def docker_sandboxes(config: DockerSandboxConfig) -> Callable[[SandboxSpec], Sandbox]:
    client = docker_client()
    images = TaskImages(client, config.images)
    workspaces = WorkspaceCopies(client, config.images.workspaces)

    def build(spec: SandboxSpec) -> Sandbox:
        return DockerSandbox(
            client,
            images.image(spec),
            workspaces=workspaces,
            name=spec.name,
            repo_dir=spec.image_repo_dir,
            limits=config.limits,
            tool_limits=config.tool_limits,
            warm_tsc=spec.warm_tsc and config.warm_tsc,
        )

    return build
