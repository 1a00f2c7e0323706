"""Host-side copies of a task image's repository, one per episode, for bind mounting.

The repository is exported from the image once (a pristine copy per image id). Each episode
gets a copy-on-write overlay of it (an overlayfs mount: milliseconds whatever the size), or,
where this process may not mount, a `cp -a` copy. For a 5,000-file repository the mount takes
milliseconds and `cp -a` seconds (benchmarks/sandbox_tools.py); Docker's volume copy-up, used before,
took about 12 s.

The pristine copy's start state is recorded as the ref `refs/agentbench/base` (a commit of every file
git tracks or would track), so an episode's patch is its own change even where the image's setup
left the tree dirty (an install that rewrites a lock file): the patch applies where the image's
repository is, as an official harness applies it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import uuid
from pathlib import Path, PurePosixPath

from docker import DockerClient
from docker.errors import APIError

from agentbench_ts.errors import SandboxError
from agentbench_ts.plumbing.git import GIT_IDENTITY, git
from agentbench_ts.sandbox.base import BASE_REF, REPO_DIR


def _export_repo(client: DockerClient, image: str, repo_dir: str, target: Path) -> None:
    container = client.containers.create(image, command=["true"], network_disabled=True)
    try:
        stream, _ = container.get_archive(repo_dir)
        data = io.BytesIO(b"".join(stream))
    except APIError as exc:
        raise SandboxError(f"image {image} has no {repo_dir} to work in: {exc}") from exc
    finally:
        container.remove(force=True)
    with tarfile.open(fileobj=data) as archive:
        # "data": nothing lands outside target, and every file is ours whoever owned it in the image
        archive.extractall(target, filter="data")


def _git(repo: Path, *argv: str, env: dict[str, str] | None = None) -> str:
    return git(repo, *argv, env=env, error=SandboxError, what="recording the start state").strip()


def _mark_base(repo: Path) -> None:
    """Commit the start state as BASE_REF, leaving HEAD, the index and the files as they are."""
    if not (repo / ".git").exists():
        return
    with tempfile.TemporaryDirectory(prefix="agentbench-index-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git(repo, "read-tree", "HEAD", env=env)
        _git(repo, "add", "-A", env=env)
        tree = _git(repo, "write-tree", env=env)
    commit = _git(repo, *GIT_IDENTITY, "commit-tree", tree, "-p", "HEAD", "-m", "agentbench: start state")
    _git(repo, "update-ref", BASE_REF, commit)


class WorkspaceCopies:
    """Pristine repositories under <root>/pristine, episode copies under <root>/episodes."""

    def __init__(self, client: DockerClient, root: Path, *, overlay: bool = True) -> None:
        self._client = client
        self.root = root
        self._overlay = overlay  # True until a mount fails: then plain copies
        (root / "pristine").mkdir(parents=True, exist_ok=True)
        (root / "episodes").mkdir(parents=True, exist_ok=True)

    def pristine(self, image: str, repo_dir: str = REPO_DIR) -> Path:
        """The image's repository at `repo_dir`, exported once per image id, its start state marked."""
        image_id = str(self._client.images.get(image).id).removeprefix("sha256:")[:24]
        key = (
            image_id
            if repo_dir == REPO_DIR
            else f"{image_id}-{hashlib.sha256(repo_dir.encode()).hexdigest()[:8]}"
        )
        final = self.root / "pristine" / key
        name = PurePosixPath(repo_dir).name
        if not final.exists():
            staging = self.root / "pristine" / f".{key}-{uuid.uuid4().hex[:8]}"
            try:
                _export_repo(self._client, image, repo_dir, staging)
                _mark_base(staging / name)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            try:
                staging.rename(final)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)  # another process won the race
        return final / name

    def new_episode(self, image: str, repo_dir: str = REPO_DIR) -> Path:
        """A private copy of the image's repository; its folder name carries this process id."""
        source = self.pristine(image, repo_dir)
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
