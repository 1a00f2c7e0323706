"""The append-only trace store of one run directory: run.json + episodes.jsonl.

Every episode is one JSON line written with flush + fsync under an exclusive lock, so
several processes (e.g. pytest-xdist workers) can share a run. A line torn by a killed
process is cut off when the store is opened; that episode simply runs again.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from agentbench_ts.errors import TraceStoreError
from agentbench_ts.plumbing.jsonl import AppendOnlyJsonl, write_atomically
from agentbench_ts.plumbing.locks import exclusive_lock
from agentbench_ts.traces.records import EpisodeRecord, RunInfo

EPISODES_FILE = "episodes.jsonl"
RUN_FILE = "run.json"
LOCK_FILE = ".open.lock"


class TraceStore:
    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self.episodes_path = self.run_dir / EPISODES_FILE
        self.run_path = self.run_dir / RUN_FILE
        self._file = AppendOnlyJsonl(self.episodes_path)

    def open(self, info: RunInfo) -> RunInfo:
        """Create the run, or check that `info` matches the run being resumed and return the stored one.
        Processes opening one run directory at once (xdist workers) agree on one run.json."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.run_dir / LOCK_FILE):
            if self.run_path.exists():
                stored = self.run_info()
                if stored.compatibility_key() != info.compatibility_key():
                    raise TraceStoreError(
                        f"{self.run_dir} holds a run with another configuration; resume it with the same "
                        "flags (or --from it), or use a new --out"
                    )
                self._file.repair()
                return stored
            self._file.repair()
            write_atomically(self.run_path, info.model_dump_json(indent=2) + "\n")
            return info

    def run_info(self) -> RunInfo:
        try:
            return RunInfo.model_validate_json(self.run_path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise TraceStoreError(f"{self.run_path} cannot be read: {exc}") from exc

    def append(self, record: EpisodeRecord) -> None:
        """Append one record durably; on a full disk nothing of it stays and the error says what to do."""
        try:
            self._file.append(record.model_dump_json())
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise TraceStoreError(
                f"no space left for the traces in {self.run_dir} ({exc.strerror}): the run stopped and the"
                " episode in hand is not recorded; the store is valid. Free space and run the same command"
                " to resume"
            ) from exc

    def attempts(self) -> Iterator[EpisodeRecord]:
        """Every complete record, retried attempts included, in the order written; a torn last line
        is skipped."""
        for number, line in self._file.lines():
            try:
                yield EpisodeRecord.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise TraceStoreError(f"{self.episodes_path}:{number} is corrupt: {exc}") from exc

    def episodes(self) -> Iterator[EpisodeRecord]:
        """One record per (task, sample): its last attempt (the one that counts), in the order the
        pairs first appear."""
        last: dict[tuple[str, int], EpisodeRecord] = {}
        for record in self.attempts():
            last[record.key] = record
        yield from last.values()

    def finished(self) -> set[tuple[str, int]]:
        return {record.key for record in self.attempts()}

    def record_task_digests(self, digests: dict[str, str]) -> RunInfo:
        """Take `digests` as the tasks' current versions (a resume that accepted changed tasks)."""
        with exclusive_lock(self.run_dir / LOCK_FILE):
            info = self.run_info()
            updated = info.model_copy(update={"task_digests": {**info.task_digests, **digests}})
            write_atomically(self.run_path, updated.model_dump_json(indent=2) + "\n")
            return updated
