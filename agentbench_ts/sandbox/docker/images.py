"""The one content-addressed image build, for our task images and for benchmark instance images.

An image is made from a recipe: a Dockerfile, a build context and build args. The recipe's digest
is kept as a label; an image whose label matches is reused, any change to what it is made from
rebuilds it. Our layers are tagged with the digest itself; images whose names are fixed elsewhere
(official benchmark tags name only the pull request) keep their name and rely on the label.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from docker import DockerClient
from docker.errors import APIError, BuildError, ImageNotFound

from agentbench_ts.errors import SandboxError

IMAGE_LABEL = "agentbench.image"
"""The repository an image of ours was built as (for listing and removal)."""
RECIPE_LABEL = "agentbench.recipe"
"""The digest of everything the image was built from."""

ContextEntry = Path | str | None
"""A host file or folder, a text written as a file, or None (an empty folder)."""


@dataclass(frozen=True)
class ImageRecipe:
    repository: str
    dockerfile: str
    """The Dockerfile's text."""
    context: Mapping[str, ContextEntry] = field(default_factory=dict)
    """Name in the build context -> what is put there."""
    build_args: Mapping[str, str] = field(default_factory=dict)
    identity: Mapping[str, ContextEntry] | None = None
    """What identifies the context, when cheaper to hash than the context itself."""
    ref: str | None = None
    """A fixed image name; None: `repository:<digest>`."""
    network: bool = False
    """Whether the build may use the network (else it runs with none)."""
    dockerfile_name: str = "Dockerfile"


def docker_name(text: str) -> str:
    """A valid repository-name component for any suite or task name."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "x"


def _files(path: Path) -> Iterator[Path]:
    if path.is_file() or path.is_symlink():
        yield path
        return
    yield from sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink())


def recipe_digest(recipe: ImageRecipe) -> str:
    digest = hashlib.sha256(recipe.dockerfile.encode())
    for key, value in sorted(recipe.build_args.items()):
        digest.update(f"\0arg {key}={value}".encode())
    inputs = recipe.identity if recipe.identity is not None else recipe.context
    for name, entry in sorted(inputs.items()):
        digest.update(f"\0input {name}".encode())
        if isinstance(entry, str):
            digest.update(hashlib.sha256(entry.encode()).digest())
        elif entry is not None:
            for path in _files(entry):
                rel = path.relative_to(entry).as_posix() if path != entry else "."
                content = f"link:{path.readlink()}".encode() if path.is_symlink() else path.read_bytes()
                digest.update(f"\0{rel}\0{path.lstat().st_mode & 0o777}\0".encode())
                digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def image_ref(recipe: ImageRecipe) -> str:
    return recipe.ref or f"{recipe.repository}:{recipe_digest(recipe)[:16]}"


def image_exists(client: DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    return True


def _is_current(client: DockerClient, ref: str, digest: str) -> bool:
    try:
        found = client.images.get(ref)
    except ImageNotFound:
        return False
    return bool(found.labels.get(RECIPE_LABEL) == digest)


def _stage_context(recipe: ImageRecipe, directory: Path) -> None:
    (directory / recipe.dockerfile_name).write_text(recipe.dockerfile, encoding="utf-8")
    for name, entry in recipe.context.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry is None:
            target.mkdir(parents=True, exist_ok=True)
        elif isinstance(entry, str):
            target.write_text(entry, encoding="utf-8")
        elif entry.is_dir():
            shutil.copytree(entry, target, symlinks=True)
        else:
            shutil.copy2(entry, target)


def ensure_image(client: DockerClient, recipe: ImageRecipe, *, rebuild: bool = False) -> str:
    """The recipe's image, built first unless an image of this very recipe exists (or rebuild=True)."""
    digest = recipe_digest(recipe)
    ref = recipe.ref or f"{recipe.repository}:{digest[:16]}"
    if not rebuild and _is_current(client, ref, digest):
        return ref
    with tempfile.TemporaryDirectory(prefix="agentbench-build-") as tmp:
        _stage_context(recipe, Path(tmp))
        try:
            client.images.build(
                path=tmp,
                dockerfile=recipe.dockerfile_name,
                tag=ref,
                buildargs=dict(recipe.build_args),
                network_mode="default" if recipe.network else "none",
                rm=True,
                forcerm=True,
                labels={IMAGE_LABEL: recipe.repository, RECIPE_LABEL: digest},
            )
        except BuildError as exc:
            log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
            raise SandboxError(f"building {ref} failed: {exc.msg}\n{log[-3000:]}") from exc
        except APIError as exc:
            raise SandboxError(f"building {ref} failed: {exc}") from exc
    return ref
