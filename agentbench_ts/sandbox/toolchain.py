"""npm toolchains (TypeScript, type definitions, test runners) pinned by a package-lock.json and
installed with `npm ci` on first use, so a fresh checkout needs no separate install step."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from agentbench_ts.errors import SandboxError
from agentbench_ts.plumbing.locks import exclusive_lock

INSTALLED_MARK = Path("node_modules") / ".package-lock.json"
"""npm writes this last; a folder without it has no complete install."""
LOCK_FILES = ("package.json", "package-lock.json")


def is_installed(toolchain: Path) -> bool:
    return (toolchain / INSTALLED_MARK).is_file()


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def _cached_copy(toolchain: Path, cache_dir: Path) -> Path:
    """A copy of the toolchain's lock files under the cache, named by their content."""
    digest = hashlib.sha256()
    for name in LOCK_FILES:
        digest.update((toolchain / name).read_bytes())
    target = cache_dir / "toolchains" / digest.hexdigest()[:16]
    target.mkdir(parents=True, exist_ok=True)
    for name in LOCK_FILES:
        shutil.copyfile(toolchain / name, target / name)
    return target


def ensure_toolchain(
    toolchain: Path,
    cache_dir: Path,
    *,
    log: Callable[[str], None] = lambda _: None,
    in_place: bool | None = None,
) -> Path:
    """The folder whose node_modules holds the toolchain: `toolchain` itself once installed (npm ci
    there on first use), or a copy under `cache_dir` where `toolchain` is read-only (an installed
    package; `in_place` decides instead when given). Concurrent callers wait for one install."""
    if is_installed(toolchain):
        return toolchain
    if not all((toolchain / name).is_file() for name in LOCK_FILES):
        raise SandboxError(f"toolchain {toolchain} has no package.json and package-lock.json")
    if in_place is None:
        in_place = _writable(toolchain)
    folder = toolchain if in_place else _cached_copy(toolchain, cache_dir)
    with exclusive_lock(folder / ".agentbench-install.lock"):
        if is_installed(folder):
            return folder
        if shutil.which("npm") is None:
            raise SandboxError(f"npm is not installed; it is needed to install the toolchain {toolchain}")
        log(f"installing the toolchain {toolchain} (npm ci, first use only) ...")
        done = subprocess.run(
            ["npm", "ci", "--prefix", str(folder), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not is_installed(folder):
            raise SandboxError(
                f"npm ci --prefix {folder} failed:\n{(done.stdout + done.stderr)[-2000:].strip()}"
            )
        log(f"installed the toolchain in {folder / 'node_modules'}")
    return folder
