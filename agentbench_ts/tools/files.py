"""Walking a confined directory tree and telling text files from binary ones."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

_SNIFF_BYTES = 8192


def walk_files(directory: Path, skip_dirs: tuple[str, ...]) -> Iterator[Path]:
    """Files below `directory` in sorted order, never descending into skipped or linked dirs."""
    for current, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in skip_dirs)
        for name in sorted(files):
            yield Path(current) / name


def looks_binary(head: bytes) -> bool:
    """A NUL byte among the first bytes marks a file as binary (as git and grep decide)."""
    return b"\x00" in head[:_SNIFF_BYTES]


def is_binary(path: Path) -> bool:
    with path.open("rb") as handle:
        return looks_binary(handle.read(_SNIFF_BYTES))
