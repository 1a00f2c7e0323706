"""Sandbox backends by name: the `type` of a sandbox config names the factory that builds sandboxes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentbench_ts.registry import Registry
from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.config import SandboxConfig

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
