"""The image chain of a task: base (offline or from a registry) -> suite environment -> task."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from docker import DockerClient

from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.bootstrap import BootstrapRecipe
from agentbench_ts.sandbox.config import ImageConfig
from agentbench_ts.sandbox.images import ImageLayer, docker_name, ensure_image, image_exists
from agentbench_ts.tasks.task import Task


@dataclass
class TaskImages:
    """Builds (once per process) and returns the image of each task."""

    client: DockerClient
    config: ImageConfig = field(default_factory=ImageConfig)
    _built: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def base(self) -> str:
        if key := self._built.get("base"):
            return key
        if self.config.node_image is not None:
            layer = ImageLayer(
                "agentbench/base-registry",
                self.config.recipes / "base" / "Dockerfile",
                build_args={"NODE_IMAGE": self.config.node_image},
            )
            ref = ensure_image(self.client, layer, rebuild=self.config.rebuild)
        else:
            ref = BootstrapRecipe.load(self.config.recipes / "base" / "bootstrap.json").tag()
            if not image_exists(self.client, ref):
                raise SandboxError(
                    f"the offline base image {ref} is missing: run `agentbench sandbox build-base`"
                )
        self._built["base"] = ref
        return ref

    def suite(self, task: Task) -> str:
        key = f"suite:{task.suite}:{task.toolchain_dir}"
        if ref := self._built.get(key):
            return ref
        toolchain = task.toolchain_dir
        if toolchain is not None and not (toolchain / "node_modules").is_dir():
            raise SandboxError(f"toolchain {toolchain} is not installed; run: npm ci --prefix {toolchain}")
        lock_files = (
            {f"toolchain/{n}": toolchain / n for n in ("package.json", "package-lock.json")}
            if toolchain
            else {}
        )
        layer = ImageLayer(
            f"agentbench/suite-{docker_name(task.suite)}",
            self.config.recipes / "suite-env" / "Dockerfile",
            context={"toolchain": toolchain},
            build_args={"BASE_IMAGE": self.base()},
            hashed={k: v for k, v in lock_files.items() if v.exists()},
        )
        self._built[key] = ensure_image(self.client, layer, rebuild=self.config.rebuild)
        return self._built[key]

    def task(self, task: Task) -> str:
        with self._lock:
            if ref := self._built.get(task.task_id):
                return ref
            layer = ImageLayer(
                f"agentbench/task-{docker_name(task.suite)}-{docker_name(task.task_id.split('/')[-1])}",
                self.config.recipes / "task" / "Dockerfile",
                context={"repo": task.repo_dir},
                build_args={"SUITE_IMAGE": self.suite(task)},
            )
            self._built[task.task_id] = ensure_image(self.client, layer, rebuild=self.config.rebuild)
            return self._built[task.task_id]
