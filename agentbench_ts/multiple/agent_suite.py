"""Export agent-mode MultiPL-E tasks as a suite folder (the bundled-suite format), for sharing or
editing by hand. Runs do not need it: `--tasks multiple:FILE` makes the same tasks directly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from agentbench_ts.errors import TaskDataError
from agentbench_ts.multiple.agent_tasks import TOOLCHAIN, MultipleSource
from agentbench_ts.sandbox.toolchain import LOCK_FILES
from agentbench_ts.tasks.sources import LoadedTasks


def export_suite(source: MultipleSource, out_dir: Path) -> Path:
    """Write the source's tasks as `out_dir/suite.json` + one folder per task; the toolchain is
    referenced by its lock files (installed on first use)."""
    loaded: LoadedTasks = source.load()
    if out_dir.exists() and any(out_dir.iterdir()):
        raise TaskDataError(f"{out_dir} is not empty")
    if not loaded.tasks:
        raise TaskDataError("no problems to export")
    (out_dir / "toolchain").mkdir(parents=True)
    for name in LOCK_FILES:
        shutil.copyfile(TOOLCHAIN / name, out_dir / "toolchain" / name)
    first = loaded.tasks[0]
    suite = {
        "schema_version": 1,
        "name": first.suite,
        "description": "MultiPL-E problems as repository tasks, graded with MultiPL-E's verdicts.",
        "toolchain": "toolchain",
        "test_command": "true",
        "test_timeout_s": first.test_timeout_s,
    }
    (out_dir / "suite.json").write_text(json.dumps(suite, indent=2) + "\n")
    for task in loaded.tasks:
        name = task.task_id.rsplit("/", 1)[-1]
        shutil.copytree(task.repo_dir, out_dir / name / "repo")
        if task.gold_dir is not None:
            shutil.copytree(task.gold_dir, out_dir / name / "gold")
        spec = {
            "schema_version": 1,
            "name": name,
            "instructions": task.instructions,
            "test_command": task.test_command,
            "fail_to_pass": list(task.fail_to_pass),
        }
        (out_dir / name / "task.json").write_text(json.dumps(spec, indent=2) + "\n")
    return out_dir
