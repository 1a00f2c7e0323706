"""Flaky tasks: each task's gold fix run K times before the items; a verdict that changes marks the task
flaky. The verdicts are kept in RUN_DIR/gold_checks.json, so workers and later runs read them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from agentbench_ts.plumbing.jsonl import write_atomically
from agentbench_ts.sandbox.registry import SandboxFactory
from agentbench_ts.tasks.grading import Grader
from agentbench_ts.tasks.task import Task
from agentbench_ts.tasks.validate import gold_resolves

Log = Callable[[str], None]
GOLD_FILE = "gold_checks.json"
Verdict = bool | str
"""resolved or not, or the error that kept the gold run from a verdict."""


@dataclass(frozen=True)
class GoldChecks:
    run_dir: Path
    times: int

    @property
    def path(self) -> Path:
        return self.run_dir / GOLD_FILE

    def verdicts(self) -> dict[str, list[Verdict]]:
        """Task id -> its gold verdicts, as checked with this many reruns (none when not checked)."""
        if not self.times or not self.path.is_file():
            return {}
        recorded = json.loads(self.path.read_text(encoding="utf-8"))
        checked: dict[str, list[Verdict]] = recorded.get(str(self.times), {})
        return checked

    def check(
        self, tasks: Sequence[Task], make_sandbox: SandboxFactory, graders: Mapping[str, Grader], log: Log
    ) -> None:
        done = self.verdicts()
        todo = [task for task in tasks if task.task_id not in done and task.gold_files()]
        if not todo:
            return
        log(f"agentbench: running the gold fix of {len(todo)} task(s) {self.times} times each ...")

        def verdict(task: Task) -> Verdict:
            try:
                return gold_resolves(task, make_sandbox, graders[task.grader])
            except Exception as exc:  # a harness failure is no verdict on the task
                return f"{type(exc).__name__}: {exc}"

        runs = [task for task in todo for _ in range(self.times)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(verdict, runs))
        for task in todo:
            done[task.task_id] = [r for t, r in zip(runs, results, strict=True) if t is task]
        recorded = json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
        recorded[str(self.times)] = done
        write_atomically(self.path, json.dumps(recorded, indent=1, sort_keys=True) + "\n")

    def flaky(self) -> dict[str, str]:
        """Task id -> why it is flaky: its gold fix resolved it in some runs and not in others."""
        found = {}
        for task_id, verdicts in self.verdicts().items():
            booleans = [v for v in verdicts if isinstance(v, bool)]
            if len(set(booleans)) > 1:
                found[task_id] = f"flaky: the gold fix resolved it in {sum(booleans)} of {len(booleans)} runs"
        return found

    def broken(self) -> dict[str, str]:
        """Task id -> why its gold fix never resolved it (or never got a verdict)."""
        found = {}
        for task_id, verdicts in self.verdicts().items():
            if any(v is True for v in verdicts):
                continue
            errors = [v for v in verdicts if isinstance(v, str)]
            if len(errors) == len(verdicts):
                found[task_id] = f"the gold run never got a verdict: {errors[-1][:200]}"
            else:
                found[task_id] = f"the gold fix resolved it in none of {len(verdicts)} runs"
        return found
