"""The one content-addressed image build, for our task images and for benchmark instance images.

An image is made from a recipe: a Dockerfile, a build context and build args. The recipe's digest
is kept as a label; an image whose label matches is reused, any change to what it is made from
rebuilds it. Our layers are tagged with the digest itself; images whose names are fixed elsewhere
(official benchmark tags name only the pull request) keep their name and rely on the label.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from docker import DockerClient
from docker.errors import APIError, BuildError, ImageNotFound

from agentbench_ts.errors import SandboxError

IMAGE_LABEL = "agentbench.image"
"""The repository an image of ours was built as (for listing and removal)."""
RECIPE_LABEL = "agentbench.recipe"
"""The digest of everything the image was built from."""

ContextEntry = Path | str | bytes | None
"""A host file or folder, a text or bytes written as a file, or None (an empty folder)."""

BuildNetwork = Literal["none", "host", "default", "auto"]
"""What a build's RUN steps reach: nothing, the host's network, the daemon's default bridge, or
`auto`: the bridge where the daemon has one, else the host's network."""


@dataclass(frozen=True)
class ImageRecipe:
    repository: str
    dockerfile: str
    """The Dockerfile's text."""
    context: Mapping[str, ContextEntry] = field(default_factory=dict)
    """Name in the build context -> what is put there."""
    build_args: Mapping[str, str] = field(default_factory=dict)
    transient_args: Mapping[str, str] = field(default_factory=dict)
    """Build args that do not change the result (proxy settings): left out of the digest."""
    identity: Mapping[str, ContextEntry] | None = None
    """What identifies the context, when cheaper to hash than the context itself."""
    ref: str | None = None
    """A fixed image name; None: `repository:<digest>`."""
    network: BuildNetwork = "none"
    dockerfile_name: str = "Dockerfile"
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels (what the image stands for, substitutions made); part of the digest."""


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
    if recipe.network != "none":  # a build that reached the network may differ from one that did not
        digest.update(f"\0network {recipe.network}".encode())
    for key, value in sorted(recipe.labels.items()):
        digest.update(f"\0label {key}={value}".encode())
    inputs = recipe.identity if recipe.identity is not None else recipe.context
    for name, entry in sorted(inputs.items()):
        digest.update(f"\0input {name}".encode())
        if isinstance(entry, str | bytes):
            digest.update(hashlib.sha256(entry.encode() if isinstance(entry, str) else entry).digest())
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


def is_current(client: DockerClient, ref: str, digest: str) -> bool:
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
        elif isinstance(entry, bytes):
            target.write_bytes(entry)
        elif entry.is_dir():
            shutil.copytree(entry, target, symlinks=True)
        else:
            shutil.copy2(entry, target)


def resolve_network(client: DockerClient, network: BuildNetwork) -> str:
    """The daemon's network mode for a build."""
    if network != "auto":
        return network
    names = {str(n.name) for n in client.networks.list()}
    return "default" if "bridge" in names else "host"


def build_log_path(recipe: ImageRecipe, digest: str, log_dir: Path | None) -> Path:
    folder = log_dir or Path(tempfile.gettempdir()) / "agentbench-build-logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{docker_name(recipe.repository)}-{digest[:16]}.log"


def _build(
    client: DockerClient,
    recipe: ImageRecipe,
    context: Path,
    *,
    ref: str,
    digest: str,
    log: Path,
    nocache: bool,
) -> None:
    """Build with the daemon's stream written to `log` as it comes; errors name the log."""
    network = resolve_network(client, recipe.network)
    with log.open("w", encoding="utf-8") as out:
        out.write(f"# {ref} (network {network})\n")
        try:
            for chunk in client.api.build(
                path=str(context),
                dockerfile=recipe.dockerfile_name,
                tag=ref,
                buildargs={**recipe.transient_args, **recipe.build_args},
                network_mode=network,
                rm=True,
                forcerm=True,
                nocache=nocache,
                labels={**recipe.labels, IMAGE_LABEL: recipe.repository, RECIPE_LABEL: digest},
                decode=True,
            ):
                if "error" in chunk:
                    out.write(f"ERROR: {chunk['error']}\n")
                    out.flush()
                    raise BuildError(str(chunk["error"]), iter([]))
                out.write(str(chunk.get("stream") or chunk.get("status") or json.dumps(chunk) + "\n"))
                out.flush()
        except APIError as exc:
            out.write(f"ERROR: {exc}\n")
            raise


def _tail(log: Path, chars: int = 3000) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(encoding="utf-8", errors="replace"))
    return text[-chars:]


def ensure_image(
    client: DockerClient, recipe: ImageRecipe, *, rebuild: bool = False, log_dir: Path | None = None
) -> str:
    """The recipe's image, built first unless an image of this very recipe exists (rebuild=True builds
    it anew, without docker's layer cache).
    The build's output is streamed to a log file under `log_dir`, which errors name."""
    digest = recipe_digest(recipe)
    ref = recipe.ref or f"{recipe.repository}:{digest[:16]}"
    if not rebuild and is_current(client, ref, digest):
        return ref
    log = build_log_path(recipe, digest, log_dir)
    with tempfile.TemporaryDirectory(prefix="agentbench-build-") as tmp:
        _stage_context(recipe, Path(tmp))
        try:
            _build(client, recipe, Path(tmp), ref=ref, digest=digest, log=log, nocache=rebuild)
        except BuildError as exc:
            raise SandboxError(f"building {ref} failed: {exc.msg} (build log: {log})\n{_tail(log)}") from exc
        except APIError as exc:
            raise SandboxError(f"building {ref} failed: {exc} (build log: {log})") from exc
    if not is_current(client, ref, digest):
        raise SandboxError(f"building {ref} ended without the image (build log: {log})\n{_tail(log)}")
    return ref
