"""Running tasks x samples through the agent loop into a trace store, resumably."""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agentbench_ts import __version__
from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.agent.loop import EpisodeResult, run_episode
from agentbench_ts.agent.record import outcome_of, steps_and_metrics
from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.registry import model_factory
from agentbench_ts.plumbing.git import head_commit
from agentbench_ts.runner.config import RunConfig
from agentbench_ts.sandbox.registry import SandboxFactory, sandbox_factory
from agentbench_ts.tasks.graders import graders_for
from agentbench_ts.tasks.grading import Grader
from agentbench_ts.tasks.sources import LoadedTasks, ResultsWriter, TaskSource, TaskSourceSpec, load_sources
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces.records import EpisodeRecord, RunInfo
from agentbench_ts.traces.store import TraceStore

OnEpisode = Callable[[EpisodeRecord, int, int], None]


def harness_git_sha() -> str | None:
    """The commit of the agentbench_ts checkout in use, when it is one."""
    return head_commit(Path(__file__).resolve().parent)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_info(config: RunConfig, tasks: Sequence[Task], skipped: Mapping[str, str] = {}) -> RunInfo:
    return RunInfo(
        run_id=f"{config.out_dir.name}-{uuid.uuid4().hex[:8]}",
        created_at=now(),
        model=config.model.spec,
        sampling=config.model.options.model_dump(mode="json"),
        suite=config.label,
        task_ids=[task.task_id for task in tasks],
        samples=config.samples,
        sandbox=config.sandbox.type,
        agent=config.agent.model_dump(),
        seed=config.seed,
        harness_version=__version__,
        git_sha=harness_git_sha(),
        command=list(config.command),
        config=config.model_dump(mode="json"),
        skipped=dict(skipped),
    )


def run_one(
    info: RunInfo,
    task: Task,
    sample: int,
    *,
    make_model: ModelFactory,
    make_sandbox: SandboxFactory,
    grader: Grader,
    agent: AgentConfig,
    cancel: threading.Event | None = None,
) -> EpisodeRecord:
    """One episode; any failure of the harness becomes an 'error' record, never a crashed run."""
    started_at, started = now(), time.monotonic()
    model_name = info.model
    try:
        model = make_model(task)
        model_name = model.name
        sandbox = make_sandbox(task.sandbox_spec())
        try:
            result = run_episode(task, model, sandbox, agent, cancel, grader=grader)
        finally:
            sandbox.close()
    except Exception as exc:
        result = EpisodeResult.harness_failure("".join(traceback.format_exception(exc)).strip())
    steps, metrics = steps_and_metrics(result)
    return EpisodeRecord(
        run_id=info.run_id,
        episode_id=uuid.uuid4().hex,
        task_id=task.task_id,
        suite=task.suite,
        split=task.split,
        sample_index=sample,
        model=model_name,
        messages=[{"role": m["role"], "content": m["content"]} for m in result.messages],
        steps=steps,
        outcome=outcome_of(result.stop_reason, result.final_tests),
        stop_reason=result.stop_reason,
        error=result.error,
        final_tests=result.final_tests,
        patch=result.patch,
        metrics=metrics,
        started_at=started_at,
        wall_s=time.monotonic() - started,
        harness_version=__version__,
    )


def pending_episodes(
    tasks: Sequence[Task], samples: int, finished: set[tuple[str, int]]
) -> list[tuple[Task, int]]:
    return [(t, s) for t in tasks for s in range(samples) if (t.task_id, s) not in finished]


@dataclass(frozen=True)
class RunResult:
    store: TraceStore
    config: RunConfig
    """As recorded: with the options of every grader the tasks use."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Task id -> why it could not be prepared (not run; counted as errors by benchmark reports)."""
    written: list[Path] = field(default_factory=list)
    """Result files of the benchmarks themselves (e.g. Multi-SWE-bench's final_report.json)."""

    def episodes(self) -> list[EpisodeRecord]:
        return list(self.store.episodes())


def run_tasks(
    config: RunConfig,
    *,
    tasks: Sequence[Task] | None = None,
    make_model: ModelFactory | None = None,
    make_sandbox: SandboxFactory | None = None,
    on_episode: OnEpisode | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> RunResult:
    """Run every (task, sample) not yet in config.out_dir, config.concurrency at a time.

    Tasks, model and sandboxes come from the config (tests and research code may pass their own);
    each task's grader is found by the name it gives, with the config's options for it. Everything
    is resolved before the run directory is touched, so a bad name or option leaves nothing behind.
    Records are appended as episodes finish. On an interrupt the episodes in flight stop at their
    next step, close their sandboxes and are not recorded, so a resumed run does them again.
    """
    opened = load_sources(config.tasks, config.source_context(log), config.only) if tasks is None else None
    chosen = list(tasks) if tasks is not None else opened.tasks if opened else []
    skipped = opened.skipped if opened else {}
    graders = graders_for(chosen, config.graders)
    config = config.model_copy(update={"graders": {name: config.graders.get(name, {}) for name in graders}})
    make_model = make_model or model_factory(config.model.spec, config.model.options)
    make_sandbox = make_sandbox or sandbox_factory(config.sandbox)
    store = TraceStore(config.out_dir)
    info = store.open(new_run_info(config, chosen, skipped))
    todo = pending_episodes(chosen, config.samples, store.finished())
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="episode")
    try:
        futures = [
            pool.submit(
                run_one,
                info,
                task,
                sample,
                make_model=make_model,
                make_sandbox=make_sandbox,
                grader=graders[task.grader],
                agent=config.agent,
                cancel=cancel,
            )
            for task, sample in todo
        ]
        for done, future in enumerate(as_completed(futures), start=1):
            record = future.result()
            store.append(record)
            if on_episode:
                on_episode(record, done, len(todo))
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    written = _write_results(opened.sources if opened else [], store, config.out_dir)
    return RunResult(store, config, skipped, written)


def _write_results(
    sources: Sequence[tuple[TaskSourceSpec, TaskSource, LoadedTasks]], store: TraceStore, out_dir: Path
) -> list[Path]:
    """Each source that has result files of its own writes them from its episodes."""
    episodes = list(store.episodes())
    written: list[Path] = []
    for _, source, loaded in sources:
        if isinstance(source, ResultsWriter):
            own = {task.task_id for task in loaded.tasks}
            mine = [episode for episode in episodes if episode.task_id in own]
            written += source.write_results(mine, loaded.skipped, out_dir)
    return written
