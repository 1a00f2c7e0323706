"""A task's content digest: what the model is asked (instructions), what it starts from (the
repository's files, without .git and node_modules), what it is graded by (test command, test names,
grader and its data, image) and the gold fix. Paths on this machine are not part of it, so the same
task read from another checkout or cache has the same digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from agentbench_ts.tasks.task import Task

SKIPPED_FOLDERS = frozenset({".git", "node_modules"})


def _folder(digest: hashlib._Hash, root: Path | None) -> None:
    if root is None or not root.exists():
        digest.update(b"\0none")
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if SKIPPED_FOLDERS.intersection(rel.parts) or not (path.is_file() or path.is_symlink()):
            continue
        content = f"link:{path.readlink()}".encode() if path.is_symlink() else path.read_bytes()
        digest.update(f"\0{rel.as_posix()}\0".encode())
        digest.update(hashlib.sha256(content).digest())


def task_digest(task: Task) -> str:
    digest = hashlib.sha256(
        task.model_dump_json(
            exclude={"repo_dir", "gold_dir", "toolchain_dir", "split", "tags", "warm_tsc"}
        ).encode()
    )
    _folder(digest, task.repo_dir)
    digest.update(b"\0gold")
    _folder(digest, task.gold_dir)
    return digest.hexdigest()
