"""The one git helper: run git in a repository, and raise the caller's error type when it fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agentbench_ts.errors import AgentbenchError

GIT_IDENTITY = ("-c", "user.name=agentbench", "-c", "user.email=agentbench@localhost")
"""Who the harness's own commits are by (no global git config is assumed)."""


def git(
    repo: Path,
    *argv: str,
    error: type[AgentbenchError] = AgentbenchError,
    what: str = "",
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> str:
    """stdout of `git ARGV` in `repo`; on failure `error` saying `what` was being done and git's stderr."""
    done = subprocess.run(
        ["git", *argv], cwd=repo, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        doing = f"{what}: " if what else ""
        raise error(f"{doing}git {argv[0]} in {repo} failed: {done.stderr.strip()}")
    return done.stdout


def git_bytes(
    repo: Path, *argv: str, error: type[AgentbenchError], env: dict[str, str] | None = None
) -> bytes:
    """Raw stdout of `git ARGV` (file contents, which need not be text)."""
    done = subprocess.run(["git", *argv], cwd=repo, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise error(f"git {argv[0]} in {repo} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def head_commit(repo: Path) -> str | None:
    """The commit checked out in `repo`, or None where it is not a git checkout."""
    try:
        return git(repo, "rev-parse", "HEAD").strip() or None
    except (AgentbenchError, OSError):
        return None
