"""What the Multi-SWE-bench pipeline runs with: how instance images are built (BuildOptions) and how
an instance's scripts run (HarnessConfig). The ground of the package: every step reads these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agentbench_ts.sandbox.config import DockerLimits
from agentbench_ts.sandbox.docker.images import BuildNetwork
from agentbench_ts.sandbox.docker.trust import BuildTrust

BaseChoice = Literal["auto", "official", "stand-in"]
"""auto (the official base where docker has it or may pull it, else a stand-in), official, stand-in."""


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class BuildOptions:
    network: BuildNetwork = "none"
    mirrors: Mapping[str, Path] = field(default_factory=dict)
    """'org/repo' -> a local mirror (bare or a checkout) that replaces cloning from GitHub."""
    rebuild: bool = False
    pull: bool = False
    """Try the official prebuilt images first (needs network and a registry)."""
    bases: BaseChoice = "auto"
    offline_base: str | None = None
    """Our offline base image, the root of every stand-in."""
    cache_dir: Path = Path("/tmp/agentbench-cache")
    trust: BuildTrust | None = None
    """What networked builds get from the host; None: detected from the host when needed."""
    replay_setup: bool = True
    """Replay the setup a spec records in prepare.sh but does not run (mswe.setup_replay)."""
    setup_timeout_s: int = 3600
    """How long a replayed setup may take in all."""
    log: Callable[[str], None] = field(default=_quiet, compare=False, repr=False)
    """Where notices go (refs of a mirror that could not be fetched, ...)."""

    @property
    def online(self) -> bool:
        return self.network != "none"


@dataclass(frozen=True)
class HarnessConfig:
    build: BuildOptions = field(default_factory=BuildOptions)
    limits: DockerLimits = field(default_factory=DockerLimits)
    timeout_s: float = 1800.0
