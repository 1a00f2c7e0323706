"""Running tasks x samples through the agent loop into a trace store, resumably."""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agentbench_ts import __version__
from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.agent.loop import EpisodeResult, run_episode
from agentbench_ts.agent.record import outcome_of, steps_and_metrics
from agentbench_ts.errors import TraceStoreError
from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.registry import model_factory
from agentbench_ts.plumbing.git import head_commit
from agentbench_ts.runner.config import RetryPolicy, RunConfig
from agentbench_ts.sandbox.registry import SandboxFactory, sandbox_factory
from agentbench_ts.tasks.digest import task_digest
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


def new_run_info(
    config: RunConfig,
    tasks: Sequence[Task],
    skipped: Mapping[str, str] = {},
    digests: Mapping[str, str] = {},
) -> RunInfo:
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
        task_digests=dict(digests),
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
    attempt: int = 0,
    digest: str | None = None,
    delay_s: float = 0.0,
) -> EpisodeRecord:
    """One episode (after `delay_s`, when it is a retry); any failure of the harness becomes an
    'error' record, never a crashed run."""
    if delay_s and cancel is not None:
        cancel.wait(delay_s)
    elif delay_s:
        time.sleep(delay_s)
    started_at, started = now(), time.monotonic()
    model_name = info.model
    timings: dict[str, float] = {}
    try:
        model = make_model(task)
        model_name = model.name
        sandbox = make_sandbox(task.sandbox_spec())
        timings["sandbox_s"] = time.monotonic() - started
        try:
            result = run_episode(task, model, sandbox, agent, cancel, grader=grader)
        finally:
            sandbox.close()
        grading = result.final_tests.elapsed_s if result.final_tests is not None else 0.0
        timings["agent_s"] = time.monotonic() - started - timings["sandbox_s"] - grading
        timings["grading_s"] = grading
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
        attempt=attempt,
        task_digest=digest,
        timings={k: round(v, 3) for k, v in timings.items()},
    )


def pending_attempts(
    tasks: Sequence[Task],
    samples: int,
    recorded: Sequence[EpisodeRecord],
    digests: Mapping[str, str],
    retry: RetryPolicy,
) -> list[tuple[Task, int, int]]:
    """(task, sample, attempt) still to run: pairs never recorded for the task's current version, and
    pairs whose last attempt is of a kind the policy retries, while attempts remain."""
    attempts: dict[tuple[str, int], list[EpisodeRecord]] = {}
    for record in recorded:
        if record.task_digest in (None, digests.get(record.task_id)):  # None: recorded before digests
            attempts.setdefault(record.key, []).append(record)
    todo = []
    for task in tasks:
        for sample in range(samples):
            done = attempts.get((task.task_id, sample), [])
            if not done:
                todo.append((task, sample, 0))
            elif retry.retries(done[-1]) and len(done) < retry.attempts:
                todo.append((task, sample, len(done)))
    return todo


def _changed_tasks(store: TraceStore, info: RunInfo, digests: Mapping[str, str], accept: bool) -> None:
    changed = sorted(t for t, d in digests.items() if info.task_digests.get(t, d) != d)
    if not changed:
        return
    if not accept:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise TraceStoreError(
            f"{store.run_dir}: task(s) changed since this run recorded them: {shown}. Resume with"
            " --new-task-version to run them anew as a new version, or use a new --out"
        )
    store.record_task_digests({t: digests[t] for t in changed})


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
    digests = {task.task_id: task_digest(task) for task in chosen}
    store = TraceStore(config.out_dir)
    info = store.open(new_run_info(config, chosen, skipped, digests))
    _changed_tasks(store, info, digests, config.new_task_version)
    todo = pending_attempts(chosen, config.samples, list(store.attempts()), digests, config.retry)
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="episode")

    def submit(task: Task, sample: int, attempt: int) -> Future[EpisodeRecord]:
        return pool.submit(
            run_one,
            info,
            task,
            sample,
            make_model=make_model,
            make_sandbox=make_sandbox,
            grader=graders[task.grader],
            agent=config.agent,
            cancel=cancel,
            attempt=attempt,
            digest=digests[task.task_id],
            delay_s=config.retry.delay_s(attempt),
        )

    try:
        running = {submit(task, sample, attempt): (task, sample, attempt) for task, sample, attempt in todo}
        total, done_count = len(running), 0
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task, sample, attempt = running.pop(future)
                record = future.result()
                store.append(record)
                done_count += 1
                if (
                    config.retry.retries(record)
                    and attempt + 1 < config.retry.attempts
                    and not cancel.is_set()
                ):
                    running[submit(task, sample, attempt + 1)] = (task, sample, attempt + 1)
                    total += 1
                if on_episode:
                    on_episode(record, done_count, total)
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
