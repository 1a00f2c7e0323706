"""The one append-only JSON-lines file: whole lines appended under an exclusive lock with flush +
fsync, so several processes can share one file; a line torn by a killed writer is cut off by
`repair()` and skipped by readers."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class AppendOnlyJsonl:
    def __init__(self, path: Path) -> None:
        self.path = path

    def repair(self) -> None:
        """Cut a torn last line (the record it held is simply written again later)."""
        self.path.touch(exist_ok=True)
        with self.path.open("r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)
                os.fsync(handle.fileno())

    def append(self, line: str) -> None:
        """One JSON document (no newline inside) as one line, durable when this returns."""
        if "\n" in line:
            raise ValueError("a JSON-lines record cannot hold a raw newline")
        with self.path.open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            start = handle.seek(0, os.SEEK_END)
            try:
                handle.write((line + "\n").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            except OSError:
                # A part written (a full disk) would run into the next line: take it back.
                handle.truncate(start)
                raise

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, text) of every complete, non-blank line; a torn last line is skipped."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith("\n"):
                    return
                if line.strip():
                    yield number, line


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: readers see the old file or the new, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
