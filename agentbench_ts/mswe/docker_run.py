"""Instance images from the package's Image chain, and its scripts run in containers.

Images are built with the docker SDK from each Image's `dockerfile()` and `files()`, base first.
The network is used only while building (and only when allowed); where a local mirror of the
repository is given, `RUN git clone URL DIR` becomes `COPY` of the mirror, so no GitHub is needed.
Scripts (run.sh, test-run.sh, fix-run.sh) run with `--network none`, our limits, the fix patch
mounted read-only where the instance expects it, and a timeout."""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.config import DockerLimits

_CLONE = re.compile(r"^RUN git clone\s+(?:-\S+\s+)*\S+\s+(/\S+)\s*$", re.MULTILINE)
MIRROR_DIR = "agentbench-mirror"
LABEL = "agentbench.mswe"
RECIPE_LABEL = "agentbench.mswe.recipe"


@dataclass(frozen=True)
class BuildOptions:
    network: bool = False
    mirrors: Mapping[str, Path] = field(default_factory=dict)
    """'org/repo' -> a local checkout that replaces `git clone` of that repository."""
    rebuild: bool = False
    pull: bool = False
    """Try the official prebuilt image first (needs network and a registry)."""


def image_chain(instance: Any) -> list[Any]:
    """The instance's images, base first (the last one is the instance image)."""
    from multi_swe_bench.harness.image import Image  # noqa: PLC0415 (an optional extra)

    chain = []
    image = instance.dependency()
    while isinstance(image, Image):
        chain.append(image)
        image = image.dependency()
    return chain[::-1]


def _recipe(image: Any, options: BuildOptions) -> str:
    """What an image is built from: its Dockerfile, its files and the mirror's commit, hashed.
    Official tags name only the pull request, so a changed recipe must not reuse an old image."""
    digest = hashlib.sha256(image.dockerfile().encode())
    for item in image.files():
        digest.update(f"\0{item.dir}/{item.name}\0{item.content}".encode())
    mirror = options.mirrors.get(f"{image.pr.org}/{image.pr.repo}")
    if mirror is not None:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=mirror, capture_output=True, text=True, check=False
        )
        digest.update(f"\0mirror\0{head.stdout.strip()}".encode())
    return digest.hexdigest()[:16]


def _current(client: Any, image: Any, options: BuildOptions) -> bool:
    from docker.errors import ImageNotFound  # noqa: PLC0415

    try:
        found = client.images.get(image.image_full_name())
    except ImageNotFound:
        return False
    return bool(found.labels.get(RECIPE_LABEL) == _recipe(image, options))


def _build_one(client: Any, image: Any, options: BuildOptions) -> None:
    with tempfile.TemporaryDirectory(prefix="mswe-build-") as tmp:
        context = Path(tmp)
        for item in image.files():
            target = context / item.dir / item.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.content, encoding="utf-8")
        dockerfile = image.dockerfile()
        mirror = options.mirrors.get(f"{image.pr.org}/{image.pr.repo}")
        if mirror is not None:
            shutil.copytree(mirror, context / MIRROR_DIR, symlinks=True)
            dockerfile = _CLONE.sub(lambda m: f"COPY {MIRROR_DIR} {m[1]}", dockerfile)
        (context / image.dockerfile_name()).write_text(dockerfile, encoding="utf-8")
        try:
            client.images.build(
                path=str(context),
                dockerfile=image.dockerfile_name(),
                tag=image.image_full_name(),
                network_mode="default" if options.network else "none",
                rm=True,
                forcerm=True,
                labels={LABEL: "1", RECIPE_LABEL: _recipe(image, options)},
            )
        except Exception as exc:  # BuildError, APIError
            hint = "" if options.network or mirror else " (offline: give a mirror of the repository)"
            raise SandboxError(f"cannot build {image.image_full_name()}: {exc}{hint}") from exc


def ensure_instance_image(client: Any, instance: Any, options: BuildOptions) -> str:
    """The instance image, pulled (when allowed) or built; images whose recipe is unchanged are reused."""
    name = str(instance.name())
    if options.pull and options.network:
        with contextlib.suppress(Exception):  # no registry or no such image: build it instead
            client.images.pull(name)
            return name
    for image in image_chain(instance):
        if options.rebuild or not _current(client, image, options):
            _build_one(client, image, options)
    return name


@dataclass(frozen=True)
class ScriptRun:
    log: str
    exit_code: int | None
    timed_out: bool


def run_script(
    client: Any,
    image: str,
    command: str,
    *,
    fix_patch: str,
    fix_patch_path: str,
    limits: DockerLimits,
    timeout_s: float,
) -> ScriptRun:
    """Run `command` in a fresh container of `image`, offline, with `fix_patch` at `fix_patch_path`."""
    import requests  # noqa: PLC0415 (comes with docker)

    with tempfile.TemporaryDirectory(prefix="mswe-run-") as tmp:
        patch = Path(tmp) / "fix.patch"
        patch.write_text(fix_patch, encoding="utf-8")
        container = client.containers.run(
            image,
            ["bash", "-c", command],
            detach=True,
            network_mode="none",
            **limits.resources(),
            volumes={str(patch): {"bind": fix_patch_path, "mode": "ro"}},
            security_opt=["no-new-privileges"],
            labels={LABEL: "1"},
        )
        try:
            try:
                exit_code: int | None = container.wait(timeout=timeout_s)["StatusCode"]
                timed_out = False
            except requests.exceptions.ConnectionError:
                container.kill()
                exit_code, timed_out = None, True
            raw = container.logs(stdout=True, stderr=True)
        finally:
            container.remove(force=True)
    log = raw.decode("utf-8", errors="replace")
    if len(log) > limits.max_output_bytes:
        log = log[: limits.max_output_bytes // 2] + "\n[truncated]\n" + log[-limits.max_output_bytes // 2 :]
    return ScriptRun(log, exit_code, timed_out)
