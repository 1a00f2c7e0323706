"""One pytest item per (task, sample), named `SPEC::task_id[sample]`.

The episode runs in the item's setup, so a harness failure (a sandbox, an image, a model server that
stays unreachable) is a pytest *error*, while the model's own result decides pass or fail in the call:
resolved passes; failed, budget and timeout fail with a readable report. A pair already in the store is
reported from it without running again (`--agentbench-rerun-failed` runs failures again as new samples)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from agentbench_ts.pytest_plugin.state import TaskRun
    from agentbench_ts.tasks.task import Task
    from agentbench_ts.traces.records import EpisodeRecord

RUN_KEY = pytest.StashKey["TaskRun"]()
OUTPUT_TAIL_LINES = 15


class HarnessError(Exception):
    """The harness, not the model, kept the episode from a verdict."""


class EpisodeFailedError(Exception):
    """The model's episode ended without resolving the task."""


class SourceNode(pytest.Collector):
    """The items of one task source (its spec is the first part of their ids)."""

    def collect(self) -> list[pytest.Item]:  # pragma: no cover - built directly, never collected
        return []


class TaskItem(pytest.Item):
    def __init__(self, *, task: Task, sample: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task, self.sample = task, sample
        self.record: EpisodeRecord | None = None
        self.from_store = False

    @property
    def run(self) -> TaskRun:
        return self.config.stash[RUN_KEY]

    def setup(self) -> None:
        recorded = self.run.attempts(self.task.task_id, self.sample)
        latest = recorded[-1] if recorded else None
        if latest is not None and not (self.run.rerun_failed and latest.outcome != "resolved"):
            self.record, self.from_store = latest, True
        else:
            self.record = self._run_episode(self.sample + len(recorded) * self.run.config.samples)
        self._describe(self.record)
        if self.record.outcome == "error":
            raise HarnessError(self.record.error or self.record.stop_reason)

    def _run_episode(self, sample_index: int) -> EpisodeRecord:
        from agentbench_ts.pytest_plugin.orphans import exit_if_cancelled  # noqa: PLC0415
        from agentbench_ts.runner.run import run_one  # noqa: PLC0415 (loaded only when items run)

        run = self.run
        make_model, make_sandbox = run.factories()
        run.busy.set()
        try:
            record = run_one(
                run.info,
                self.task,
                sample_index,
                make_model=make_model,
                make_sandbox=make_sandbox,
                grader=run.graders[self.task.grader],
                agent=run.config.agent,
                cancel=run.cancel,
            )
        finally:
            run.busy.clear()
        exit_if_cancelled(run.cancel)
        run.store.append(record)
        return record

    def _describe(self, record: EpisodeRecord) -> None:
        for name, value in (
            ("task_id", record.task_id),
            ("sample_index", record.sample_index),
            ("episode_id", record.episode_id),
            ("outcome", record.outcome),
            ("stop_reason", record.stop_reason),
            ("steps", record.metrics.steps),
            ("parse_errors", record.metrics.parse_errors),
            ("prompt_tokens", record.metrics.prompt_tokens),
            ("completion_tokens", record.metrics.completion_tokens),
            ("from_store", self.from_store),
        ):
            self.user_properties.append((f"agentbench_{name}", value))

    def runtest(self) -> None:
        assert self.record is not None
        if self.record.outcome != "resolved":
            raise EpisodeFailedError(self.record.outcome)

    def _where(self, record: EpisodeRecord) -> str:
        return f"trace: {self.run.store.episodes_path.resolve()} (episode {record.episode_id})"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if self.record is None or not isinstance(excinfo.value, EpisodeFailedError):
            return str(super().repr_failure(excinfo, style))
        return failure_report(self.record, self._where(self.record))

    def harness_report(self) -> str:
        """What a setup error says (the plugin puts it in the report instead of a traceback)."""
        record = self.record
        assert record is not None
        error = (record.error or "").strip().splitlines()
        return "\n".join(
            [
                f"harness error, not a model failure ({record.stop_reason}); left out of the resolved "
                "rate and of training data:",
                *error[-OUTPUT_TAIL_LINES:],
                self._where(record),
            ]
        )

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.run.store.episodes_path, None, f"{self.task.task_id} sample {self.sample}"


def failure_report(record: EpisodeRecord, where: str) -> str:
    metrics, tests = record.metrics, record.final_tests
    files = sum(line.startswith("diff --git") for line in (record.patch or "").splitlines())
    lines = [
        f"{record.task_id} sample {record.sample_index}: {record.outcome} ({record.stop_reason}) after "
        f"{metrics.steps} steps, {metrics.parse_errors} parse errors",
        f"patch: {files} file(s), {len(record.patch or '')} bytes",
    ]
    if tests is not None:
        lines.append(f"last tests: {tests.summary}")
        lines += [f"  {line}" for line in tests.output_tail.strip().splitlines()[-OUTPUT_TAIL_LINES:]]
    else:
        lines.append("last tests: not run")
    return "\n".join([*lines, where])


class SkippedTaskItem(pytest.Item):
    """A task its source could not prepare (an image that does not build, ...): a harness error."""

    def __init__(self, *, reason: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reason = reason

    def setup(self) -> None:
        self.user_properties += [
            ("agentbench_task_id", self.name),
            ("agentbench_outcome", "error"),
            ("agentbench_stop_reason", "not_prepared"),
        ]
        raise HarnessError(self.reason)

    def runtest(self) -> None:  # pragma: no cover - setup always raises
        pass

    def harness_report(self) -> str:
        return f"harness error: the task could not be prepared: {self.reason}"

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return Path(self.name), None, self.name
