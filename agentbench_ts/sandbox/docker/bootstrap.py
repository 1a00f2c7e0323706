"""The offline base image: debootstrap a Debian minbase with Node and git, then docker import it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from docker import DockerClient
from pydantic import BaseModel, ConfigDict

from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.docker.images import IMAGE_LABEL, image_exists

BASE_REPOSITORY = "agentbench/base"
_IMAGE_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["bash"]',
    f'LABEL {IMAGE_LABEL}="{BASE_REPOSITORY}"',
]


class BootstrapRecipe(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = 1
    suite: str
    variant: str = "minbase"
    include: list[str]
    mirror: str

    @classmethod
    def load(cls, path: Path) -> BootstrapRecipe:
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SandboxError(f"cannot read the base image recipe {path}: {exc}") from exc

    def tag(self) -> str:
        canonical = self.model_dump_json(exclude={"schema_version"}) + "\n".join(_IMAGE_CHANGES)
        return f"{BASE_REPOSITORY}:{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SandboxError(
            f"{what} failed ({' '.join(argv[:3])} ...):\n{(done.stdout + done.stderr)[-3000:]}"
        )


def build_base(
    client: DockerClient,
    recipe: BootstrapRecipe,
    *,
    rebuild: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> str:
    """Create the base image from the recipe unless it exists; return its tag."""
    ref = recipe.tag()
    if not rebuild and image_exists(client, ref):
        log(f"{ref} exists")
        return ref
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed: apt-get install -y debootstrap")
    with tempfile.TemporaryDirectory(prefix="agentbench-rootfs-") as tmp:
        rootfs, tarball = Path(tmp) / "rootfs", Path(tmp) / "rootfs.tar"
        log(f"debootstrap {recipe.variant} {recipe.suite} with {', '.join(recipe.include)}")
        _run(
            [
                "debootstrap",
                f"--variant={recipe.variant}",
                f"--include={','.join(recipe.include)}",
                recipe.suite,
                str(rootfs),
                recipe.mirror,
            ],
            "debootstrap",
        )
        shutil.rmtree(rootfs / "var" / "cache" / "apt" / "archives", ignore_errors=True)
        _run(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."],
            "packing the root filesystem",
        )
        repository, tag = ref.split(":")
        log(f"importing {ref}")
        client.api.import_image_from_file(
            str(tarball), repository=repository, tag=tag, changes=_IMAGE_CHANGES
        )
    if not image_exists(client, ref):
        raise SandboxError(f"docker import did not create {ref}")
    return ref
