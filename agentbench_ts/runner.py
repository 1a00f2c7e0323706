"""Running tasks x samples through the agent loop into a trace store, resumably."""

from __future__ import annotations

import subprocess
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agentbench_ts import __version__
from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.agent.loop import EpisodeResult, run_episode
from agentbench_ts.agent.record import outcome_of, steps_and_metrics
from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.sandbox.registry import SandboxFactory
from agentbench_ts.tasks.grading import DEFAULT_GRADERS, Graders, grader_for
from agentbench_ts.tasks.task import Task
from agentbench_ts.traces.records import EpisodeRecord, RunInfo
from agentbench_ts.traces.store import TraceStore


@dataclass(frozen=True)
class RunConfig:
    out_dir: Path
    suite: str
    model: str
    sandbox: str = "local"
    samples: int = 1
    seed: int = 0
    agent: AgentConfig = field(default_factory=AgentConfig)
    model_options: ModelOptions = field(default_factory=ModelOptions)
    concurrency: int = 1
    command: tuple[str, ...] = ()


def harness_git_sha() -> str | None:
    """The commit of the agentbench_ts checkout in use, when it is one."""
    here = Path(__file__).resolve().parent
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_info(config: RunConfig, tasks: list[Task]) -> RunInfo:
    return RunInfo(
        run_id=f"{config.out_dir.name}-{uuid.uuid4().hex[:8]}",
        created_at=_now(),
        model=config.model,
        sampling=config.model_options.model_dump(mode="json"),
        suite=config.suite,
        task_ids=[task.task_id for task in tasks],
        samples=config.samples,
        sandbox=config.sandbox,
        agent=config.agent.model_dump(),
        seed=config.seed,
        harness_version=__version__,
        git_sha=harness_git_sha(),
        command=list(config.command),
    )


def run_one(
    info: RunInfo,
    task: Task,
    sample: int,
    make_model: ModelFactory,
    make_sandbox: SandboxFactory,
    *,
    agent: AgentConfig,
    cancel: threading.Event | None = None,
    graders: Graders = DEFAULT_GRADERS,
) -> EpisodeRecord:
    """One episode; any failure of the harness becomes an 'error' record, never a crashed run."""
    started_at, started = _now(), time.monotonic()
    model_name = info.model
    try:
        grader = grader_for(task, graders)
        model = make_model(task)
        model_name = model.name
        sandbox = make_sandbox(task)
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
    tasks: list[Task], samples: int, finished: set[tuple[str, int]]
) -> list[tuple[Task, int]]:
    return [(t, s) for t in tasks for s in range(samples) if (t.task_id, s) not in finished]


def run_tasks(
    config: RunConfig,
    tasks: list[Task],
    make_model: ModelFactory,
    make_sandbox: SandboxFactory,
    on_episode: Callable[[EpisodeRecord, int, int], None] | None = None,
    *,
    graders: Graders = DEFAULT_GRADERS,
) -> TraceStore:
    """Run every (task, sample) not yet in config.out_dir, config.concurrency at a time.

    Records are appended as episodes finish. On an interrupt the episodes in flight stop at their
    next step, close their sandboxes and are not recorded, so a resumed run does them again.
    """
    for task in tasks:
        grader_for(task, graders)  # a task nobody can grade is an error before anything runs
    store = TraceStore(config.out_dir)
    info = store.open(new_run_info(config, tasks))
    todo = pending_episodes(tasks, config.samples, store.finished())
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(config.concurrency, 1), thread_name_prefix="episode")
    try:
        futures = [
            pool.submit(
                run_one,
                info,
                task,
                sample,
                make_model,
                make_sandbox,
                agent=config.agent,
                cancel=cancel,
                graders=graders,
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
    return store
