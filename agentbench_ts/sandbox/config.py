"""Sandbox configuration: one pydantic model per backend, told apart by `type`. Importable without
the docker SDK; recorded whole in run.json."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Discriminator, Field, JsonValue, Tag

from agentbench_ts.tools.workspace import ToolLimits

RECIPES = Path(__file__).resolve().parent / "docker" / "recipes"
"""The image recipes shipped as package data."""


class ContainerResources(TypedDict):
    nano_cpus: int
    mem_limit: int
    memswap_limit: int
    pids_limit: int


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DockerLimits(_Config):
    cpus: float = Field(default=2.0, gt=0)
    memory_bytes: int = Field(default=2 << 30, gt=0)
    pids: int = Field(default=512, gt=0)
    tmpfs_bytes: int = Field(default=256 << 20, gt=0)
    max_output_bytes: int = Field(default=1_000_000, gt=0)
    max_file_bytes: int = Field(default=1 << 30, gt=0)

    def resources(self) -> ContainerResources:
        """The docker SDK arguments that cap a container's cpu, memory (no swap) and processes.
        The daemon refuses a cpu cap above the machine's count, so the cap is at most that."""
        return ContainerResources(
            nano_cpus=int(min(self.cpus, os.cpu_count() or 1) * 1e9),
            mem_limit=self.memory_bytes,
            memswap_limit=self.memory_bytes,
            pids_limit=self.pids,
        )


def _default_workspaces() -> Path:
    return Path(tempfile.gettempdir()) / "agentbench-docker"


class ImageConfig(_Config):
    recipes: Path = RECIPES
    node_image: str | None = None
    """A registry image (e.g. node:20-bookworm-slim) to build the base from; None: the offline base."""
    rebuild: bool = False
    workspaces: Path = Field(default_factory=_default_workspaces)
    """Where pristine repositories and per-episode copies live (must be visible to the daemon)."""


class LocalSandboxConfig(_Config):
    type: Literal["local"] = "local"
    path_env: str = "/usr/local/bin:/usr/bin:/bin"
    """PATH for the sandbox's commands (the toolchain's bin is put in front)."""
    tool_limits: ToolLimits = ToolLimits()
    warm_tsc: bool = True
    """Tasks that declare warm `tsc` builds get them (the same verdicts); false: `tsc` always cold."""


class DockerSandboxConfig(_Config):
    type: Literal["docker"] = "docker"
    limits: DockerLimits = DockerLimits()
    images: ImageConfig = ImageConfig()
    tool_limits: ToolLimits = ToolLimits()
    warm_tsc: bool = True
    """Tasks that declare warm `tsc` builds get them (the same verdicts); false: `tsc` always cold."""


class PluginSandboxConfig(_Config):
    """A sandbox backend from outside this package: a registry name or dotted path, and its options."""

    type: str
    options: dict[str, JsonValue] = {}


def _backend(value: Any) -> str:
    kind = value.get("type", "local") if isinstance(value, dict) else getattr(value, "type", "local")
    return kind if kind in ("local", "docker") else "plugin"


SandboxConfig = Annotated[
    Annotated[LocalSandboxConfig, Tag("local")]
    | Annotated[DockerSandboxConfig, Tag("docker")]
    | Annotated[PluginSandboxConfig, Tag("plugin")],
    Discriminator(_backend),
]
