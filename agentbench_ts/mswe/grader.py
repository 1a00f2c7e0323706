"""The 'mswe' grader: the episode's `git diff` as the fix patch, the instance's fix-run in a fresh
offline container of its image, per-test verdicts from the instance's `parse_log`, and the official
rule as the verdict. The agent's container is not used: nothing it left behind but the patch counts."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from agentbench_ts.errors import TaskDataError
from agentbench_ts.mswe.harness import HarnessConfig, evaluate_patch_run
from agentbench_ts.mswe.tasks import SUITE, task_id
from agentbench_ts.sandbox.base import Sandbox, workspace_diff
from agentbench_ts.tasks.grading import TestReport, judge, summarize_tests
from agentbench_ts.tasks.tap import TestStatus
from agentbench_ts.tasks.task import Task

_OUTPUT_TAIL = 4000


def _statuses(result: Any) -> dict[str, TestStatus]:
    tests = dict.fromkeys(sorted(result.skipped_tests), TestStatus.SKIP)
    tests.update(dict.fromkeys(sorted(result.passed_tests), TestStatus.PASS))
    tests.update(dict.fromkeys(sorted(result.failed_tests), TestStatus.FAIL))
    return tests


class MsweGrader:
    """Grades tasks made by `mswe.tasks.instance_tasks` from these records."""

    def __init__(
        self, client: Any, records: Sequence[Any], config: HarnessConfig, suite: str = SUITE
    ) -> None:
        self._client, self._config = client, config
        self._records = {task_id(record, suite): record for record in records}

    def __call__(self, task: Task, sandbox: Sandbox) -> TestReport:
        record = self._records.get(task.task_id)
        if record is None:
            raise TaskDataError(f"the mswe grader has no instance record for {task.task_id}")
        patch = workspace_diff(sandbox)
        if not patch.strip():
            return TestReport(
                resolved=False,
                exit_code=None,
                timed_out=False,
                tests={},
                missing=[],
                summary="the patch is empty: nothing was changed",
                elapsed_s=0.0,
                output_tail="",
            )
        started = time.monotonic()
        judgement, fix_run = evaluate_patch_run(self._client, record, patch, self._config)
        tests = _statuses(judgement.report.fix_patch_result)
        _, missing = judge(task, tests)  # the official rule decides; this only names what did not run
        summary = summarize_tests(tests, missing, fix_run.log, fix_run.timed_out)
        return TestReport(
            resolved=judgement.resolved and not fix_run.timed_out,
            exit_code=fix_run.exit_code,
            timed_out=fix_run.timed_out,
            tests=tests,
            missing=missing,
            summary=summary if judgement.resolved else f"{summary} ({judgement.reason})",
            elapsed_s=time.monotonic() - started,
            output_tail=fix_run.log[-_OUTPUT_TAIL:],
            harness_report=json.loads(judgement.report.json()),
        )
