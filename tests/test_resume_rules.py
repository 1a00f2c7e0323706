"""Resume and retry with history: which attempt counts, which (task, sample) runs again and as which
attempt, with several earlier attempts, several samples, changed task versions and a second session
after a rerun. Records are made directly; the runner's own tests run real episodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from view_runs import episode

from agentbench_ts.errors import TraceStoreError
from agentbench_ts.runner.config import RetryPolicy
from agentbench_ts.runner.run import _changed_tasks, pending_attempts
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces.records import EpisodeRecord
from agentbench_ts.traces.store import TraceStore

NEW, OLD = "digest-new", "digest-old"


def task(task_id: str) -> Task:
    return Task(
        task_id=task_id,
        suite="toy",
        instructions="fix",
        repo_dir=Path("."),
        test_command="true",
        fail_to_pass=("t",),
    )


def attempt(  # noqa: PLR0917
    task_id: str,
    sample: int,
    number: int,
    outcome: str = "resolved",
    stop: str | None = None,
    digest: str | None = NEW,
) -> EpisodeRecord:
    record = episode(task_id, sample, outcome, attempt=number)
    update: dict[str, object] = {"task_digest": digest}
    if stop is not None:
        update["stop_reason"] = stop
    return record.model_copy(update=update)


def error(task_id: str, sample: int, number: int, digest: str | None = NEW) -> EpisodeRecord:
    return attempt(task_id, sample, number, "error", "harness_error", digest)


def todo(
    tasks: list[Task], samples: int, recorded: list[EpisodeRecord], retry: RetryPolicy | None = None
) -> list[tuple[str, int, int]]:
    digests = {t.task_id: NEW for t in tasks}
    pending = pending_attempts(tasks, samples, recorded, digests, retry or RetryPolicy())
    return [(t.task_id, sample, number) for t, sample, number in pending]


def test_pairs_never_recorded_run_as_first_attempts_in_task_then_sample_order() -> None:
    tasks = [task("b"), task("a")]
    assert todo(tasks, 2, [attempt("a", 1, 0)]) == [("b", 0, 0), ("b", 1, 0), ("a", 0, 0)]


def test_the_next_attempt_number_follows_every_earlier_attempt() -> None:
    recorded = [error("a", 0, 0), error("a", 0, 1), error("a", 1, 0)]
    assert todo([task("a")], 2, recorded, RetryPolicy(attempts=4)) == [("a", 0, 2), ("a", 1, 1)]


def test_no_attempt_runs_once_the_attempts_are_spent() -> None:
    recorded = [error("a", 0, 0), error("a", 0, 1), error("a", 0, 2), error("a", 1, 0), error("a", 1, 1)]
    assert todo([task("a")], 2, recorded, RetryPolicy(attempts=3)) == [("a", 1, 2)]


def test_the_last_attempt_decides_whatever_came_before() -> None:
    """An error after a model failure is retried; a model failure after an error is not."""
    recorded = [
        attempt("a", 0, 0, "failed", "max_steps"),
        error("a", 0, 1),
        error("b", 0, 0),
        attempt("b", 0, 1, "failed", "max_steps"),
    ]
    assert todo([task("a"), task("b")], 1, recorded) == [("a", 0, 2)]


def test_a_model_error_is_retried_and_an_outcome_only_when_the_policy_names_it() -> None:
    recorded = [
        attempt("a", 0, 0, "error", "model_error"),
        attempt("b", 0, 0, "timeout", "wall_time"),
        attempt("c", 0, 0, "failed", "final_done"),
    ]
    tasks = [task("a"), task("b"), task("c")]
    assert todo(tasks, 1, recorded) == [("a", 0, 1)]
    assert todo(tasks, 1, recorded, RetryPolicy(on=("timeout",))) == [("b", 0, 1)]
    assert todo(tasks, 1, recorded, RetryPolicy(on=("failed", "model_error"))) == [("a", 0, 1), ("c", 0, 1)]


def test_attempts_of_an_older_task_version_do_not_count() -> None:
    recorded = [error("a", 0, 0, OLD), error("a", 0, 1, OLD), attempt("b", 0, 0, digest=OLD)]
    assert todo([task("a"), task("b")], 1, recorded, RetryPolicy(attempts=2)) == [("a", 0, 0), ("b", 0, 0)]


def test_records_from_before_digests_count_for_the_current_version() -> None:
    recorded = [attempt("a", 0, 0, digest=None), error("b", 0, 0, digest=None)]
    assert todo([task("a"), task("b")], 1, recorded) == [("b", 0, 1)]


def test_a_rerun_then_another_session_continues_the_numbering(tmp_path: Path) -> None:
    """Session 1 spends one attempt, session 2 (a rerun of the errors) one more, session 3 the last."""
    store = TraceStore(tmp_path / "run")
    store.episodes_path.parent.mkdir(parents=True)
    tasks, policy = [task("a")], RetryPolicy(attempts=3)
    for session in range(3):
        [(task_id, sample, number)] = todo(tasks, 1, list(store.attempts()), policy)
        assert number == session
        store.append(error(task_id, sample, number))
    assert todo(tasks, 1, list(store.attempts()), policy) == []
    assert [r.attempt for r in store.episodes()] == [2]


def test_the_last_written_attempt_is_the_one_that_counts(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "run")
    store.episodes_path.parent.mkdir(parents=True)
    for record in [error("a", 0, 0), attempt("b", 0, 0), attempt("a", 0, 1, "failed", "max_steps")]:
        store.append(record)
    assert [(r.task_id, r.attempt, r.outcome) for r in store.episodes()] == [
        ("a", 1, "failed"),
        ("b", 0, "resolved"),
    ]
    assert store.finished() == {("a", 0), ("b", 0)}


@pytest.mark.parametrize(("attempt_number", "delay"), [(0, 0.0), (1, 2.0), (2, 4.0), (3, 8.0)])
def test_the_backoff_doubles_from_the_second_attempt(attempt_number: int, delay: float) -> None:
    assert RetryPolicy(backoff_s=2.0).delay_s(attempt_number) == delay


def _info_with(store: TraceStore, digests: dict[str, str]) -> None:
    from view_runs import write_run

    write_run(store.run_dir, [])
    store.record_task_digests(digests)


def test_a_changed_task_list_names_five_and_counts_the_rest(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "run")
    _info_with(store, {f"t{i}": OLD for i in range(8)})
    changed = {f"t{i}": NEW for i in range(7)} | {"t7": OLD}
    with pytest.raises(TraceStoreError) as refused:
        _changed_tasks(store, store.run_info(), changed, accept=False)
    assert "task(s) changed since this run recorded them: t0, t1, t2, t3, t4 and 2 more. Resume with" in str(
        refused.value
    )
    _changed_tasks(store, store.run_info(), changed, accept=True)
    assert store.run_info().task_digests == changed


def test_exactly_five_changed_tasks_are_all_named_and_new_tasks_are_not_changes(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "run")
    _info_with(store, {f"t{i}": OLD for i in range(5)})
    current = {f"t{i}": NEW for i in range(5)} | {"new": NEW}
    with pytest.raises(TraceStoreError, match=r"recorded them: t0, t1, t2, t3, t4\. Resume"):
        _changed_tasks(store, store.run_info(), current, accept=False)
    _changed_tasks(store, store.run_info(), {"t0": OLD, "new": NEW}, accept=False)  # nothing changed
