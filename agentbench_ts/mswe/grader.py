"""The 'mswe' grader: the episode's `git diff` as the fix patch, the instance's fix-run in a fresh
offline container of its image, per-test verdicts from the instance's `parse_log`, and the official
rule as the verdict. The agent's container is not used: nothing it left behind but the patch counts.
The instance record travels with the task (`grader_data["instance"]`), so any run can grade it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agentbench_ts.errors import TaskDataError
from agentbench_ts.mswe.runs import fix_run
from agentbench_ts.mswe.specs import load_specs
from agentbench_ts.mswe.tasks import SPEC_MODULE_KEY
from agentbench_ts.registry import parse_options
from agentbench_ts.sandbox.base import Sandbox, workspace_diff
from agentbench_ts.sandbox.config import DockerLimits
from agentbench_ts.tasks.grading import OUTPUT_TAIL_CHARS, Grader, judge, summarize_tests
from agentbench_ts.tasks.task import Task
from agentbench_ts.verdicts import TestReport, TestStatus


class MsweGraderOptions(BaseModel):
    """How each fix-run's container is limited."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_s: float = Field(default=1800.0, gt=0)
    cpus: float = Field(default=4.0, gt=0)
    memory_gb: float = Field(default=8.0, gt=0)

    def limits(self) -> DockerLimits:
        return DockerLimits(cpus=self.cpus, memory_bytes=int(self.memory_gb * (1 << 30)), pids=4096)


def _statuses(result: Any) -> dict[str, TestStatus]:
    tests = dict.fromkeys(sorted(result.skipped_tests), TestStatus.SKIP)
    tests.update(dict.fromkeys(sorted(result.passed_tests), TestStatus.PASS))
    tests.update(dict.fromkeys(sorted(result.failed_tests), TestStatus.FAIL))
    return tests


def instance_record(task: Task) -> Any:
    """The task's Multi-SWE-bench record (the package's Dataset)."""
    from multi_swe_bench.harness.dataset import Dataset  # noqa: PLC0415 (an optional extra)

    data = task.grader_data.get("instance")
    if not isinstance(data, dict) or task.image is None:
        raise TaskDataError(f"task {task.task_id} carries no Multi-SWE-bench instance and image to grade")
    module = task.grader_data.get(SPEC_MODULE_KEY)
    load_specs([module] if isinstance(module, str) else [])
    return Dataset.from_json(json.dumps(data))


EMPTY_PATCH = "the patch is empty: nothing was changed"


class MsweGrader:
    def __init__(self, client: Any, options: MsweGraderOptions) -> None:
        self._client, self.options = client, options
        self._records: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _record(self, task: Task) -> Any:
        with self._lock:
            if task.task_id not in self._records:
                self._records[task.task_id] = instance_record(task)
            return self._records[task.task_id]

    def __call__(self, task: Task, sandbox: Sandbox) -> TestReport:
        record = self._record(task)
        patch = workspace_diff(sandbox)
        if not patch.strip():
            return TestReport(
                resolved=False,
                exit_code=None,
                timed_out=False,
                tests={},
                missing=[],
                summary=EMPTY_PATCH,
                elapsed_s=0.0,
                output_tail="",
            )
        started = time.monotonic()
        assert task.image is not None  # instance_record checked it
        judgement, run = fix_run(
            self._client,
            task.image,
            record,
            patch,
            limits=self.options.limits(),
            timeout_s=self.options.timeout_s,
        )
        tests = _statuses(judgement.report.fix_patch_result)
        _, missing = judge(task, tests)  # the official rule decides; this only names what did not run
        summary = summarize_tests(tests, missing, run.output, run.timed_out)
        return TestReport(
            resolved=judgement.resolved and not run.timed_out,
            exit_code=run.exit_code,
            timed_out=run.timed_out,
            tests=tests,
            missing=missing,
            summary=summary if judgement.resolved else f"{summary} ({judgement.reason})",
            elapsed_s=time.monotonic() - started,
            output_tail=run.output[-OUTPUT_TAIL_CHARS:],
            harness_report=json.loads(judgement.report.json()),
        )


def mswe_grader(options: Mapping[str, JsonValue]) -> Grader:
    from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415

    return MsweGrader(docker_client(), parse_options(MsweGraderOptions, options, "grader 'mswe'"))
