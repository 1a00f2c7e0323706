"""The file tools over a directory on this machine (a local copy or a bind-mounted workspace)."""

from __future__ import annotations

import fnmatch
import os
import time
from pathlib import Path

import regex

from agentbench_ts.errors import ToolError
from agentbench_ts.tools.files import is_binary, walk_files
from agentbench_ts.tools.paths import display_path, resolve_inside
from agentbench_ts.tools.workspace import ToolLimits


class HostWorkspace:
    """Implements `Workspace` on a host directory."""

    def __init__(self, root: Path, limits: ToolLimits | None = None) -> None:
        self.root = Path(os.path.realpath(root))
        self.limits = limits or ToolLimits()

    def _resolve(self, rel_path: object, *, for_write: bool = False) -> Path:
        return resolve_inside(
            self.root, rel_path, max_chars=self.limits.max_path_chars, protect_git=for_write
        )

    def _directory(self, rel_dir: str) -> Path:
        directory = self._resolve(rel_dir)
        if not directory.is_dir():
            raise ToolError(f"{rel_dir!r} is not a directory")
        return directory

    def list_files(self, rel_dir: str, max_files: int) -> str:
        listed: list[str] = []
        for path in walk_files(self._directory(rel_dir), self.limits.skip_dirs):
            if len(listed) == max_files:
                listed.append(f"[truncated: more than {max_files} files; narrow rel_dir]")
                break
            listed.append(display_path(self.root, path))
        return "\n".join(listed) if listed else "(no files)"

    def read_file(self, rel_path: str, max_chars: int, start_line: int | None, end_line: int | None) -> str:
        path = self._resolve(rel_path)
        if not path.exists():
            raise ToolError(f"no such file: {rel_path}")
        if path.is_dir():
            raise ToolError(f"{rel_path} is a directory; use list_files")
        if is_binary(path):
            raise ToolError(f"{rel_path} is a binary file; it is not shown")
        if start_line is not None and end_line is not None and end_line < start_line:
            raise ToolError(f"end_line {end_line} is before start_line {start_line}")
        first, last = start_line or 1, end_line
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            if first == 1 and last is None:
                text = handle.read(max_chars + 1)
            else:
                chunks: list[str] = []
                size = 0
                for number, line in enumerate(handle, start=1):
                    if number < first:
                        continue
                    if (last is not None and number > last) or size > max_chars:
                        break
                    chunks.append(line)
                    size += len(line)
                text = "".join(chunks)
        if len(text) > max_chars:
            marker = "[truncated: file continues; read further with start_line/end_line]"
            return f"{text[:max_chars]}\n{marker}"
        return text

    def grep(self, pattern: str, rel_dir: str, max_matches: int, glob: str | None) -> str:
        if len(pattern) > self.limits.max_pattern_chars:
            raise ToolError(
                f"pattern is {len(pattern)} characters; the limit is {self.limits.max_pattern_chars}"
            )
        try:
            compiled = regex.compile(pattern, regex.MULTILINE)
        except regex.error as exc:
            raise ToolError(f"invalid regular expression: {exc}") from exc
        deadline = time.monotonic() + self.limits.grep_timeout_s
        matches: list[str] = []
        try:
            for path in walk_files(self._directory(rel_dir), self.limits.skip_dirs):
                shown = display_path(self.root, path)
                if glob and not _glob_matches(shown, glob):
                    continue
                if not self._greppable(path):
                    continue
                matches += self._grep_file(compiled, path, shown, deadline, max_matches - len(matches))
                if len(matches) >= max_matches:
                    matches.append(f"[truncated: stopped at {max_matches} matches]")
                    break
        except TimeoutError as exc:
            raise ToolError(
                f"grep gave up after {self.limits.grep_timeout_s:.0f}s; simplify the pattern"
            ) from exc
        return "\n".join(matches) if matches else "(no matches)"

    def _greppable(self, path: Path) -> bool:
        try:
            if path.is_symlink() or path.stat().st_size > self.limits.max_grep_file_bytes:
                return False
            return not is_binary(path)
        except OSError:
            return False

    def _grep_file(
        self, compiled: regex.Pattern[str], path: Path, shown: str, deadline: float, budget: int
    ) -> list[str]:
        text = path.read_text(encoding="utf-8", errors="replace")
        if not compiled.search(text, timeout=max(deadline - time.monotonic(), 0.001)):
            return []
        found: list[str] = []
        width = self.limits.max_grep_line_chars
        for number, line in enumerate(text.splitlines(), start=1):
            if compiled.search(line, timeout=max(deadline - time.monotonic(), 0.001)):
                cut = line if len(line) <= width else line[:width] + " [line truncated]"
                found.append(f"{shown}:{number}: {cut}")
                if len(found) == budget:
                    break
        return found

    def write_file(self, rel_path: str, content: str) -> str:
        if len(content) > self.limits.max_write_chars:
            raise ToolError(
                f"content is {len(content)} characters; the limit is {self.limits.max_write_chars}"
            )
        path = self._resolve(rel_path, for_write=True)
        if path.is_dir():
            raise ToolError(f"{rel_path} is a directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8", errors="surrogatepass")
        path.write_bytes(data)
        return f"wrote {len(data)} bytes to {rel_path}"


def _glob_matches(rel_path: str, glob: str) -> bool:
    target = rel_path if "/" in glob else rel_path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target, glob)
