"""grep over a directory tree with Python regex semantics.

When ripgrep is available and the pattern has a required literal, ripgrep lists the files that
contain the literal and only those are searched with the Python regex: the same matches, in
the same order, as searching every file, found much faster on large trees.
"""

from __future__ import annotations

import fnmatch
import stat
import subprocess
import time
from pathlib import Path

import regex

from agentbench_ts.errors import ToolError
from agentbench_ts.tools.files import looks_binary, walk_files
from agentbench_ts.tools.literal import required_literal
from agentbench_ts.tools.workspace import ToolLimits


def _walk_order(rel_path: str) -> list[tuple[int, str]]:
    """The position of a file in walk_files order: files before subfolders, each sorted by name."""
    *folders, name = rel_path.split("/")
    return [(1, folder) for folder in folders] + [(0, name)]


def _preselect(ripgrep: str, directory: Path, pattern: str, limits: ToolLimits) -> list[Path] | None:
    """Files that may match, in walk order; None when ripgrep cannot help (then search everything)."""
    literal = required_literal(pattern)
    if literal is None:
        return None
    argv = [ripgrep, "--files-with-matches", "--fixed-strings", "--no-ignore", "--hidden", "--text"]
    argv += ["--no-messages", "--no-config"]
    for skipped in limits.skip_dirs:
        argv += ["--glob", f"!{skipped}"]
    if literal.ignore_case:
        argv.append("--ignore-case")
    argv += ["--", literal.text, "."]
    try:
        done = subprocess.run(
            argv, cwd=directory, capture_output=True, timeout=limits.grep_timeout_s, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode not in (0, 1):
        return None
    found = [line.removeprefix("./") for line in done.stdout.decode("utf-8", "surrogateescape").splitlines()]
    return [directory / rel for rel in sorted(filter(None, found), key=_walk_order)]


def _glob_matches(rel_path: str, glob: str) -> bool:
    target = rel_path if "/" in glob else rel_path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target, glob)


def _search_file(
    compiled: regex.Pattern[str], path: Path, shown: str, *, deadline: float, budget: int, limits: ToolLimits
) -> list[str]:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_size > limits.max_grep_file_bytes:
            return []
        data = path.read_bytes()
    except OSError:
        return []
    if looks_binary(data):
        return []
    text = data.decode("utf-8", errors="replace")
    if not compiled.search(text, timeout=max(deadline - time.monotonic(), 0.001)):
        return []
    found: list[str] = []
    width = limits.max_grep_line_chars
    for number, line in enumerate(text.splitlines(), start=1):
        if compiled.search(line, timeout=max(deadline - time.monotonic(), 0.001)):
            cut = line if len(line) <= width else line[:width] + " [line truncated]"
            found.append(f"{shown}:{number}: {cut}")
            if len(found) == budget:
                break
    return found


def grep_tree(
    root: Path, directory: Path, pattern: str, *, max_matches: int, glob: str | None, limits: ToolLimits
) -> str:
    """Matches as 'path:line: text', paths relative to root (which must be a real path)."""
    if len(pattern) > limits.max_pattern_chars:
        raise ToolError(f"pattern is {len(pattern)} characters; the limit is {limits.max_pattern_chars}")
    try:
        compiled = regex.compile(pattern, regex.MULTILINE)
    except regex.error as exc:
        raise ToolError(f"invalid regular expression: {exc}") from exc
    deadline = time.monotonic() + limits.grep_timeout_s
    candidates = _preselect(limits.ripgrep, directory, pattern, limits) if limits.ripgrep else None
    files = candidates if candidates is not None else walk_files(directory, limits.skip_dirs)
    prefix = len(str(root)) + 1
    matches: list[str] = []
    try:
        for path in files:
            shown = str(path)[prefix:]
            if glob and not _glob_matches(shown, glob):
                continue
            budget = max_matches - len(matches)
            matches += _search_file(compiled, path, shown, deadline=deadline, budget=budget, limits=limits)
            if len(matches) >= max_matches:
                matches.append(f"[truncated: stopped at {max_matches} matches]")
                break
    except TimeoutError as exc:
        raise ToolError(f"grep gave up after {limits.grep_timeout_s:.0f}s; simplify the pattern") from exc
    return "\n".join(matches) if matches else "(no matches)"
