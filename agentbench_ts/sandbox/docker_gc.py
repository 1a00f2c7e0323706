"""Removing sandbox containers and volumes left behind by crashed or killed runs."""

from __future__ import annotations

import contextlib
import os
import socket

from docker import DockerClient
from docker.errors import NotFound

from agentbench_ts.sandbox.docker_sandbox import OWNER_LABEL, SANDBOX_LABEL


def _owner_is_gone(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # made elsewhere: cannot tell, leave it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def collect_garbage(client: DockerClient, *, everything: bool = False) -> tuple[int, int]:
    """Remove labelled containers and volumes whose process is gone (or all, with everything=True)."""
    containers = volumes = 0
    for container in client.containers.list(all=True, filters={"label": SANDBOX_LABEL}):
        if everything or _owner_is_gone(container.labels.get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound):
                container.remove(force=True)
                containers += 1
    for volume in client.volumes.list(filters={"label": SANDBOX_LABEL}):
        labels = volume.attrs.get("Labels") or {}
        if everything or _owner_is_gone(labels.get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound):
                volume.remove(force=True)
                volumes += 1
    return containers, volumes
