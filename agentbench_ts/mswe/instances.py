"""The record step: Multi-SWE-bench instance records (one JSON object per line), read through
`datasets` and validated by the official package's `Dataset` record, with errors that name the line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentbench_ts.errors import TaskDataError
from agentbench_ts.mswe.specs import load_specs, spec_language, spec_of

LANGUAGES = ("typescript", "javascript")
_ALIASES = {"ts": "typescript", "js": "javascript"}


def _lines(path: Path) -> list[str]:
    from datasets import load_dataset  # noqa: PLC0415 (an optional extra)

    if not path.is_file():
        raise TaskDataError(f"{path}: no such file of Multi-SWE-bench instances")
    # One text row per line: Arrow would merge the records' test-name-keyed maps into one struct.
    return list(load_dataset("text", data_files=str(path), split="train")["text"])


def language_of(record: Any) -> str:
    """The record's `lang`, or the language its spec declares or is registered under."""
    lang = str(record.lang).lower() if record.lang else ""
    if not lang:
        spec = spec_of(record)
        lang = spec_language(spec) if spec is not None else "unknown"
    return _ALIASES.get(lang, lang)


def load_instances(
    path: Path, languages: Sequence[str] = ("typescript",), spec_modules: Sequence[str] = ()
) -> list[Any]:
    """The instances of `path` in `languages`, as `multi_swe_bench.harness.dataset.Dataset` records;
    `spec_modules` register the users' specs first."""
    from multi_swe_bench.harness.dataset import Dataset  # noqa: PLC0415

    load_specs(spec_modules)

    instances = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            raise TaskDataError(f"{path}:{number} is not JSON: {exc}") from exc
        where = f"{raw.get('org')}/{raw.get('repo')}#{raw.get('number')}" if isinstance(raw, dict) else "?"
        try:
            record = Dataset.from_json(line)
        except Exception as exc:  # marshmallow's and the package's own errors
            raise TaskDataError(
                f"{path}:{number} ({where}) is not a Multi-SWE-bench instance: {exc}"
            ) from exc
        if language_of(record) in languages:
            instances.append(record)
    return instances
