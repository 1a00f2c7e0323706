"""Stage manifests: what a stage read and wrote, by fingerprint, so a re-run can skip it while its
inputs are unchanged. Fingerprints of traces are of their content (tasks, replies, outcomes, patches),
not of their bytes, which hold timings: a resumed run and an uninterrupted one compare equal."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from agentbench_ts.extract.corpus import file_sha256
from agentbench_ts.plumbing.jsonl import write_atomically
from agentbench_ts.traces.store import TraceStore


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: str
    round: int
    inputs: dict[str, str]
    outputs: dict[str, str]
    details: dict[str, JsonValue] = {}
    finished_at: str


def fingerprint(value: Any) -> str:
    """sha256 of a JSON value in canonical form."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def folder_fingerprint(folder: Path, cache: Path) -> str:
    """The content of every file under `folder` (a base model: its config, tokenizer and weights).
    Hashes are cached in `cache` by path, size and mtime, so a 40 GB base is read once, not per check."""
    try:
        known: dict[str, list[Any]] = json.loads(cache.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        known = {}
    entries, changed = [], False
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        cached = known.get(str(path))
        if cached is None or cached[:2] != stamp:
            known[str(path)], changed = [*stamp, file_sha256(path)], True
        entries.append([str(path.relative_to(folder)), known[str(path)][2]])
    if changed:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cache, json.dumps(known, indent=1))
    return fingerprint(entries)


def trace_fingerprint(run_dir: Path) -> str:
    """The content of a run's episodes: per (task, sample), the replies, outcome, stop reason, patch."""
    episodes = sorted(TraceStore(run_dir).episodes(), key=lambda e: e.key)
    return fingerprint(
        [
            [
                e.task_id,
                e.sample_index,
                e.outcome,
                e.stop_reason,
                e.patch,
                [s.raw_completion for s in e.steps],
            ]
            for e in episodes
        ]
    )


def dataset_fingerprint(extraction: Path) -> str:
    """The rows of a saved extraction (its Arrow files), whatever the card says."""
    files = sorted((extraction / "dataset").rglob("*.arrow"))
    return fingerprint([[str(f.relative_to(extraction)), file_sha256(f)] for f in files])


def manifest_path(round_dir: Path, stage: str) -> Path:
    return round_dir / "manifests" / f"{stage}.json"


def read_manifest(round_dir: Path, stage: str) -> Manifest | None:
    path = manifest_path(round_dir, stage)
    if not path.is_file():
        return None
    return Manifest.model_validate_json(path.read_text(encoding="utf-8"))


def write_manifest(round_dir: Path, manifest: Manifest) -> Path:
    path = manifest_path(round_dir, manifest.stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, manifest.model_dump_json(indent=2) + "\n")
    return path
