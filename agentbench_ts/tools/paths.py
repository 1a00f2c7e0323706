"""Confinement of model-supplied paths to the workspace root."""

from __future__ import annotations

import os
import re
from pathlib import Path

from agentbench_ts.errors import ToolError

_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:)?[\\/]")


def resolve_inside(root: Path, rel_path: object, *, max_chars: int, protect_git: bool) -> Path:
    """The real path of `rel_path` under `root`, or ToolError if it is not safely inside.

    Symlinks are followed before the check, so a link that points outside is refused like `..`.
    With protect_git, paths inside `.git` are refused too (the harness diffs against it).
    """
    if not isinstance(rel_path, str):
        raise ToolError(f"path must be a string, got {type(rel_path).__name__}")
    if "\x00" in rel_path:
        raise ToolError("path contains a NUL byte")
    if len(rel_path) > max_chars:
        raise ToolError(f"path is {len(rel_path)} characters long; the limit is {max_chars}")
    if not rel_path.strip():
        raise ToolError("path is empty; use '.' for the repository root")
    if _WINDOWS_ABSOLUTE.match(rel_path) or rel_path.startswith("~"):
        raise ToolError(f"absolute path {rel_path!r} refused; use a path relative to the repository root")
    real_root = Path(os.path.realpath(root))
    resolved = Path(os.path.realpath(real_root / rel_path))
    if not resolved.is_relative_to(real_root):
        raise ToolError(f"path {rel_path!r} resolves outside the repository (via '..' or a symlink)")
    if protect_git and resolved.is_relative_to(real_root / ".git"):
        raise ToolError(f"path {rel_path!r} is inside .git, which tools may not change")
    return resolved


def display_path(real_root: Path, path: Path) -> str:
    """The path as the model should see it: relative to the (already resolved) root."""
    return path.relative_to(real_root).as_posix() or "."
