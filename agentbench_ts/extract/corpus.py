"""The input of an extraction: the episodes of one or more run directories, with their provenance."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentbench_ts.errors import ExtractError
from agentbench_ts.traces.records import EpisodeRecord
from agentbench_ts.traces.store import TraceStore


@dataclass(frozen=True)
class TraceInput:
    """One run directory as read: enough to say later exactly which traces a dataset came from."""

    run_dir: str
    run_id: str
    model: str
    episodes: int
    episodes_sha256: str


@dataclass(frozen=True)
class Corpus:
    inputs: tuple[TraceInput, ...]
    episodes: tuple[EpisodeRecord, ...]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_runs(run_dirs: Sequence[Path | str]) -> Corpus:
    """Read every finished episode of the given run directories, in order."""
    if not run_dirs:
        raise ExtractError("no run directories given")
    inputs: list[TraceInput] = []
    episodes: list[EpisodeRecord] = []
    seen: set[str] = set()
    for run_dir in map(Path, run_dirs):
        store = TraceStore(run_dir)
        if not store.episodes_path.is_file():
            raise ExtractError(f"{run_dir} is not a run directory (no {store.episodes_path.name})")
        info = store.run_info()
        if info.run_id in seen:
            raise ExtractError(f"run {info.run_id} is given twice ({run_dir})")
        seen.add(info.run_id)
        records = list(store.episodes())
        episodes.extend(records)
        inputs.append(
            TraceInput(str(run_dir), info.run_id, info.model, len(records), file_sha256(store.episodes_path))
        )
    return Corpus(tuple(inputs), tuple(episodes))
