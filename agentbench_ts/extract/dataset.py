"""Rows -> one `datasets.DatasetDict` with a named split per task split, and the leakage check."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
from datasets import Dataset, DatasetDict, DatasetInfo, Features, List, Value
from datasets.table import InMemoryTable

from agentbench_ts.errors import LeakageError
from agentbench_ts.extract.splits import SplitSpec

MESSAGES = List({"role": Value("string"), "content": Value("string")})
_TEXT = Value("string")

_ROW_METADATA = {
    "task_id": _TEXT,
    "episode_id": _TEXT,
    "step": Value("int32"),
    "run_id": _TEXT,
    "model": _TEXT,
    "outcome": _TEXT,
    "suite": _TEXT,
}
SFT_FEATURES = {
    "messages": Features({"messages": MESSAGES, **_ROW_METADATA}),
    "prompt-completion": Features({"prompt": MESSAGES, "completion": MESSAGES, **_ROW_METADATA}),
}
_PAIR_METADATA = {
    "task_id": _TEXT,
    "step": Value("int32"),
    "source": _TEXT,
    "run_id": _TEXT,
    "model": _TEXT,
    "chosen_episode_id": _TEXT,
    "rejected_episode_id": _TEXT,
}
DPO_FEATURES = {
    "trl": Features({"prompt": MESSAGES, "chosen": MESSAGES, "rejected": MESSAGES, **_PAIR_METADATA}),
    "together": Features(
        {
            "input": {"messages": MESSAGES},
            "preferred_output": MESSAGES,
            "non_preferred_output": MESSAGES,
            **_PAIR_METADATA,
        }
    ),
}


def dataset_dict(
    rows: Iterable[dict[str, Any]], splits: SplitSpec, features: Features, fingerprint: str
) -> tuple[DatasetDict, dict[str, int]]:
    """Every split of `splits` is present, empty or not, so consumers can rely on the names.

    `fingerprint` names the content (inputs + options): datasets would otherwise hash every byte of
    the table to make one, which costs more than building it.
    """
    by_split: dict[str, list[dict[str, Any]]] = {name: [] for name in splits.names}
    for row in rows:
        by_split[splits.split_of(row["task_id"])].append(row)
    data = DatasetDict(
        {
            name: _dataset(
                split_rows, features, hashlib.sha256(f"{fingerprint}:{name}".encode()).hexdigest()[:16]
            )
            for name, split_rows in by_split.items()
        }
    )
    return data, {name: len(split_rows) for name, split_rows in by_split.items()}


def _dataset(rows: list[dict[str, Any]], features: Features, fingerprint: str) -> Dataset:
    table = pa.Table.from_pylist(rows, schema=features.arrow_schema)
    return Dataset(InMemoryTable(table), info=DatasetInfo(features=features), fingerprint=fingerprint)


def task_ids(data: DatasetDict, names: Iterable[str]) -> dict[str, set[str]]:
    return {name: set(data[name].unique("task_id")) for name in names if name in data}


def check_leakage(data: DatasetDict, train: Iterable[str], forbidden: Mapping[str, str]) -> None:
    """Fail when a training split holds a task that `forbidden` (task id -> where it belongs) claims."""
    leaks = [
        f"{task} in {split} (belongs to {forbidden[task]})"
        for split, ids in task_ids(data, train).items()
        for task in sorted(ids & forbidden.keys())
    ]
    if leaks:
        shown = "; ".join(leaks[:10]) + (f"; and {len(leaks) - 10} more" if len(leaks) > 10 else "")
        raise LeakageError(f"{len(leaks)} evaluation task(s) appear in training data: {shown}")


def evaluation_tasks(data: DatasetDict, splits: SplitSpec) -> dict[str, str]:
    """Task id -> evaluation split name, for every evaluation split of `data`."""
    return {task: name for name, ids in task_ids(data, splits.evaluation).items() for task in ids}
