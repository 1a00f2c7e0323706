"""A client for the local Docker daemon."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentbench_ts.errors import SandboxError

if TYPE_CHECKING:
    from docker import DockerClient


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
