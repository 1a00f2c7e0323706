"""Reading back extractions and task lists to check one dataset against another's evaluation tasks."""

from __future__ import annotations

from pathlib import Path

from datasets import DatasetDict, load_from_disk

from agentbench_ts.errors import ExtractError
from agentbench_ts.extract.dataset import task_ids
from agentbench_ts.extract.export import DATASET_DIR
from agentbench_ts.extract.selection import read_task_ids


def load_extraction(path: Path) -> DatasetDict:
    """An extraction folder (with dataset/ inside) or a DatasetDict saved anywhere."""
    folder = path / DATASET_DIR if (path / DATASET_DIR).is_dir() else path
    try:
        data = load_from_disk(str(folder))
    except (FileNotFoundError, ValueError) as exc:
        raise ExtractError(f"{path} holds no saved dataset: {exc}") from exc
    if not isinstance(data, DatasetDict):
        raise ExtractError(f"{path} holds one Dataset, not a DatasetDict with named splits")
    return data


def forbidden_tasks(source: Path, train: tuple[str, ...]) -> dict[str, str]:
    """Task id -> where it was found: every id of a task-list file, or of an extraction's
    evaluation splits (those not named in `train`)."""
    if source.is_file():
        return dict.fromkeys(read_task_ids(source), str(source))
    data = load_extraction(source)
    evaluation = [name for name in data if name not in train]
    return {task: f"{source}:{name}" for name, ids in task_ids(data, evaluation).items() for task in ids}
