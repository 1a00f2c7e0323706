"""Removing sandbox containers and workspace copies left behind by crashed or killed runs."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

from docker import DockerClient
from docker.errors import NotFound

from agentbench_ts.sandbox.docker.sandbox import OWNER_LABEL, SANDBOX_LABEL
from agentbench_ts.sandbox.docker.workspace import remove_episode


def _pid_is_gone(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _owner_is_gone(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and _pid_is_gone(pid)  # made elsewhere: cannot tell, keep it


def collect_garbage(client: DockerClient, workspaces: Path, *, everything: bool = False) -> tuple[int, int]:
    """Remove labelled containers and episode copies whose process is gone (or all of them)."""
    containers = copies = 0
    for container in client.containers.list(all=True, filters={"label": SANDBOX_LABEL}):
        if everything or _owner_is_gone(container.labels.get(OWNER_LABEL, "")):
            with contextlib.suppress(NotFound):
                container.remove(force=True)
                containers += 1
    episodes = workspaces / "episodes"
    for episode in sorted(episodes.iterdir()) if episodes.is_dir() else []:
        if everything or _pid_is_gone(episode.name.split("-", 1)[0]):
            remove_episode(episode)
            copies += 1
    return containers, copies
