"""grep over a directory tree with Python regex semantics.

When ripgrep is available and the pattern has a required literal, ripgrep lists the files that
contain the literal and only those are searched with the Python regex: the same matches, in
the same order, as searching every file, found much faster on large trees.

A line matches when the pattern matches somewhere in it (searched as a string of its own). Within a
file, one scan of the whole text finds the lines to check, and only those are searched alone: where the
lines end with "\\n" alone (^ and $ see no other break), no match of the scan crosses one and the
pattern looks at nothing beyond a line (no lookaround, no \\A \\Z \\z \\G), a line matches alone exactly
when a match of the scan starts in it. Otherwise every line that holds the pattern's case-sensitive
literal (every line where there is none) is searched alone.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import regex

from agentbench_ts.errors import ToolError
from agentbench_ts.tools.files import looks_binary, walk_files
from agentbench_ts.tools.literal import RequiredLiteral, required_literal
from agentbench_ts.tools.workspace import ToolLimits


def _walk_key(rel_path: str) -> str:
    """Sorts as walk_files walks: in each folder its files (by name) before its subfolders (by name).
    A folder is marked \\x02 and ends at \\x00 (which no name holds), a file is marked \\x01."""
    folder, _, name = rel_path.rpartition("/")
    return ("\x02" + folder.replace("/", "\x00\x02") + "\x00" if folder else "") + "\x01" + name


def _ripgrep(
    ripgrep: str, directory: Path, literal: str, options: list[str], limits: ToolLimits
) -> bytes | None:
    argv = [ripgrep, "--fixed-strings", "--no-ignore", "--hidden", "--text", "--no-messages", "--no-config"]
    for skipped in limits.skip_dirs:
        argv += ["--glob", f"!{skipped}"]
    argv += [*options, "--", literal, "."]
    try:
        done = subprocess.run(
            argv, cwd=directory, capture_output=True, timeout=limits.grep_timeout_s, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode in (0, 1) else None


def _preselect(
    ripgrep: str, directory: Path, literal: RequiredLiteral, limits: ToolLimits
) -> list[str] | None:
    """The files that hold the literal (relative paths, in walk order); None when ripgrep cannot tell."""
    options = ["--files-with-matches", *(["--ignore-case"] if literal.ignore_case else [])]
    output = _ripgrep(ripgrep, directory, literal.text, options, limits)
    if output is None:
        return None
    found = [line.removeprefix("./") for line in output.decode("utf-8", "surrogateescape").splitlines()]
    return sorted(filter(None, found), key=_walk_key)


OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Where str.splitlines() ends a line besides "\\n" (and where MULTILINE's ^ and $ do not look)."""
_CONTEXTUAL = regex.compile(r"\(\?<?[=!]|\\[AZzG]")
"""Lookarounds and string anchors: what sees past a line's ends (conservatively: an escaped backslash
before A counts too)."""


def looks_past_lines(pattern: str) -> bool:
    return _CONTEXTUAL.search(pattern) is not None


def _scanned_lines(compiled: regex.Pattern[str], text: str, deadline: float) -> list[tuple[int, str]] | None:
    """The lines (0-based number, text) a scan of the whole text finds a match starting in, in order;
    None where a match crosses a line break (then the scan cannot stand for searching line by line).
    The text's lines end with "\\n" alone."""
    lines: list[tuple[int, str]] = []
    line, counted_to = 0, 0
    for found in compiled.finditer(text, timeout=max(deadline - time.monotonic(), 0.001)):
        start = found.start()
        if "\n" in found.group():
            return None
        if start == len(text) and (not text or text.endswith("\n")):
            break  # an empty match after the last line break: splitlines counts no line there
        line += text.count("\n", counted_to, start)
        counted_to = start
        if not lines or lines[-1][0] != line:
            end = text.find("\n", start)
            lines.append((line, text[text.rfind("\n", 0, start) + 1 : end if end >= 0 else len(text)]))
    return lines


def _glob_matches(rel_path: str, glob: str) -> bool:
    target = rel_path if "/" in glob else rel_path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target, glob)


def _read_regular(path: str, max_bytes: int) -> bytes | None:
    """A regular file's bytes; None for links, FIFOs, devices, files over `max_bytes` and errors (opened
    without following a link or waiting for a writer)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        return os.read(fd, info.st_size)
    except OSError:
        return None
    finally:
        os.close(fd)


def _search_file(
    compiled: regex.Pattern[str],
    path: str,
    shown: str,
    *,
    deadline: float,
    budget: int,
    limits: ToolLimits,
    scan: bool,
    literal: str | None,
) -> list[str]:
    """The file's matching lines; `scan`: the pattern looks at nothing past a line; `literal`: a
    case-sensitive text every match holds."""
    data = _read_regular(path, limits.max_grep_file_bytes)
    if data is None or looks_binary(data):
        return []
    text = data.decode("utf-8", errors="replace")
    numbered: Iterable[tuple[int, str]] | None = None
    if scan and not any(other in text for other in OTHER_BREAKS):
        numbered = _scanned_lines(compiled, text, deadline)
    if numbered is None:
        numbered = (
            (index, line)
            for index, line in enumerate(text.splitlines())
            if literal is None or literal in line
        )
    found: list[str] = []
    width = limits.max_grep_line_chars
    for index, line in numbered:
        if compiled.search(line, timeout=max(deadline - time.monotonic(), 0.001)):
            cut = line if len(line) <= width else line[:width] + " [line truncated]"
            found.append(f"{shown}:{index + 1}: {cut}")
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
    literal = required_literal(pattern)
    found = _preselect(limits.ripgrep, directory, literal, limits) if limits.ripgrep and literal else None
    files = (
        (os.path.join(directory, rel) for rel in found)
        if found is not None
        else (str(path) for path in walk_files(directory, limits.skip_dirs))
    )
    prefix = len(str(root)) + 1
    scan = not looks_past_lines(pattern)
    line_literal = literal.text if literal and not literal.ignore_case else None
    matches: list[str] = []
    try:
        for path in files:
            shown = path[prefix:]
            if glob and not _glob_matches(shown, glob):
                continue
            budget = max_matches - len(matches)
            matches += _search_file(
                compiled,
                path,
                shown,
                deadline=deadline,
                budget=budget,
                limits=limits,
                scan=scan,
                literal=line_literal,
            )
            if len(matches) >= max_matches:
                matches.append(f"[truncated: stopped at {max_matches} matches]")
                break
    except TimeoutError as exc:
        raise ToolError(f"grep gave up after {limits.grep_timeout_s:.0f}s; simplify the pattern") from exc
    return "\n".join(matches) if matches else "(no matches)"
