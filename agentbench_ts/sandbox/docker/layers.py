"""The image chain of a sandbox spec: base (offline or from a registry) -> group environment -> repository."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docker import DockerClient

from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.base import SandboxSpec
from agentbench_ts.sandbox.config import ImageConfig
from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe
from agentbench_ts.sandbox.docker.images import ImageRecipe, docker_name, ensure_image, image_exists
from agentbench_ts.sandbox.warm_tsc import SERVER, SHIM


def _dockerfile(config: ImageConfig, layer: str) -> str:
    return (config.recipes / layer / "Dockerfile").read_text(encoding="utf-8")


@dataclass
class TaskImages:
    """Builds (once per process) and returns the image of each spec."""

    client: DockerClient
    config: ImageConfig = field(default_factory=ImageConfig)
    _built: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def base(self) -> str:
        if key := self._built.get("base"):
            return key
        if self.config.node_image is not None:
            recipe = ImageRecipe(
                "agentbench/base-registry",
                _dockerfile(self.config, "base"),
                build_args={"NODE_IMAGE": self.config.node_image},
                network="auto",
            )
            ref = ensure_image(self.client, recipe, rebuild=self.config.rebuild)
        else:
            ref = BootstrapRecipe.load(self.config.recipes / "base" / "bootstrap.json").tag()
            if not image_exists(self.client, ref):
                raise SandboxError(
                    f"the offline base image {ref} is missing: run `agentbench sandbox build-base`"
                )
        self._built["base"] = ref
        return ref

    def environment(self, spec: SandboxSpec) -> str:
        key = f"env:{spec.group}:{spec.toolchain_dir}"
        if ref := self._built.get(key):
            return ref
        toolchain = spec.toolchain_dir
        if toolchain is not None and not (toolchain / "node_modules").is_dir():
            raise SandboxError(f"toolchain {toolchain} is not installed; run: npm ci --prefix {toolchain}")
        lock_files: dict[str, Path | str | None] = (
            {f"toolchain/{n}": toolchain / n for n in ("package.json", "package-lock.json")}
            if toolchain
            else {}
        )
        warm: dict[str, Path | str | None] = {"warm-tsc/tsc.js": SHIM, "warm-tsc/server.js": SERVER}
        recipe = ImageRecipe(
            f"agentbench/suite-{docker_name(spec.group or 'default')}",
            _dockerfile(self.config, "suite-env"),
            context={"toolchain": toolchain, **warm},
            build_args={"BASE_IMAGE": self.base()},
            identity={k: v for k, v in {**lock_files, **warm}.items() if isinstance(v, Path) and v.exists()},
        )
        self._built[key] = ensure_image(self.client, recipe, rebuild=self.config.rebuild)
        return self._built[key]

    def image(self, spec: SandboxSpec) -> str:
        """The spec's own image, or the one it names."""
        if spec.image is not None:
            return spec.image
        with self._lock:
            if ref := self._built.get(spec.name):
                return ref
            group, name = docker_name(spec.group or "default"), docker_name(spec.name.split("/")[-1])
            recipe = ImageRecipe(
                f"agentbench/task-{group}-{name}",
                _dockerfile(self.config, "task"),
                context={"repo": spec.repo_dir},
                build_args={"SUITE_IMAGE": self.environment(spec)},
            )
            self._built[spec.name] = ensure_image(self.client, recipe, rebuild=self.config.rebuild)
            return self._built[spec.name]


def build_images(
    client: DockerClient, specs: Iterable[SandboxSpec], config: ImageConfig
) -> Iterator[tuple[str, str]]:
    """(spec name, image) for each spec, building what is missing."""
    images = TaskImages(client, config)
    for spec in specs:
        yield spec.name, images.image(spec)
