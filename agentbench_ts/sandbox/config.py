"""Sandbox configuration: which backend, with which limits. Importable without the docker SDK."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from agentbench_ts.tools.workspace import ToolLimits

DEFAULT_RECIPES = Path(__file__).resolve().parents[2] / "sandboxes"


class ContainerResources(TypedDict):
    nano_cpus: int
    mem_limit: int
    memswap_limit: int
    pids_limit: int


@dataclass(frozen=True)
class DockerLimits:
    cpus: float = 2.0
    memory_bytes: int = 2 << 30
    pids: int = 512
    tmpfs_bytes: int = 256 << 20
    max_output_bytes: int = 1_000_000
    max_file_bytes: int = 1 << 30

    def resources(self) -> ContainerResources:
        """The docker SDK arguments that cap a container's cpu, memory (no swap) and processes.
        The daemon refuses a cpu cap above the machine's count, so the cap is at most that."""
        return ContainerResources(
            nano_cpus=int(min(self.cpus, os.cpu_count() or 1) * 1e9),
            mem_limit=self.memory_bytes,
            memswap_limit=self.memory_bytes,
            pids_limit=self.pids,
        )


@dataclass(frozen=True)
class ImageConfig:
    recipes: Path = DEFAULT_RECIPES
    node_image: str | None = None
    """A registry image (e.g. node:20-bookworm-slim) to build the base from; None: the offline base."""
    rebuild: bool = False
    workspaces: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "agentbench-docker")
    """Where pristine repositories and per-episode copies live (must be visible to the daemon)."""


@dataclass(frozen=True)
class SandboxConfig:
    kind: str = "local"
    path_env: str = "/usr/local/bin:/usr/bin:/bin"
    """PATH for commands of LocalSandbox (the toolchain's bin is put in front)."""
    tool_limits: ToolLimits = field(default_factory=ToolLimits)
    docker_limits: DockerLimits = field(default_factory=DockerLimits)
    images: ImageConfig = field(default_factory=ImageConfig)
