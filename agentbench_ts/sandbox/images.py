"""Content-addressed Docker image layers: base -> suite environment -> task.

A layer's tag is a hash of its Dockerfile, build args and inputs, so an image is rebuilt only
when something it is made from changes. Builds run with network_mode="none".
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docker import DockerClient
from docker.errors import APIError, BuildError, ImageNotFound

from agentbench_ts.errors import SandboxError

IMAGE_LABEL = "agentbench.image"


@dataclass(frozen=True)
class ImageLayer:
    repository: str
    dockerfile: Path
    context: dict[str, Path | None] = field(default_factory=dict)
    """Name in the build context -> host file or folder (None: an empty folder)."""
    build_args: dict[str, str] = field(default_factory=dict)
    hashed: dict[str, Path] | None = None
    """What identifies the inputs, when cheaper than hashing the whole context."""


def docker_name(text: str) -> str:
    """A valid repository-name component for any suite or task name."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "x"


def _files(path: Path) -> Iterator[Path]:
    if path.is_file() or path.is_symlink():
        yield path
        return
    yield from sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink())


def layer_tag(layer: ImageLayer) -> str:
    digest = hashlib.sha256(layer.dockerfile.read_bytes())
    for key, value in sorted(layer.build_args.items()):
        digest.update(f"\0arg {key}={value}".encode())
    inputs = layer.hashed if layer.hashed is not None else layer.context
    for name, root in sorted(inputs.items()):
        digest.update(f"\0input {name}".encode())
        if root is None:
            continue
        for path in _files(root):
            rel = path.relative_to(root).as_posix() if path != root else "."
            content = f"link:{path.readlink()}".encode() if path.is_symlink() else path.read_bytes()
            digest.update(f"\0{rel}\0{path.lstat().st_mode & 0o777}\0".encode())
            digest.update(hashlib.sha256(content).digest())
    return f"{layer.repository}:{digest.hexdigest()[:16]}"


def image_exists(client: DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    return True


def _stage_context(layer: ImageLayer, directory: Path) -> None:
    shutil.copyfile(layer.dockerfile, directory / "Dockerfile")
    for name, source in layer.context.items():
        target = directory / name
        if source is None:
            target.mkdir(parents=True)
        elif source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target)


def ensure_image(client: DockerClient, layer: ImageLayer, *, rebuild: bool = False) -> str:
    """The tag of the layer's image, building it first if it is missing (or rebuild=True)."""
    ref = layer_tag(layer)
    if not rebuild and image_exists(client, ref):
        return ref
    with tempfile.TemporaryDirectory(prefix="agentbench-build-") as tmp:
        _stage_context(layer, Path(tmp))
        try:
            client.images.build(
                path=tmp,
                tag=ref,
                buildargs=layer.build_args,
                network_mode="none",
                rm=True,
                forcerm=True,
                labels={IMAGE_LABEL: layer.repository},
            )
        except BuildError as exc:
            log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
            raise SandboxError(f"building {ref} failed: {exc.msg}\n{log[-3000:]}") from exc
        except APIError as exc:
            raise SandboxError(f"building {ref} failed: {exc}") from exc
    return ref
