"""The trace store and the runner: records, torn lines, resume, failures kept as records."""

from __future__ import annotations

from pathlib import Path

import pytest
from failing_sandboxes import FailingSandboxes

from agentbench_ts.errors import TraceStoreError
from agentbench_ts.models.registry import model_factory
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.runner.config import RetryPolicy
from agentbench_ts.sandbox.base import Sandbox, SandboxSpec
from agentbench_ts.sandbox.registry import SandboxFactory
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces import TraceStore


def _copies(task: Task, n: int) -> list[Task]:
    return [task.model_copy(update={"task_id": f"toy/add-{i}"}) for i in range(n)]


def test_a_run_records_one_episode_per_task_and_sample(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    config = RunConfig(out_dir=tmp_path / "run", samples=2)
    store = run_tasks(
        config, tasks=_copies(js_task, 2), make_model=model_factory("oracle"), make_sandbox=make_sandbox
    ).store
    records = list(store.episodes())
    assert sorted(r.key for r in records) == [
        ("toy/add-0", 0),
        ("toy/add-0", 1),
        ("toy/add-1", 0),
        ("toy/add-1", 1),
    ]
    assert all(r.outcome == "resolved" and r.schema_version == 1 for r in records)
    info = store.run_info()
    assert info.model == "oracle" and info.samples == 2 and info.task_ids == ["toy/add-0", "toy/add-1"]


def test_rerunning_the_same_directory_skips_finished_episodes(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    config = RunConfig(out_dir=tmp_path / "run")
    tasks = _copies(js_task, 3)
    run_tasks(config, tasks=tasks[:2], make_model=model_factory("oracle"), make_sandbox=make_sandbox)
    store = run_tasks(
        config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=make_sandbox
    ).store
    assert sorted(r.task_id for r in store.episodes()) == ["toy/add-0", "toy/add-1", "toy/add-2"]


def test_resume_reruns_exactly_the_lost_sample_of_a_task(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    """Two samples per task; the line of sample 1 of one task is lost: resume runs that pair only."""
    config = RunConfig(out_dir=tmp_path / "run", samples=2)
    tasks = _copies(js_task, 2)
    store = run_tasks(
        config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=make_sandbox
    ).store
    lines = store.episodes_path.read_text().splitlines(keepends=True)
    lost = next(
        i for i, line in enumerate(lines) if '"task_id":"toy/add-1"' in line and '"sample_index":1' in line
    )
    store.episodes_path.write_text("".join(lines[:lost] + lines[lost + 1 :]))
    ran: list[str] = []

    def counting(spec: SandboxSpec) -> Sandbox:
        ran.append(spec.name)
        return make_sandbox(spec)

    store = run_tasks(config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=counting).store
    assert ran == ["toy/add-1"]
    pairs = sorted((r.task_id, r.sample_index) for r in store.episodes())
    assert pairs == [("toy/add-0", 0), ("toy/add-0", 1), ("toy/add-1", 0), ("toy/add-1", 1)]


def test_resuming_with_another_configuration_is_refused(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    run_tasks(
        RunConfig(out_dir=tmp_path / "run"),
        tasks=[js_task],
        make_model=model_factory("oracle"),
        make_sandbox=make_sandbox,
    )
    other = RunConfig(out_dir=tmp_path / "run", samples=3)
    with pytest.raises(TraceStoreError, match="another configuration"):
        run_tasks(other, tasks=[js_task], make_model=model_factory("oracle"), make_sandbox=make_sandbox)


def test_a_torn_last_line_is_cut_and_that_episode_runs_again(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    config = RunConfig(out_dir=tmp_path / "run")
    tasks = _copies(js_task, 2)
    store = run_tasks(
        config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=make_sandbox
    ).store
    lines = store.episodes_path.read_bytes().splitlines(keepends=True)
    store.episodes_path.write_bytes(lines[0] + lines[1][: len(lines[1]) // 2])
    assert [r.task_id for r in store.episodes()] == ["toy/add-0"]
    store = run_tasks(
        config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=make_sandbox
    ).store
    assert sorted(r.task_id for r in store.episodes()) == ["toy/add-0", "toy/add-1"]
    assert store.episodes_path.read_bytes().endswith(b"\n")


def test_a_corrupt_complete_line_is_reported_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "episodes.jsonl").write_text('{"not": "an episode"}\n')
    with pytest.raises(TraceStoreError, match=r"episodes.jsonl:1 is corrupt"):
        list(TraceStore(tmp_path).episodes())


def test_a_failing_sandbox_becomes_an_error_record_and_the_run_goes_on(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    tasks = _copies(js_task, 2)

    def flaky(spec: SandboxSpec) -> Sandbox:
        if spec.name == "toy/add-0":
            raise OSError("disk full")
        return make_sandbox(spec)

    store = run_tasks(
        RunConfig(out_dir=tmp_path / "run", retry=RetryPolicy(backoff_s=0)),
        tasks=tasks,
        make_model=model_factory("oracle"),
        make_sandbox=flaky,
    ).store
    by_task = {r.task_id: r for r in store.episodes()}
    assert by_task["toy/add-0"].outcome == "error" and by_task["toy/add-0"].stop_reason == "harness_error"
    assert "disk full" in (by_task["toy/add-0"].error or "")
    assert by_task["toy/add-1"].outcome == "resolved"
    attempts = [(r.task_id, r.attempt) for r in store.attempts()]
    assert sorted(attempts) == [("toy/add-0", 0), ("toy/add-0", 1), ("toy/add-0", 2), ("toy/add-1", 0)]


def test_a_harness_error_is_retried_in_the_run_and_every_attempt_is_kept(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    failing = FailingSandboxes(make_sandbox, "toy/add-0", times=1)
    store = run_tasks(
        RunConfig(out_dir=tmp_path / "run", retry=RetryPolicy(backoff_s=0)),
        tasks=_copies(js_task, 2),
        make_model=model_factory("oracle"),
        make_sandbox=failing,
    ).store
    assert sorted(failing.asked) == ["toy/add-0", "toy/add-0", "toy/add-1"]
    first, second = [r for r in store.attempts() if r.task_id == "toy/add-0"]
    assert (first.attempt, first.outcome, second.attempt, second.outcome) == (0, "error", 1, "resolved")
    assert [r.outcome for r in store.episodes()] == ["resolved", "resolved"]  # the last attempt counts
    assert set(second.timings) == {"sandbox_s", "agent_s", "grading_s"} and second.timings["grading_s"] > 0


def test_resume_reruns_harness_errors_but_never_model_failures(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    from agentbench_ts.models.scripted import ReplayModel
    from agentbench_ts.protocol.actions import Final

    tasks = _copies(js_task, 3)
    give_up = Final("give_up", "no").to_json()

    def model(task: Task) -> ReplayModel:  # toy/add-2 is a model failure: it gives up
        return ReplayModel([give_up]) if task.task_id == "toy/add-2" else model_factory("oracle")(task)  # type: ignore[return-value]

    once = RetryPolicy(attempts=1, backoff_s=0)
    failing = FailingSandboxes(make_sandbox, "toy/add-0", times=1)
    config = RunConfig(out_dir=tmp_path / "run", retry=once)
    run_tasks(config, tasks=tasks, make_model=model, make_sandbox=failing)
    assert [r.outcome for r in TraceStore(tmp_path / "run").episodes()] == ["error", "resolved", "failed"]
    counting = FailingSandboxes(make_sandbox, "none", times=0)
    resumed = config.model_copy(update={"retry": RetryPolicy(backoff_s=0)})
    store = run_tasks(resumed, tasks=tasks, make_model=model, make_sandbox=counting).store
    assert counting.asked == ["toy/add-0"]  # the failed episode is the model's: not run again
    assert {r.task_id: r.outcome for r in store.episodes()} == {
        "toy/add-0": "resolved",
        "toy/add-1": "resolved",
        "toy/add-2": "failed",
    }
    assert len(list(store.attempts())) == 4
    asked = RunConfig(out_dir=tmp_path / "run", retry=RetryPolicy(on=("failed",), backoff_s=0))
    again = FailingSandboxes(make_sandbox, "none", times=0)
    run_tasks(asked, tasks=tasks, make_model=model, make_sandbox=again)
    assert again.asked == ["toy/add-2", "toy/add-2"]  # retried when asked, up to the attempts left


def test_a_changed_task_refuses_the_resume_or_runs_anew_as_a_new_version(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    tasks = _copies(js_task, 2)
    config = RunConfig(out_dir=tmp_path / "run")
    run_tasks(config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=make_sandbox)
    changed = [tasks[0], tasks[1].model_copy(update={"instructions": tasks[1].instructions + " Quickly."})]
    with pytest.raises(TraceStoreError, match=r"changed since this run recorded them: toy/add-1\."):
        run_tasks(config, tasks=changed, make_model=model_factory("oracle"), make_sandbox=make_sandbox)
    counting = FailingSandboxes(make_sandbox, "none", times=0)
    accept = config.model_copy(update={"new_task_version": True})
    store = run_tasks(accept, tasks=changed, make_model=model_factory("oracle"), make_sandbox=counting).store
    assert counting.asked == ["toy/add-1"]
    versions = {r.task_digest for r in store.attempts() if r.task_id == "toy/add-1"}
    assert len(versions) == 2 and store.run_info().task_digests["toy/add-1"] in versions


def test_an_episode_record_holds_the_trace_fields(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    store = run_tasks(
        RunConfig(out_dir=tmp_path / "run"),
        tasks=[js_task],
        make_model=model_factory("oracle"),
        make_sandbox=make_sandbox,
    ).store
    (record,) = store.episodes()
    assert record.messages[0]["role"] == "system" and record.messages[-1]["role"] == "assistant"
    assert [s.index for s in record.steps] == [0, 1, 2, 3]
    assert record.steps[2].tests is not None and record.steps[2].tests.resolved
    assert record.final_tests is not None and record.final_tests.tests["adds small numbers"] == "pass"
    assert record.patch.startswith("diff --git a/src/add.js b/src/add.js")
    assert record.metrics.tool_calls == {"list_files": 1, "read_file": 1, "write_file": 1}


def test_an_interrupted_concurrent_run_records_only_finished_episodes_and_resumes(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    import time

    from agentbench_ts.models import ReplayModel, oracle_actions

    class SlowOracle(ReplayModel):
        def complete(self, messages):  # type: ignore[no-untyped-def]
            time.sleep(0.2)
            return super().complete(messages)

    tasks = _copies(js_task, 6)

    def slow(task: Task) -> SlowOracle:
        return SlowOracle([a.to_json() for a in oracle_actions(task)])

    def interrupt(record, done, total):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    config = RunConfig(out_dir=tmp_path / "run", concurrency=3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_tasks(config, tasks=tasks, make_model=slow, make_sandbox=make_sandbox, on_episode=interrupt)
    assert time.monotonic() - started < 4, "episodes in flight should stop at their next step"
    recorded = list(TraceStore(tmp_path / "run").episodes())
    assert len(recorded) == 1 and recorded[0].outcome == "resolved"
    store = run_tasks(config, tasks=tasks, make_model=slow, make_sandbox=make_sandbox).store
    assert sorted(r.task_id for r in store.episodes()) == sorted(t.task_id for t in tasks)


def test_a_task_is_graded_by_the_grader_it_names(
    tmp_path: Path, js_task: Task, make_sandbox: SandboxFactory, request: pytest.FixtureRequest
) -> None:
    from agentbench_ts.errors import ConfigError
    from agentbench_ts.tasks.graders import GRADERS
    from agentbench_ts.tasks.grading import TestReport, run_tests

    calls: list[str] = []

    def strict_grader(task: Task, sandbox: Sandbox) -> TestReport:
        """The TAP verdict, but never resolved: proves whose verdict the episode records."""
        calls.append(task.task_id)
        report = run_tests(task, sandbox)
        return report.model_copy(update={"resolved": False, "summary": "strict: " + report.summary})

    task = js_task.model_copy(update={"grader": "strict-for-a-test"})
    config = RunConfig(out_dir=tmp_path / "run")
    with pytest.raises(ConfigError, match=r"unknown grader 'strict-for-a-test'; available: .*tap"):
        run_tasks(config, tasks=[task], make_model=model_factory("oracle"), make_sandbox=make_sandbox)
    assert not config.out_dir.exists()  # refused before anything was written
    GRADERS.register("strict-for-a-test")(lambda options: strict_grader)
    request.addfinalizer(lambda: GRADERS.unregister("strict-for-a-test"))
    store = run_tasks(
        config,
        tasks=[task],
        make_model=model_factory("oracle"),
        make_sandbox=make_sandbox,
    ).store
    (record,) = store.episodes()
    assert record.outcome == "failed" and calls  # the oracle's fix passes TAP, but not this grader
    assert record.final_tests is not None and record.final_tests.summary.startswith("strict: 2 passed")
    assert store.run_info().config is not None and store.run_info().config["graders"] == {
        "strict-for-a-test": {}
    }


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 12 KiB tmpfs: run.json and one record fit, a second record does not."""
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(disk)], check=False)
    if mounted.returncode != 0:
        pytest.fail("this test mounts a small tmpfs (it needs root, as CI has)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_stops_the_run_clearly_and_a_resume_after_freeing_space_completes_it(
    small_disk: Path, js_task: Task, make_sandbox: SandboxFactory
) -> None:
    import subprocess

    tasks = _copies(js_task, 3)
    config = RunConfig(out_dir=small_disk / "run")
    with pytest.raises(
        TraceStoreError, match=r"no space left for the traces .* run the same command to resume"
    ):
        run_tasks(config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=make_sandbox)
    store = TraceStore(small_disk / "run")
    assert store.episodes_path.read_bytes().endswith(b"\n")  # nothing half-written stays
    recorded = [r.task_id for r in store.episodes()]
    assert 0 < len(recorded) < 3
    subprocess.run(["mount", "-o", "remount,size=1m", str(small_disk)], check=True)  # space freed
    store = run_tasks(
        config, tasks=tasks, make_model=model_factory("oracle"), make_sandbox=make_sandbox
    ).store
    assert sorted(r.task_id for r in store.episodes()) == ["toy/add-0", "toy/add-1", "toy/add-2"]
    assert len(list(store.attempts())) == 3
