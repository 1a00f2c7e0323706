"""What a tool call returns and the interface every workspace backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class ToolLimits(BaseModel):
    """Caps on tool arguments and outputs; anything beyond is refused or truncated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_path_chars: int = 1024
    max_pattern_chars: int = 1000
    max_write_chars: int = 1_000_000
    max_output_chars: int = 20_000
    max_grep_line_chars: int = 240
    max_grep_file_bytes: int = 2_000_000
    grep_timeout_s: float = 10.0
    skip_dirs: tuple[str, ...] = (".git", "node_modules")
    ripgrep: str | None = None
    """A ripgrep binary to preselect files for grep (same results, faster); None: pure Python."""


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    output: str
    truncated: bool = False
    elapsed_s: float = 0.0


class Workspace(Protocol):
    """The four file tools over one repository, every path confined to it.

    Each method returns the text shown to the model and raises ToolError when it refuses.
    """

    def list_files(self, rel_dir: str, max_files: int) -> str: ...

    def read_file(
        self, rel_path: str, max_chars: int, start_line: int | None, end_line: int | None
    ) -> str: ...

    def grep(self, pattern: str, rel_dir: str, max_matches: int, glob: str | None) -> str: ...

    def write_file(self, rel_path: str, content: str) -> str: ...
