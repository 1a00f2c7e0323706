"""`agentbench run` (any task source, or --from a recorded run) and `agentbench regrade`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.cli.progress import ProgressBar
from agentbench_ts.errors import ConfigError
from agentbench_ts.report import format_summary, summarize
from agentbench_ts.runner.config import RunConfig
from agentbench_ts.runner.flags import (
    add_episode_flags,
    add_model_flags,
    add_sandbox_flags,
    add_task_flags,
    grader_options,
    run_config,
    stderr_line,
    task_specs,
)
from agentbench_ts.runner.regrade import recorded_config, regrade_run
from agentbench_ts.runner.run import run_tasks
from agentbench_ts.traces.records import EpisodeRecord


def add_run_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a model on tasks and record traces")
    add_task_flags(run)
    run.add_argument("--from", dest="from_run", type=Path, metavar="RUN_DIR", help="re-create a recorded run")
    add_model_flags(run)
    add_sandbox_flags(run)
    add_episode_flags(run, AgentConfig().test_policy)
    regrade = sub.add_parser("regrade", help="grade every episode's patch of a run again (no agent)")
    regrade.add_argument("run_dir", type=Path)
    regrade.add_argument("--out", required=True, type=Path, help="the new run directory")
    regrade.add_argument("--grader", help="grade every task with this grader instead of its own")
    regrade.add_argument("--grader-option", action="append", default=[], metavar="GRADER.KEY=VALUE")
    regrade.add_argument("--concurrency", type=int, default=1)


def progress_bar() -> Callable[[EpisodeRecord, int, int], None]:
    bar = ProgressBar(sys.stderr)

    def progress(record: EpisodeRecord, done: int, total: int) -> None:
        bar.update(done, total, record.outcome == "resolved", f"{record.task_id}: {record.outcome}")

    return progress


def execute(config: RunConfig) -> int:
    """Run, then print the summary, what could not run and what the benchmarks wrote."""
    result = run_tasks(config, on_episode=progress_bar(), log=stderr_line)
    print(format_summary(summarize(result.store.episodes())))
    for task_id, reason in result.skipped.items():
        print(f"not run: {task_id}: {reason}", file=sys.stderr)
    print(f"traces: {result.store.episodes_path}")
    for path in result.written:
        print(path)
    return 1 if result.skipped else 0


def run_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.from_run is None:
        return execute(run_config(args, argv, task_specs(args)))
    if args.tasks or args.suite or args.model:
        raise ConfigError("--from re-creates a recorded run: give only --out (and --concurrency) with it")
    config = recorded_config(args.from_run)
    update: dict[str, object] = {"command": ("agentbench", *argv)}
    if args.out is not None:
        update["out_dir"] = args.out
    if args.concurrency is not None:
        update["concurrency"] = args.concurrency
    return execute(config.model_copy(update=update))


def regrade_command(args: argparse.Namespace) -> int:
    options = grader_options(args.grader_option)
    if args.grader is not None and set(options) - {args.grader}:
        raise ConfigError(f"--grader-option names another grader than --grader {args.grader}")
    store = regrade_run(
        args.run_dir,
        args.out,
        grader=args.grader,
        grader_options=options,
        concurrency=args.concurrency,
        on_episode=progress_bar(),
        log=stderr_line,
    )
    print(format_summary(summarize(store.episodes())))
    print(f"traces: {store.episodes_path} (regraded from {args.run_dir})")
    return 0
