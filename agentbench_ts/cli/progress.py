"""A one-line progress bar on a terminal stream."""

from __future__ import annotations

from typing import TextIO


class ProgressBar:
    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self._stream, self._width = stream, width
        self._resolved = 0

    def update(self, done: int, total: int, resolved: bool, label: str) -> None:
        self._resolved += resolved
        filled = self._width * done // max(total, 1)
        bar = "#" * filled + "." * (self._width - filled)
        line = f"[{bar}] {done}/{total} resolved {self._resolved} | {label}"
        end = "\n" if done == total else ""
        if self._stream.isatty():
            self._stream.write(f"\r\x1b[2K{line}{end}")
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
