"""Sandbox backends by name: the `type` of a sandbox config names the factory that builds sandboxes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agentbench_ts.registry import Registry
from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.config import DockerSandboxConfig, SandboxConfig

SandboxFactory = Callable[[SandboxSpec], Sandbox]
SANDBOXES: Registry[Callable[[Any], SandboxFactory]] = Registry(
    "sandbox",
    {
        "local": "agentbench_ts.sandbox.local:local_sandboxes",
        "docker": "agentbench_ts.sandbox.docker.factory:docker_sandboxes",
    },
)
"""Backend name -> (its config -> a factory of sandboxes). Outside backends take a PluginSandboxConfig."""


def sandbox_factory(config: SandboxConfig) -> SandboxFactory:
    return SANDBOXES.get(config.type)(config)


def prepare_sandboxes(
    config: SandboxConfig, specs: Sequence[SandboxSpec], log: Callable[[str], None] = lambda _: None
) -> None:
    """Build ahead of time what sandboxes of `specs` will need (docker: their images), so processes
    that share a run (pytest-xdist workers) find it built instead of racing to build it."""
    if isinstance(config, DockerSandboxConfig):
        from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415 (the docker extra)
        from agentbench_ts.sandbox.docker.layers import build_images  # noqa: PLC0415

        log(f"building the images of {len(specs)} sandbox(es) (once, before the episodes) ...")
        for _ in build_images(docker_client(), specs, config.images):
            pass
