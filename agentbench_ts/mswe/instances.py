"""Multi-SWE-bench instance records (one JSON object per line), read through `datasets` and validated
by the official package's `Dataset` record, with errors that name the line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentbench_ts.errors import TaskDataError

LANGUAGES = ("typescript", "javascript")
_ALIASES = {"ts": "typescript", "js": "javascript"}


def _lines(path: Path) -> list[str]:
    from datasets import load_dataset  # noqa: PLC0415 (an optional extra)

    if not path.is_file():
        raise TaskDataError(f"{path}: no such file of Multi-SWE-bench instances")
    # One text row per line: Arrow would merge the records' test-name-keyed maps into one struct.
    return list(load_dataset("text", data_files=str(path), split="train")["text"])


def language_of(record: Any) -> str:
    """The record's `lang`, or the language folder its repository's Instance is registered under."""
    if record.lang:
        lang = str(record.lang).lower()
        return _ALIASES.get(lang, lang)
    from multi_swe_bench.harness.instance import Instance  # noqa: PLC0415

    registered = Instance._registry.get(f"{record.org}/{record.repo}")
    module = registered.__module__ if registered else ""
    return next((lang for lang in LANGUAGES if f".repos.{lang}." in module), "unknown")


def load_instances(path: Path, languages: Sequence[str] = ("typescript",)) -> list[Any]:
    """The instances of `path` in `languages`, as `multi_swe_bench.harness.dataset.Dataset` records."""
    import multi_swe_bench.harness.repos  # noqa: F401, PLC0415 (registers every official Instance)
    from multi_swe_bench.harness.dataset import Dataset  # noqa: PLC0415

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
