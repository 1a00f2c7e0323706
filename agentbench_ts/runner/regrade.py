"""Grading a recorded run again: every episode's patch applied to its task's start state in a fresh
sandbox and judged by the same grader (a fixed one) or another. No agent runs. The new run directory
points to the old one; episode ids are kept, so results can be joined episode by episode."""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from pydantic import JsonValue

from agentbench_ts import __version__
from agentbench_ts.agent.record import outcome_of
from agentbench_ts.errors import ConfigError
from agentbench_ts.runner.config import RunConfig
from agentbench_ts.runner.run import OnEpisode, harness_git_sha, now
from agentbench_ts.sandbox.registry import SandboxFactory, sandbox_factory
from agentbench_ts.tasks.graders import graders_for
from agentbench_ts.tasks.grading import Grader, grade_patch
from agentbench_ts.tasks.sources import load_sources
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces.records import EpisodeRecord, RegradedFrom
from agentbench_ts.traces.store import TraceStore


def recorded_config(run_dir: Path) -> RunConfig:
    """The config a run recorded; runs written before configs were recorded cannot be re-created."""
    info = TraceStore(run_dir).run_info()
    if info.config is None:
        raise ConfigError(
            f"{run_dir}/run.json (schema {info.schema_version}) predates recorded run configs; "
            "it can be read and reported on, not re-created"
        )
    return RunConfig.model_validate(info.config)


def _regraded(
    record: EpisodeRecord, task: Task, run_id: str, make_sandbox: SandboxFactory, grader: Grader
) -> EpisodeRecord:
    update: dict[str, object] = {"run_id": run_id, "harness_version": __version__}
    if record.stop_reason == "harness_error":
        return record.model_copy(update=update)  # the episode never ran: nothing to grade
    try:
        report = grade_patch(task, record.patch, make_sandbox, grader)
    except Exception as exc:
        error = "regrading failed: " + "".join(traceback.format_exception(exc)).strip()
        return record.model_copy(update={**update, "outcome": "error", "error": error})
    outcome = outcome_of(record.stop_reason, report)
    return record.model_copy(update={**update, "final_tests": report, "outcome": outcome})


def regrade_run(
    run_dir: Path,
    out_dir: Path,
    *,
    grader: str | None = None,
    grader_options: Mapping[str, Mapping[str, JsonValue]] | None = None,
    concurrency: int = 1,
    make_sandbox: SandboxFactory | None = None,
    on_episode: OnEpisode | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> TraceStore:
    """Regrade every episode of `run_dir` into `out_dir` (resumable), by each task's recorded grader
    or by `grader` for all of them; `grader_options` (grader name -> options) override the recorded."""
    if out_dir.resolve() == run_dir.resolve():
        raise ConfigError("regrade writes a new run directory: give another --out")
    source = TraceStore(run_dir)
    config = recorded_config(run_dir)
    tasks = {t.task_id: t for t in load_sources(config.tasks, config.source_context(log), config.only).tasks}
    given = {name: dict(values) for name, values in (grader_options or {}).items()}
    options: dict[str, dict[str, JsonValue]] = {**config.graders, **given}
    if grader is not None:
        tasks = {key: task.model_copy(update={"grader": grader}) for key, task in tasks.items()}
        options = {grader: given.get(grader, {})}
    episodes = list(source.episodes())
    if missing := sorted({e.task_id for e in episodes} - set(tasks)):
        raise ConfigError(f"the run's task sources no longer give {', '.join(missing[:5])}")
    graders: dict[str, Grader] = graders_for(tasks.values(), options)
    make_sandbox = make_sandbox or sandbox_factory(config.sandbox)
    config = config.model_copy(update={"out_dir": out_dir, "graders": options, "concurrency": concurrency})
    old = source.run_info()
    store = TraceStore(out_dir)
    info = store.open(
        old.model_copy(
            update={
                "run_id": f"{out_dir.name}-{uuid.uuid4().hex[:8]}",
                "created_at": now(),
                "harness_version": __version__,
                "git_sha": harness_git_sha(),
                "config": config.model_dump(mode="json"),
                "regraded_from": RegradedFrom(run_dir=str(run_dir.resolve()), run_id=old.run_id),
            }
        )
    )
    done_keys = store.finished()
    todo = [e for e in episodes if e.key not in done_keys]
    with ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="regrade") as pool:
        futures = []
        for record in todo:
            task = tasks[record.task_id]
            grade = graders[task.grader]
            futures.append(pool.submit(_regraded, record, task, info.run_id, make_sandbox, grade))
        for count, future in enumerate(as_completed(futures), start=1):
            regraded = future.result()
            store.append(regraded)
            if on_episode:
                on_episode(regraded, count, len(todo))
    return store
