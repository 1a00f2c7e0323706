"""The append-only trace store of one run directory: run.json + episodes.jsonl.

Every episode is one JSON line written with flush + fsync under an exclusive lock, so
several processes (e.g. pytest-xdist workers) can share a run. A line torn by a killed
process is cut off when the store is opened; that episode simply runs again.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from agentbench_ts.errors import TraceStoreError
from agentbench_ts.traces.records import EpisodeRecord, RunInfo

EPISODES_FILE = "episodes.jsonl"
RUN_FILE = "run.json"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class TraceStore:
    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self.episodes_path = self.run_dir / EPISODES_FILE
        self.run_path = self.run_dir / RUN_FILE

    def open(self, info: RunInfo) -> RunInfo:
        """Create the run, or check that `info` matches the run being resumed and return the stored one."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.episodes_path.touch(exist_ok=True)
        if not self.run_path.exists():
            _write_atomically(self.run_path, info.model_dump_json(indent=2) + "\n")
            return info
        stored = self.run_info()
        if stored.compatibility_key() != info.compatibility_key():
            raise TraceStoreError(
                f"{self.run_dir} holds a run with another configuration "
                f"({stored.compatibility_key()}); resume it with the same flags or use a new --out"
            )
        self._cut_torn_tail()
        return stored

    def run_info(self) -> RunInfo:
        try:
            return RunInfo.model_validate_json(self.run_path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise TraceStoreError(f"{self.run_path} cannot be read: {exc}") from exc

    def _cut_torn_tail(self) -> None:
        with self.episodes_path.open("r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)
                os.fsync(handle.fileno())

    def append(self, record: EpisodeRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self.episodes_path.open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def episodes(self) -> Iterator[EpisodeRecord]:
        """Every complete record, in the order written; a torn last line is skipped."""
        if not self.episodes_path.exists():
            return
        with self.episodes_path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith("\n"):
                    return
                if not line.strip():
                    continue
                try:
                    yield EpisodeRecord.model_validate(json.loads(line))
                except (json.JSONDecodeError, ValidationError) as exc:
                    raise TraceStoreError(f"{self.episodes_path}:{number} is corrupt: {exc}") from exc

    def finished(self) -> set[tuple[str, int]]:
        return {record.key for record in self.episodes()}
