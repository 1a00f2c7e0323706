"""MultiPL-E's files: completions in (`<name>.json[.gz]` with "completions", or one jsonl), and
`<name>.results.json[.gz]` out and back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from agentbench_ts.errors import TaskDataError


def _read_json(path: Path) -> Any:
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        return json.loads(raw)
    except (OSError, ValueError) as exc:
        raise TaskDataError(f"{path} is not readable JSON: {exc}") from exc


def _completions_of(entry: Any, where: str) -> tuple[str, list[str]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise TaskDataError(f"{where}: expected an object with a name and completions")
    completions = entry.get("completions")
    if not isinstance(completions, list) or not all(isinstance(c, str) for c in completions):
        raise TaskDataError(f"{where} ({entry['name']}): completions must be a list of strings")
    return entry["name"], completions


def read_completions(path: Path) -> dict[str, list[str]]:
    """Problem name -> completions, from a jsonl file or a folder of MultiPL-E completion files."""
    found: dict[str, list[str]] = {}
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.name.endswith((".json", ".json.gz")))
        entries = [(_read_json(p), str(p)) for p in files if ".results." not in p.name]
    elif path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        try:
            entries = [(json.loads(line), f"{path}:{n}") for n, line in enumerate(lines, 1) if line.strip()]
        except ValueError as exc:
            raise TaskDataError(f"{path} is not JSON lines: {exc}") from exc
    else:
        raise TaskDataError(f"{path}: no such file or folder of completions")
    for entry, where in entries:
        name, completions = _completions_of(entry, where)
        found.setdefault(name, []).extend(completions)
    return found


def read_statuses(folder: Path) -> dict[str, list[str]]:
    """Problem name -> result statuses, from the `.results.json[.gz]` files of a folder."""
    statuses: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.results.json*")):
        record = _read_json(path)
        try:
            statuses[record["name"]] = [r["status"] for r in record["results"]]
        except (KeyError, TypeError) as exc:
            raise TaskDataError(f"{path} is not a MultiPL-E results file: {exc}") from exc
    if not statuses:
        raise TaskDataError(f"{folder} holds no .results.json files")
    return statuses
