"""MultiPL-E problem records, loaded through `datasets` from local jsonl/parquet or the hub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agentbench_ts.errors import TaskDataError

HUB_ID = "nuprl/MultiPL-E"
CONFIGS = ("humaneval-ts", "mbpp-ts")
_BUILDERS = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}


class MultiPLERecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    language: str
    prompt: str
    doctests: str
    original: str
    prompt_terminology: str
    tests: str
    stop_tokens: list[str]


def _rows(source: str | Path, config: str | None) -> Any:
    from datasets import load_dataset  # noqa: PLC0415 (an optional extra)

    path = Path(source)
    if path.is_file():
        builder = _BUILDERS.get(path.suffix)
        if builder is None:
            raise TaskDataError(f"{path}: MultiPL-E records are read from {', '.join(_BUILDERS)} files")
        return load_dataset(builder, data_files=str(path), split="train")
    if path.suffix in _BUILDERS or "/" not in str(source) or str(source).startswith((".", "/")):
        raise TaskDataError(f"{source}: no such file (give a jsonl/parquet file or the hub id {HUB_ID})")
    if config not in CONFIGS:
        raise TaskDataError(f"{source} needs a config, one of {CONFIGS}")
    try:
        return load_dataset(str(source), config, split="test")
    except Exception as exc:  # the hub raises many kinds; all mean the same to a user here
        raise TaskDataError(f"cannot load {source} ({config}) from the hub: {exc}") from exc


def load_records(source: str | Path, config: str | None = None, language: str = "ts") -> list[MultiPLERecord]:
    """Every record of a MultiPL-E file or hub config; a malformed one is an error naming its row."""
    records: list[MultiPLERecord] = []
    for number, row in enumerate(_rows(source, config), start=1):
        try:
            record = MultiPLERecord.model_validate(row)
        except ValidationError as exc:
            name = row.get("name", "?") if isinstance(row, dict) else "?"
            raise TaskDataError(f"{source} row {number} ({name}) is not a MultiPL-E record: {exc}") from exc
        if record.language != language:
            raise TaskDataError(
                f"{source} row {number} ({record.name}) is {record.language!r}, not {language!r}"
            )
        records.append(record)
    names = [r.name for r in records]
    if len(set(names)) != len(names):
        raise TaskDataError(f"{source} holds a problem name twice")
    return records
