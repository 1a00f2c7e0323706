"""The file tools over a directory on this machine (a local copy or a bind-mounted workspace)."""

from __future__ import annotations

import os
from pathlib import Path

from agentbench_ts.errors import ToolError
from agentbench_ts.tools.files import is_binary, walk_files
from agentbench_ts.tools.grep import grep_tree
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
        directory = self._directory(rel_dir)
        return grep_tree(
            self.root, directory, pattern, max_matches=max_matches, glob=glob, limits=self.limits
        )

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
