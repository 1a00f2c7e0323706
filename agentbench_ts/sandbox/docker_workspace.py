"""Host-side copies of a task image's repository, one per episode, for bind mounting.

The repository is exported from the image once (a pristine copy per image id). Each episode
gets a copy-on-write overlay of it (an overlayfs mount: milliseconds whatever the size), or,
where this process may not mount, a `cp -a` copy. For a 5,000-file repository the mount takes
milliseconds and `cp -a` seconds (benchmarks/sandbox_tools.py); Docker's volume copy-up, used before,
took about 12 s.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

from docker import DockerClient
from docker.errors import APIError

from agentbench_ts.errors import SandboxError

REPO_DIR = "/work/repo"


def _export_repo(client: DockerClient, image: str, target: Path) -> None:
    container = client.containers.create(image, command=["true"], network_disabled=True)
    try:
        stream, _ = container.get_archive(REPO_DIR)
        data = io.BytesIO(b"".join(stream))
    except APIError as exc:
        raise SandboxError(f"image {image} has no {REPO_DIR} to work in: {exc}") from exc
    finally:
        container.remove(force=True)
    with tarfile.open(fileobj=data) as archive:
        archive.extractall(target, filter="data")


class WorkspaceCopies:
    """Pristine repositories under <root>/pristine, episode copies under <root>/episodes."""

    def __init__(self, client: DockerClient, root: Path, *, overlay: bool = True) -> None:
        self._client = client
        self.root = root
        self._overlay = overlay  # True until a mount fails: then plain copies
        (root / "pristine").mkdir(parents=True, exist_ok=True)
        (root / "episodes").mkdir(parents=True, exist_ok=True)

    def pristine(self, image: str) -> Path:
        image_id = str(self._client.images.get(image).id).removeprefix("sha256:")[:24]
        final = self.root / "pristine" / image_id
        if not final.exists():
            staging = self.root / "pristine" / f".{image_id}-{uuid.uuid4().hex[:8]}"
            _export_repo(self._client, image, staging)
            try:
                staging.rename(final)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)  # another process won the race
        return final / "repo"

    def new_episode(self, image: str) -> Path:
        """A private copy of the image's repository; its folder name carries this process id."""
        source = self.pristine(image)
        episode = self.root / "episodes" / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        episode.mkdir()
        if self._overlay and _mount_overlay(source, episode):
            return episode / "repo"
        self._overlay = False
        done = subprocess.run(
            ["cp", "-a", "--reflink=auto", f"{source}/.", str(episode / "repo")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            remove_episode(episode)
            raise SandboxError(f"copying the workspace failed: {done.stderr.strip()}")
        return episode / "repo"

    @staticmethod
    def remove(repo: Path) -> None:
        remove_episode(repo.parent)


def _mount_overlay(lower: Path, episode: Path) -> bool:
    for name in ("upper", "work", "repo"):
        (episode / name).mkdir()
    options = f"lowerdir={lower},upperdir={episode / 'upper'},workdir={episode / 'work'}"
    argv = ["mount", "-t", "overlay", "overlay", "-o", options, str(episode / "repo")]
    try:
        done = subprocess.run(argv, capture_output=True, check=False)
    except OSError:
        return False
    if done.returncode == 0:
        return True
    for name in ("upper", "work", "repo"):
        (episode / name).rmdir()
    return False


def remove_episode(episode: Path) -> None:
    """Unmount (if it is an overlay) and delete one episode's folder."""
    repo = episode / "repo"
    if os.path.ismount(repo):
        subprocess.run(["umount", "--lazy", str(repo)], capture_output=True, check=False)
    shutil.rmtree(episode, ignore_errors=True)
