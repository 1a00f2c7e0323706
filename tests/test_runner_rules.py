"""The runner's rules that test_traces.py does not pin one by one: what a run records of itself, what
an episode record holds (phase times that add up, the model's name even when it never started),
progress counts with retries, the wait before a retry and its cancellation, the error of a changed
task list, and the result files of sources that write their own (each gets its own episodes)."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from failing_sandboxes import FailingSandboxes
from plugin_demo import DemoOptions, DemoSource

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.models.options import ModelOptions, SamplingParams
from agentbench_ts.models.registry import model_factory
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.runner import run as runner
from agentbench_ts.runner.config import ModelConfig, RetryPolicy, default_cache_dir
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import SandboxFactory
from agentbench_ts.tasks.graders import graders_for
from agentbench_ts.tasks.sources import LoadedTasks, RecordedEpisode, SourceContext
from agentbench_ts.tasks.task import Task

REPO = Path(__file__).resolve().parents[1]


def _copies(task: Task, n: int) -> list[Task]:
    return [task.model_copy(update={"task_id": f"toy/add-{i}", "split": f"s{i}"}) for i in range(n)]


def test_a_run_records_its_recipe_commit_and_id(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    options = ModelOptions(sampling=SamplingParams(temperature=0.7))
    config = RunConfig(
        out_dir=tmp_path / "my-run",
        model=ModelConfig(spec="oracle", options=options),
        graders={"plugin_demo:demo_grader": {"min_passed": 1}},
    )
    task = js_task.model_copy(update={"grader": "plugin_demo:demo_grader"})
    result = run_tasks(config, tasks=[task], make_model=model_factory("oracle"), make_sandbox=make_sandbox)
    info = result.store.run_info()
    assert re.fullmatch(r"my-run-[0-9a-f]{8}", info.run_id)
    assert (
        info.sampling == options.model_dump(mode="json") and info.sampling["sampling"]["temperature"] == 0.7
    )
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    assert info.git_sha == (head.stdout.strip() or None)
    created = datetime.fromisoformat(info.created_at)
    assert created.utcoffset() == timedelta(0) and created.microsecond == 0
    assert result.config.graders == {"plugin_demo:demo_grader": {"min_passed": 1}} and info.config is not None
    assert info.config["graders"] == result.config.graders


def test_an_episode_record_holds_its_task_and_phase_times_that_add_up(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    [task] = _copies(js_task, 1)
    store = run_tasks(
        RunConfig(out_dir=tmp_path / "run"),
        tasks=[task],
        make_model=model_factory("oracle"),
        make_sandbox=make_sandbox,
    ).store
    [record] = list(store.episodes())
    assert (record.split, record.attempt, record.model) == ("s0", 0, "oracle")
    assert all(set(message) == {"role", "content"} for message in record.messages)
    assert record.messages[1]["content"] == task.instructions
    timings = record.timings
    assert set(timings) == {"sandbox_s", "agent_s", "grading_s"}
    assert all(0 <= value <= record.wall_s for value in timings.values())
    assert sum(timings.values()) <= record.wall_s + 0.01
    assert timings == {key: round(value, 3) for key, value in timings.items()}
    assert record.final_tests is not None and timings["grading_s"] == round(record.final_tests.elapsed_s, 3)
    assert record.wall_s < 60


def test_an_episode_whose_model_never_started_is_recorded_under_the_runs_model(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    def no_model(task: Task) -> object:
        raise OSError("the weights are not there")

    store = run_tasks(
        RunConfig(
            out_dir=tmp_path / "run", model=ModelConfig(spec="hf:/nowhere"), retry=RetryPolicy(attempts=1)
        ),
        tasks=[js_task],
        make_model=no_model,  # type: ignore[arg-type]
        make_sandbox=make_sandbox,
    ).store
    [record] = list(store.episodes())
    assert (record.model, record.outcome, record.stop_reason) == ("hf:/nowhere", "error", "harness_error")
    assert record.error is not None
    assert record.error.startswith("Traceback (most recent call last):\n") and record.error.endswith(
        "OSError: the weights are not there"
    )
    assert record.timings == {}


def test_progress_counts_every_finished_attempt_and_grows_with_retries(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    seen: list[tuple[str, int, int, int]] = []
    run_tasks(
        RunConfig(out_dir=tmp_path / "run", retry=RetryPolicy(backoff_s=0)),
        tasks=[js_task],
        make_model=model_factory("oracle"),
        make_sandbox=FailingSandboxes(make_sandbox, js_task.task_id, times=2),
        on_episode=lambda record, done, total: seen.append((record.outcome, record.attempt, done, total)),
    )
    assert seen == [("error", 0, 1, 2), ("error", 1, 2, 3), ("resolved", 2, 3, 3)]


def test_a_retry_waits_its_backoff_unless_the_run_is_cancelled(
    monkeypatch: pytest.MonkeyPatch, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    info = runner.new_run_info(RunConfig(out_dir=Path("/unused")), [js_task])
    grader = graders_for([js_task], {})["tap"]
    common = {"make_model": model_factory("oracle"), "make_sandbox": make_sandbox, "grader": grader}
    slept: list[float] = []
    monkeypatch.setattr(runner, "time", SimpleNamespace(monotonic=time.monotonic, sleep=slept.append))
    first = runner.run_one(info, js_task, 0, agent=AgentConfig(), **common)  # type: ignore[arg-type]
    assert slept == [] and first.attempt == 0 and first.outcome == "resolved"
    runner.run_one(info, js_task, 0, agent=AgentConfig(), delay_s=0.25, **common)  # type: ignore[arg-type]
    assert slept == [0.25]
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    cancelled = runner.run_one(
        info,
        js_task,
        0,
        agent=AgentConfig(),
        cancel=cancel,
        delay_s=30,
        attempt=2,
        **common,  # type: ignore[arg-type]
    )
    assert time.monotonic() - started < 15 and slept == [0.25]  # waited on the event, not in sleep
    assert cancelled.attempt == 2 and cancelled.stop_reason == "cancelled"


def test_six_changed_tasks_name_five_and_one_more(tmp_path: Path) -> None:
    from test_resume_rules import NEW, OLD, _info_with

    from agentbench_ts.errors import TraceStoreError
    from agentbench_ts.traces.store import TraceStore

    store = TraceStore(tmp_path / "run")
    _info_with(store, {f"t{i}": OLD for i in range(6)})
    with pytest.raises(TraceStoreError) as refused:
        runner._changed_tasks(store, store.run_info(), {f"t{i}": NEW for i in range(6)}, accept=False)
    assert str(refused.value) == (
        f"{store.run_dir}: task(s) changed since this run recorded them: t0, t1, t2, t3, t4 and 1 more. "
        "Resume with --new-task-version to run them anew as a new version, or use a new --out"
    )


class WritingSource(DemoSource):
    """The demo source, writing a result file of its own from its episodes (as Multi-SWE-bench does)."""

    def load(self) -> LoadedTasks:
        loaded = super().load()
        return LoadedTasks(loaded.tasks, {f"demo/{self.name}-broken": "its image did not build"})

    def write_results(
        self, episodes: Sequence[RecordedEpisode], skipped: Mapping[str, str], out_dir: Path
    ) -> list[Path]:
        path = out_dir / f"{self.name}-results.txt"
        lines = sorted(f"{e.task_id} {e.outcome}" for e in episodes) + sorted(skipped)
        path.write_text("\n".join(lines) + "\n")
        return [path]


def writing_source(argument: str, options: Mapping[str, object], context: SourceContext) -> WritingSource:
    return WritingSource(argument, DemoOptions(copies=2), context)


def test_each_source_that_writes_results_gets_its_own_episodes_and_skipped_tasks(
    tmp_path: Path, path_env: str
) -> None:
    from agentbench_ts.tasks.sources import TaskSourceSpec

    config = RunConfig(
        out_dir=tmp_path / "run",
        tasks=(
            TaskSourceSpec.parse("test_runner_rules:writing_source:one"),
            TaskSourceSpec.parse("test_runner_rules:writing_source:two"),
        ),
        cache_dir=tmp_path / "cache",
        sandbox=LocalSandboxConfig(path_env=path_env),
    )
    result = run_tasks(config)
    assert result.written == [tmp_path / "run" / "one-results.txt", tmp_path / "run" / "two-results.txt"]
    assert (tmp_path / "run" / "one-results.txt").read_text() == (
        "demo/one-0 resolved\ndemo/one-1 resolved\ndemo/one-broken\n"
    )
    assert result.skipped == {
        "demo/one-broken": "its image did not build",
        "demo/two-broken": "its image did not build",
    }
    assert result.store.run_info().skipped == result.skipped
    assert len(result.episodes()) == 4


def test_the_default_cache_and_a_configs_source_context(tmp_path: Path) -> None:
    import tempfile

    assert default_cache_dir() == Path(tempfile.gettempdir()) / "agentbench-cache"
    lines: list[str] = []
    sandbox = LocalSandboxConfig(path_env="/bin")
    config = RunConfig(
        out_dir=tmp_path, base_dir=tmp_path / "base", cache_dir=tmp_path / "cache", sandbox=sandbox
    )
    context = config.source_context(lines.append)
    assert (context.base_dir, context.cache_dir, context.sandbox) == (
        tmp_path / "base",
        tmp_path / "cache",
        sandbox,
    )
    context.log("hello")
    assert lines == ["hello"]
