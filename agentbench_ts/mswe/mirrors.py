"""The mirror step: local mirrors of repositories as working clones for an image's build context, and
the repository tarballs a lockfile names, made from the mirror and verified against the lock's
integrity.

A mirror may be bare or a checkout. A checkout is used as it is, untracked files included (an
air-gapped user may have put node_modules there). A bare mirror is cloned with only what instances
need: its branches and tags, and each instance's base commit (fetched by id: a pull-request base need
not be on a branch). A snapshot may lack some objects: refs whose objects cannot be fetched are
skipped, and named; only a base commit that cannot be had is an error. The clone names GitHub as its
origin, as the official harness's clone does, and is made once per state of the mirror's refs."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentbench_ts.errors import AgentbenchError, SandboxError
from agentbench_ts.plumbing.git import git
from agentbench_ts.plumbing.locks import exclusive_lock

_GITHUB_TARBALL = re.compile(
    r"^https://(?:github\.com/(?P<org>[^/]+)/(?P<repo>[^/]+)/(?:tarball|archive)/(?:refs/tags/)?"
    r"(?P<ref>[^/]+?)(?:\.tar\.gz)?|codeload\.github\.com/(?P<corg>[^/]+)/(?P<crepo>[^/]+)/"
    r"(?:legacy\.)?tar\.gz/(?:refs/tags/)?(?P<cref>[^/]+))$"
)
LOCKFILES = ("npm-shrinkwrap.json", "package-lock.json")
SKIPPED_FILE = "agentbench-skipped-refs"
"""In the clone's .git: the mirror's refs that could not be fetched when the clone was made."""
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


def mirror_state(mirror: Path) -> str:
    """A digest of every ref of the mirror (what a clone of it is made from)."""
    refs = git(mirror, "show-ref", "--head", error=SandboxError, what=f"reading the mirror {mirror}")
    return hashlib.sha256(refs.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class MirrorClone:
    path: Path
    """The working clone (the mirror itself where it is a checkout)."""
    source: Path
    state: str
    """The digest of the mirror's refs: what images built from the clone are identified by."""
    skipped: tuple[str, ...] = ()
    """Refs of the mirror whose objects could not be fetched (an incomplete snapshot)."""
    made_now: bool = False
    """Whether this call made the clone (else it was cached)."""

    def ensure_commit(self, commit: str) -> str:
        """The full id of `commit`, fetched from the mirror into the clone first where it is missing;
        a SandboxError where the mirror cannot give it (no such commit, or its objects are missing)."""
        found = _resolve(self.path, commit)
        if found is not None:
            return found
        if self.path == self.source:
            raise SandboxError(f"the mirror {self.source} has no commit {commit}")
        full = _resolve(self.source, commit) or commit
        with exclusive_lock(self.path.parent / f".{self.path.name}.lock"):
            if _resolve(self.path, full) is None:
                what = f"fetching the commit {commit} from the mirror {self.source}"
                git(
                    self.path,
                    "-c",
                    "protocol.version=2",
                    "fetch",
                    "--quiet",
                    "--no-tags",
                    str(self.source.resolve()),
                    f"+{full}:refs/agentbench/commits/{full}",
                    error=SandboxError,
                    what=what,
                )
        return full


def _resolve(repo: Path, commit: str) -> str | None:
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}").strip() or None
    except (AgentbenchError, OSError):
        return None


def working_clone(
    mirror: Path, org: str, repo: str, cache_dir: Path, commits: Sequence[str] = ()
) -> MirrorClone:
    """`mirror` itself where it is a checkout; else a clone of its branches and tags, origin set to
    GitHub, made once per mirror state; `commits` (the instances' bases) are in it either way."""
    if not mirror.exists():
        raise SandboxError(f"the mirror {mirror} of {org}/{repo} does not exist")
    state = mirror_state(mirror)
    if (mirror / ".git").exists():
        clone = MirrorClone(mirror, mirror, state)
    else:
        target = cache_dir / "mirrors" / f"{org}__{repo}-{state}"
        made_now = not target.is_dir() and _make_clone(mirror, target, org, repo)
        skipped = target / ".git" / SKIPPED_FILE
        listed = skipped.read_text(encoding="utf-8").split() if skipped.is_file() else []
        clone = MirrorClone(target, mirror, state, tuple(listed), made_now)
    for commit in commits:
        clone.ensure_commit(commit)
    return clone


