"""Real runs of mixed quality for extraction tests: scripted replies played through the agent loop
on small JavaScript tasks, so every trace is exactly what the harness records.

Task A, run "strict" (4 samples, strict parsing):
  s0 resolved: list, read, write(fix), done
  s1 failed:   list, read, write(wrong), done
  s2 resolved: "not json", list, read, read (repeat), write(fix), done
  s3 budget:   fenced list (no action), read ../../etc/passwd (refused), list, list, list (loop)
Run "lenient" (1 sample each, lenient parsing):
  task A resolved: fenced list (recovered), read, write(fix), done
  task B resolved: list, read, write(fix), done
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.models.scripted import ReplayModel
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.tasks.task import Task

from conftest import FIXED_ADD, make_js_task

LIST = ToolCall("list_files", {"rel_dir": "."}).to_json()
READ = ToolCall("read_file", {"rel_path": "src/add.js"}).to_json()
FIX = ToolCall("write_file", {"rel_path": "src/add.js", "content": FIXED_ADD}).to_json()
WRONG = ToolCall(
    "write_file", {"rel_path": "src/add.js", "content": "exports.add = (a, b) => a * b;\n"}
).to_json()
ESCAPE = ToolCall("read_file", {"rel_path": "../../etc/passwd"}).to_json()
DONE = Final("done", "fixed").to_json()

STRICT_SCRIPTS = {
    "toy/a": [
        [LIST, READ, FIX, DONE],
        [LIST, READ, WRONG, DONE],
        ["not json", LIST, READ, READ, FIX, DONE],
        [f"```json\n{LIST}\n```", ESCAPE, LIST, LIST, LIST],
    ]
}
LENIENT_SCRIPTS = {
    "toy/a": [[f"```json\n{LIST}\n```\n", READ, FIX, DONE]],
    "toy/b": [[LIST, READ, FIX, DONE]],
}


def make_tasks(root: Path) -> dict[str, Task]:
    a = make_js_task(root / "a", "toy/a")
    b = make_js_task(root / "b", "toy/b").model_copy(
        update={
            "instructions": "Task B: add(a, b) in src/add.js must return the sum. Fix it.",
            "split": "test",
        }
    )
    return {"toy/a": a, "toy/b": b}


def _scripted(scripts: dict[str, list[list[str]]]) -> Callable[[Task], ReplayModel]:
    queues = {task_id: list(samples) for task_id, samples in scripts.items()}

    def build(task: Task) -> ReplayModel:
        return ReplayModel(queues[task.task_id].pop(0), name="scripted")

    return build


def record_mixed_runs(root: Path, make_sandbox: Callable[[Task], Sandbox]) -> tuple[Path, Path]:
    tasks = make_tasks(root / "tasks")
    strict_dir, lenient_dir = root / "strict", root / "lenient"
    run_tasks(
        RunConfig(out_dir=strict_dir, model=ModelConfig(spec="scripted"), samples=4),
        tasks=[tasks["toy/a"]],
        make_model=_scripted(STRICT_SCRIPTS),
        make_sandbox=make_sandbox,
    )
    run_tasks(
        RunConfig(
            out_dir=lenient_dir, model=ModelConfig(spec="scripted"), agent=AgentConfig(lenient_parsing=True)
        ),
        tasks=[tasks["toy/a"], tasks["toy/b"]],
        make_model=_scripted(LENIENT_SCRIPTS),
        make_sandbox=make_sandbox,
    )
    return strict_dir, lenient_dir
