"""MultiPL-E problem records, loaded through `datasets` from local jsonl/parquet or the hub."""

from __future__ import annotations

import re
import warnings
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


class BarePromptWarning(UserWarning):
    """Records whose prompts have description lines that are not comments."""


_CODE_START = re.compile(r"^\s*(?:function|import|declare|const|let|var|type|interface|class|export)\b")


def bare_description_lines(prompt: str) -> list[int]:
    """Indexes of the prompt's lines before its code that are neither comments nor blank: TypeScript
    cannot parse them, so no completion appended to the prompt compiles."""
    bare = []
    for index, line in enumerate(prompt.split("\n")):
        if _CODE_START.match(line):
            break
        if line.strip() and not line.lstrip().startswith(("//", "/*", "*")):
            bare.append(index)
    return bare


def comment_prompt(prompt: str) -> str:
    """The prompt with its bare description lines made `// ` comments (the hub's form)."""
    lines = prompt.split("\n")
    for index in bare_description_lines(prompt):
        lines[index] = "// " + lines[index].strip()
    return "\n".join(lines)


def _bare_prompts(
    records: list[MultiPLERecord], source: str | Path, comment_prompts: bool
) -> list[MultiPLERecord]:
    bare = [r for r in records if bare_description_lines(r.prompt)]
    if not bare:
        return records
    if comment_prompts:
        return [r.model_copy(update={"prompt": comment_prompt(r.prompt)}) for r in records]
    warnings.warn(
        BarePromptWarning(
            f"{source}: {len(bare)} of {len(records)} prompts (e.g. {bare[0].name}) have description lines"
            " that are not // comments (the MultiPL-E repository's form, not the hub's): no completion can"
            " compile after them, so every program fails. Load with --comment-prompts"
            " (comment_prompts=True) to make them comments."
        ),
        stacklevel=3,
    )
    return records


def load_records(
    source: str | Path, config: str | None = None, language: str = "ts", *, comment_prompts: bool = False
) -> list[MultiPLERecord]:
    """Every record of a MultiPL-E file or hub config; a malformed one is an error naming its row.
    Prompts with bare description lines are warned about once, or made comments (`comment_prompts`)."""
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
    return _bare_prompts(records, source, comment_prompts)
