"""grep over a directory tree with Python regex semantics.

When ripgrep is available and the pattern has a required literal, ripgrep lists the files that
contain the literal and only those are searched with the Python regex: the same matches, in
the same order, as searching every file, found much faster on large trees. For a case-sensitive ASCII
literal ripgrep also gives the lines that hold it: only those can match (a match within a line holds
the literal), and where the file's lines end with "\\n" alone its line numbers are Python's.

A line matches when the pattern matches somewhere in it (searched as a string of its own). Within a
file, one scan of the whole text finds the lines to check, and only those are searched alone: where the
lines end with "\\n" alone (^ and $ see no other break), no match of the scan crosses one and the
pattern looks at nothing beyond a line (no lookaround, no \\A \\Z \\z \\G), a line matches alone exactly
when a match of the scan starts in it. Otherwise every line is searched alone.
"""

from __future__ import annotations

import fnmatch
import stat
import subprocess
import time
from collections.abc import Iterable
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


Candidates = list[tuple[str, frozenset[int] | None]]
"""Files that may match (relative paths, in walk order), each with the numbers of the lines that may
(None: any line)."""


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


def _lines_of(output: bytes) -> dict[str, set[int]] | None:
    """`path NUL line:match` records of `rg --null -n -o` read as path -> line numbers."""
    lines: dict[str, set[int]] = {}
    for record in output.split(b"\n"):
        if not record:
            continue
        path, nul, rest = record.partition(b"\0")
        number, colon, _ = rest.partition(b":")
        if not nul or not colon or not number.isdigit():
            return None  # a name with a line break in it: read every line of every file instead
        lines.setdefault(path.decode("utf-8", "surrogateescape").removeprefix("./"), set()).add(int(number))
    return lines


def _preselect(ripgrep: str, directory: Path, pattern: str, limits: ToolLimits) -> Candidates | None:
    """What may match; None when ripgrep cannot help (then search everything)."""
    literal = required_literal(pattern)
    if literal is None:
        return None
    if not literal.ignore_case and literal.text.isascii():
        output = _ripgrep(ripgrep, directory, literal.text, ["--null", "-n", "-o"], limits)
        lines = _lines_of(output) if output is not None else None
        if lines is not None:
            return [(rel, frozenset(lines[rel])) for rel in sorted(lines, key=_walk_order)]
    options = ["--files-with-matches", *(["--ignore-case"] if literal.ignore_case else [])]
    output = _ripgrep(ripgrep, directory, literal.text, options, limits)
    if output is None:
        return None
    found = [line.removeprefix("./") for line in output.decode("utf-8", "surrogateescape").splitlines()]
    return [(rel, None) for rel in sorted(filter(None, found), key=_walk_order)]


OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Where str.splitlines() ends a line besides "\\n" (and where MULTILINE's ^ and $ do not look)."""
_CONTEXTUAL = regex.compile(r"\(\?<?[=!]|\\[AZzG]")
"""Lookarounds and string anchors: what sees past a line's ends (conservatively: an escaped backslash
before A counts too)."""


def looks_past_lines(pattern: str) -> bool:
    return _CONTEXTUAL.search(pattern) is not None


def _lines_to_search(compiled: regex.Pattern[str], text: str, deadline: float) -> list[int] | None:
    """The lines (0-based) a scan of the whole text finds a match starting in, in order; None where the
    text has other line breaks than "\\n" or a match crosses one (then the scan cannot stand for
    searching line by line)."""
    lines: list[int] = []
    line, counted_to = 0, 0
    for found in compiled.finditer(text, timeout=max(deadline - time.monotonic(), 0.001)):
        if "\n" in found.group():
            return None
        line += text.count("\n", counted_to, found.start())
        counted_to = found.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _glob_matches(rel_path: str, glob: str) -> bool:
    target = rel_path if "/" in glob else rel_path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target, glob)


def _search_file(
    compiled: regex.Pattern[str],
    path: Path,
    shown: str,
    *,
    deadline: float,
    budget: int,
    limits: ToolLimits,
    scan: bool,
    holding: frozenset[int] | None = None,
) -> list[str]:
    """The file's matching lines; `scan`: the pattern looks at nothing past a line; `holding`: the
    numbers of the only lines that may match (where its lines end with "\\n" alone)."""
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
    lines = text.splitlines()
    newlines_only = not any(other in text for other in OTHER_BREAKS)
    candidates = None
    if holding is not None and newlines_only:
        candidates = sorted(number - 1 for number in holding)
    elif scan and newlines_only:
        candidates = _lines_to_search(compiled, text, deadline)
    found: list[str] = []
    width = limits.max_grep_line_chars
    for index in candidates if candidates is not None else range(len(lines)):
        if index >= len(lines):
            break  # an empty match after the last line break: splitlines counts no line there
        line = lines[index]
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
    found = _preselect(limits.ripgrep, directory, pattern, limits) if limits.ripgrep else None
    files: Iterable[tuple[Path, frozenset[int] | None]] = (
        ((directory / rel, lines) for rel, lines in found)
        if found is not None
        else ((path, None) for path in walk_files(directory, limits.skip_dirs))
    )
    prefix = len(str(root)) + 1
    scan = not looks_past_lines(pattern)
    matches: list[str] = []
    try:
        for path, holding in files:
            shown = str(path)[prefix:]
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
                holding=holding,
            )
            if len(matches) >= max_matches:
                matches.append(f"[truncated: stopped at {max_matches} matches]")
                break
    except TimeoutError as exc:
        raise ToolError(f"grep gave up after {limits.grep_timeout_s:.0f}s; simplify the pattern") from exc
    return "\n".join(matches) if matches else "(no matches)"
