"""Instance images from the package's Image chain, and its scripts run in containers.

Images are built with the one content-addressed image build (sandbox.docker.images) from each Image's
`dockerfile()` and `files()`, base first. The network is used only while building (and only when
allowed); where a local mirror of the repository is given, `RUN git clone URL DIR` becomes `COPY` of
the mirror, so no GitHub is needed. Scripts (run.sh, test-run.sh, fix-run.sh) run with `--network
none`, our limits, the fix patch mounted read-only where the instance expects it, and a timeout."""

from __future__ import annotations

import contextlib
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench_ts.errors import SandboxError
from agentbench_ts.plumbing.git import head_commit
from agentbench_ts.plumbing.process import CommandResult
from agentbench_ts.sandbox.config import DockerLimits
from agentbench_ts.sandbox.docker.images import ImageRecipe, ensure_image

_CLONE = re.compile(r"^RUN git clone\s+(?:-\S+\s+)*\S+\s+(/\S+)\s*$", re.MULTILINE)
MIRROR_DIR = "agentbench-mirror"
SCRIPT_LABEL = "agentbench.mswe"


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


def image_recipe(image: Any, options: BuildOptions) -> ImageRecipe:
    """One image of the chain as a recipe. Its identity is the Dockerfile, the files and the mirror's
    commit (official tags name only the pull request, so a changed recipe must not reuse an old image)."""
    dockerfile = image.dockerfile()
    mirror = options.mirrors.get(f"{image.pr.org}/{image.pr.repo}")
    context: dict[str, Path | str | None] = {
        f"{item.dir}/{item.name}": item.content for item in image.files()
    }
    identity: dict[str, Path | str | None] = dict(context)
    if mirror is not None:
        dockerfile = _CLONE.sub(lambda m: f"COPY {MIRROR_DIR} {m[1]}", dockerfile)
        context[MIRROR_DIR] = mirror
        identity["mirror"] = head_commit(mirror) or str(mirror)
    repository, _, _ = str(image.image_full_name()).rpartition(":")
    return ImageRecipe(
        repository=repository,
        dockerfile=dockerfile,
        context=context,
        identity=identity,
        ref=str(image.image_full_name()),
        network=options.network,
        dockerfile_name=image.dockerfile_name(),
    )


def ensure_instance_image(client: Any, instance: Any, options: BuildOptions) -> str:
    """The instance image, pulled (when allowed) or built; images whose recipe is unchanged are reused."""
    name = str(instance.name())
    if options.pull and options.network:
        with contextlib.suppress(Exception):  # no registry or no such image: build it instead
            client.images.pull(name)
            return name
    for image in image_chain(instance):
        try:
            ensure_image(client, image_recipe(image, options), rebuild=options.rebuild)
        except SandboxError as exc:
            mirror = options.mirrors.get(f"{image.pr.org}/{image.pr.repo}")
            hint = "" if options.network or mirror else " (offline: give a mirror of the repository)"
            raise SandboxError(f"cannot build {image.image_full_name()}: {exc}{hint}") from exc
    return name


def run_script(
    client: Any,
    image: str,
    command: str,
    *,
    fix_patch: str,
    fix_patch_path: str,
    limits: DockerLimits,
    timeout_s: float,
) -> CommandResult:
    """Run `command` in a fresh container of `image`, offline, with `fix_patch` at `fix_patch_path`."""
    import requests  # noqa: PLC0415 (comes with docker)

    started = time.monotonic()
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
            labels={SCRIPT_LABEL: "1"},
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
    truncated = len(log) > limits.max_output_bytes
    if truncated:
        log = log[: limits.max_output_bytes // 2] + "\n[truncated]\n" + log[-limits.max_output_bytes // 2 :]
    return CommandResult(exit_code, log, "", timed_out, truncated, time.monotonic() - started)
