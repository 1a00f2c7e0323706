"""Suite and task loading: broken data gets a clear TaskDataError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentbench_ts.errors import TaskDataError
from agentbench_ts.tasks import load_suite

from conftest import write_tree

SUITE = json.dumps({"name": "s", "test_command": "true"})
TASK = {"name": "t", "instructions": "fix", "fail_to_pass": ["a test"]}


def _suite(root: Path, task: dict[str, object] | str, extra: dict[str, str] | None = None) -> Path:
    body = task if isinstance(task, str) else json.dumps(task)
    return write_tree(
        root, {"suite.json": SUITE, "t/task.json": body, "t/repo/src/a.ts": "x", **(extra or {})}
    )


def test_a_well_formed_suite_loads(tmp_path: Path) -> None:
    (task,) = load_suite(_suite(tmp_path, TASK, {"t/gold/src/a.ts": "y"}))
    assert task.task_id == "s/t" and task.fail_to_pass == ("a test",)
    assert task.gold_files() == {"src/a.ts": "y"}


@pytest.mark.parametrize(
    ("task", "extra", "message"),
    [
        ("{not json", {}, "is not valid JSON"),
        ({**TASK, "fail_to_pass": []}, {}, "no fail_to_pass tests"),
        ({**TASK, "name": "other"}, {}, "names 'other'; the folder is 't'"),
        ({k: v for k, v in TASK.items() if k != "instructions"}, {}, "instructions"),
        ({**TASK, "surprise": 1}, {}, "surprise"),
        (TASK, {"t/gold/src/missing.ts": "y"}, "has no counterpart"),
    ],
    ids=["bad-json", "no-f2p", "name-mismatch", "missing-field", "unknown-field", "gold-without-counterpart"],
)
def test_broken_task_data_is_reported_clearly(
    tmp_path: Path, task: dict[str, object] | str, extra: dict[str, str], message: str
) -> None:
    with pytest.raises(TaskDataError, match=message):
        load_suite(_suite(tmp_path, task, extra))


def test_a_missing_suite_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TaskDataError, match=r"missing .*suite.json"):
        load_suite(tmp_path)


def test_a_task_without_a_repo_is_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"suite.json": SUITE, "t/task.json": json.dumps(TASK)})
    with pytest.raises(TaskDataError, match="has no repo/ folder"):
        load_suite(tmp_path)


def test_asking_for_an_unknown_task_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TaskDataError, match="no such task"):
        load_suite(_suite(tmp_path, TASK), only=["nope"])