def _make_clone(mirror: Path, target: Path, org: str, repo: str) -> bool:
    """Whether this call made `target` (False: another process made it meanwhile)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    what = f"cloning the mirror {mirror}"
    try:
        git(target.parent, "init", "--quiet", staging.name, error=SandboxError, what=what)
        git(staging, "remote", "add", "origin", str(mirror.resolve()), error=SandboxError, what=what)
        skipped = _fetch_refs(staging, _branches_and_tags(staging))
        (staging / ".git" / SKIPPED_FILE).write_text("".join(f"{ref}\n" for ref in skipped), encoding="utf-8")
        _check_out_default(staging)
        git(
            staging, "remote", "set-url", "origin", f"https://github.com/{org}/{repo}.git", error=SandboxError
        )
        try:
            staging.rename(target)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
            return False
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True


def _branches_and_tags(clone: Path) -> list[str]:
    listed = git(clone, "ls-remote", "--heads", "--tags", "origin", error=SandboxError, what="listing refs")
    refs = [line.split("\t", 1)[1] for line in listed.splitlines() if "\t" in line]
    return [ref for ref in refs if not ref.endswith("^{}")]


def _refspec(ref: str) -> str:
    local = f"refs/remotes/origin/{ref.removeprefix('refs/heads/')}" if ref.startswith("refs/heads/") else ref
    return f"+{ref}:{local}"


def _fetch(clone: Path, refspecs: Sequence[str]) -> bool:
    done = subprocess.run(
        ["git", "fetch", "--quiet", "--no-tags", "origin", *refspecs],
        cwd=clone,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _fetch_refs(clone: Path, refs: list[str]) -> list[str]:
    """Fetch `refs`: all at once, else in halves down to single refs; the ones that could not be
    fetched (their objects are missing from the mirror), in order."""
    wildcards = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
    if len(refs) > 64 and _fetch(clone, wildcards):
        return []
    return _fetch_halves(clone, refs)


def _fetch_halves(clone: Path, refs: list[str]) -> list[str]:
    if not refs or _fetch(clone, [_refspec(ref) for ref in refs]):
        return []
    if len(refs) == 1:
        return list(refs)
    middle = len(refs) // 2
    return _fetch_halves(clone, refs[:middle]) + _fetch_halves(clone, refs[middle:])


def _check_out_default(clone: Path) -> None:
    """Check out the mirror's default branch, as `git clone` does (where its objects came)."""
    listed = git(clone, "ls-remote", "--symref", "origin", "HEAD", error=SandboxError, what="reading HEAD")
    match = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", listed, re.MULTILINE)
    if match and _resolve(clone, f"refs/remotes/origin/{match[1]}"):
        branch = match[1]
        git(clone, "checkout", "--quiet", "-B", branch, f"refs/remotes/origin/{branch}", error=SandboxError)


def github_clone(org: str, repo: str, cache_dir: Path) -> Path:
    """A bare clone of the repository from GitHub (network allowed), fetched anew each time."""
    target = cache_dir / "mirrors" / f"{org}__{repo}-github.git"
    url = f"https://github.com/{org}/{repo}.git"
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        git(
            target.parent,
            "clone",
            "--quiet",
            "--mirror",
            url,
            target.name,
            error=SandboxError,
            what=f"cloning {url}",
        )
    else:
        git(target, "fetch", "--quiet", "--prune", error=SandboxError, what=f"fetching {url}")
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


def tarball_from_mirror(clone: MirrorClone, tarball: LockedTarball) -> bytes | None:
    """The tarball GitHub serves for the ref, rebuilt from the clone, if one of GitHub's layouts matches
    the lock's integrity; else None. A commit id the clone lacks is fetched from the mirror first."""
    try:
        commit = clone.ensure_commit(tarball.ref) if _FULL_SHA.match(tarball.ref) else None
    except SandboxError:
        return None
    commit = commit or _resolve(clone.path, tarball.ref)
    if commit is None:
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
            data = _archive(clone.path, commit, prefix)
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
