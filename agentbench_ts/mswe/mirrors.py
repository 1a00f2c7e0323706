"""Local mirrors of repositories: a working clone for an image's build context, and the repository
tarballs a lockfile names, made from the mirror and verified against the lock's integrity.

A mirror may be bare or a checkout. A checkout is used as it is, untracked files included (an
air-gapped user may have put node_modules there). A bare mirror is cloned: the clone holds every ref
of the mirror (pull-request bases need not be on a branch) and names GitHub as its origin, as the
official harness's clone does. Clones are cached by the mirror's refs, so a mirror that gains
commits gets a new clone."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from agentbench_ts.errors import AgentbenchError, SandboxError
from agentbench_ts.plumbing.git import git

_GITHUB_TARBALL = re.compile(
    r"^https://(?:github\.com/(?P<org>[^/]+)/(?P<repo>[^/]+)/(?:tarball|archive)/(?:refs/tags/)?"
    r"(?P<ref>[^/]+?)(?:\.tar\.gz)?|codeload\.github\.com/(?P<corg>[^/]+)/(?P<crepo>[^/]+)/"
    r"(?:legacy\.)?tar\.gz/(?:refs/tags/)?(?P<cref>[^/]+))$"
)
LOCKFILES = ("npm-shrinkwrap.json", "package-lock.json")


def mirror_state(mirror: Path) -> str:
    """A digest of every ref of the mirror (what a clone of it holds)."""
    refs = git(mirror, "show-ref", "--head", error=SandboxError, what=f"reading the mirror {mirror}")
    return hashlib.sha256(refs.encode()).hexdigest()[:16]


def working_clone(mirror: Path, org: str, repo: str, cache_dir: Path) -> Path:
    """`mirror` itself where it is a checkout; else a checkout of it with all its refs, origin set to
    GitHub, made once per mirror state."""
    if not mirror.exists():
        raise SandboxError(f"the mirror {mirror} of {org}/{repo} does not exist")
    if (mirror / ".git").exists():
        return mirror
    target = cache_dir / "mirrors" / f"{org}__{repo}-{mirror_state(mirror)}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    what = f"cloning the mirror {mirror}"
    try:
        git(
            target.parent,
            "clone",
            "--quiet",
            str(mirror.resolve()),
            staging.name,
            error=SandboxError,
            what=what,
        )
        git(staging, "fetch", "--quiet", "origin", "+refs/*:refs/mirror/*", error=SandboxError, what=what)
        git(
            staging, "remote", "set-url", "origin", f"https://github.com/{org}/{repo}.git", error=SandboxError
        )
        try:
            staging.rename(target)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


@dataclass(frozen=True)
class LockedTarball:
    name: str
    """The lock's package path (node_modules/...)."""
    org: str
    repo: str
    ref: str
    integrity: str


def locked_repository_tarballs(lock_text: str) -> list[LockedTarball]:
    """Packages of an npm lockfile resolved to a GitHub repository tarball."""
    try:
        packages = json.loads(lock_text).get("packages", {})
    except (ValueError, AttributeError):
        return []
    found = []
    for name, entry in packages.items():
        if not isinstance(entry, dict):
            continue
        match = _GITHUB_TARBALL.match(str(entry.get("resolved", "")))
        if match and entry.get("integrity"):
            org, repo, ref = (
                match["org"] or match["corg"],
                match["repo"] or match["crepo"],
                match["ref"] or match["cref"],
            )
            found.append(LockedTarball(name, org, repo.removesuffix(".git"), ref, str(entry["integrity"])))
    return found


def _matches(data: bytes, integrity: str) -> bool:
    for item in integrity.split():
        algorithm, _, expected = item.partition("-")
        known = algorithm in ("sha512", "sha384", "sha256", "sha1")
        if known and base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected:
            return True
    return False


def _archive(clone: Path, commit: str, prefix: str) -> bytes:
    tar = subprocess.run(
        ["git", "archive", "--format=tar", f"--prefix={prefix}", commit],
        cwd=clone,
        capture_output=True,
        check=True,
    )
    return subprocess.run(["gzip", "-n"], input=tar.stdout, capture_output=True, check=True).stdout


def tarball_from_mirror(clone: Path, tarball: LockedTarball) -> bytes | None:
    """The tarball GitHub serves for the ref, rebuilt from the clone, if one of GitHub's layouts matches
    the lock's integrity; else None."""
    try:
        commit = git(clone, "rev-parse", "--verify", f"{tarball.ref}^{{commit}}", error=SandboxError).strip()
    except (AgentbenchError, OSError):
        return None
    short = commit[:7]
    prefixes = (
        f"{tarball.org}-{tarball.repo}-{short}/",  # /tarball/REF (codeload legacy.tar.gz)
        f"{tarball.repo}-{tarball.ref.removeprefix('v')}/",  # /archive/REF.tar.gz of a tag
        f"{tarball.repo}-{tarball.ref}/",
        f"{tarball.repo}-{commit}/",
    )
    for prefix in prefixes:
        try:
            data = _archive(clone, commit, prefix)
        except subprocess.CalledProcessError:
            return None
        if _matches(data, tarball.integrity):
            return data
    return None


def lockfile_at(clone: Path, commit: str) -> str | None:
    for name in LOCKFILES:
        try:
            return git(clone, "show", f"{commit}:{name}", error=SandboxError)
        except (AgentbenchError, OSError):
            continue
    return None
