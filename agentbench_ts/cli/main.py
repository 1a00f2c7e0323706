"""`agentbench`: run suites, validate tasks, report on runs."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.cli.progress import ProgressBar
from agentbench_ts.cli.sandbox_cmd import (
    add_image_flags,
    add_sandbox_commands,
    image_config,
    run_sandbox_command,
)
from agentbench_ts.errors import AgentbenchError
from agentbench_ts.models.registry import MODEL_SPECS, model_factory
from agentbench_ts.report import format_episodes, format_summary, summarize
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.sandbox.config import SandboxConfig
from agentbench_ts.sandbox.registry import SANDBOX_KINDS, sandbox_factory
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.validate import validate_tasks
from agentbench_ts.tools.workspace import ToolLimits
from agentbench_ts.traces.records import EpisodeRecord
from agentbench_ts.traces.store import TraceStore


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a model on a suite and record traces")
    run.add_argument("--suite", required=True, type=Path, help="suite folder, e.g. tasks/quixbugs-ts")
    run.add_argument("--model", required=True, help=f"model spec: {', '.join(MODEL_SPECS)}")
    run.add_argument("--out", required=True, type=Path, help="run directory (resumed if it exists)")
    run.add_argument("--task", action="append", help="only this task (repeatable)")
    run.add_argument("--samples", type=int, default=1, help="episodes per task")
    run.add_argument("--sandbox", default="local", choices=sorted(SANDBOX_KINDS))
    add_image_flags(run)
    run.add_argument("--seed", type=int, default=0)
    defaults = AgentConfig()
    run.add_argument("--max-steps", type=int, default=defaults.max_steps)
    run.add_argument("--max-wall-s", type=float, default=defaults.max_wall_s)
    run.add_argument("--test-policy", default=defaults.test_policy, choices=["never", "on_write", "end"])
    run.add_argument("--lenient", action="store_true", help="recover fenced or prefixed JSON")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    tasks = sub.add_parser("tasks", help="task suites").add_subparsers(dest="tasks_command", required=True)
    validate = tasks.add_parser("validate", help="prove every task: fails before, passes after gold")
    validate.add_argument("suite", type=Path)
    validate.add_argument("--task", action="append")
    validate.add_argument("--workers", type=int, default=2)
    validate.add_argument("--sandbox", default="local", choices=sorted(SANDBOX_KINDS))
    add_image_flags(validate)
    report = sub.add_parser("report", help="summarize a run directory")
    report.add_argument("run_dir", type=Path)
    report.add_argument("--episodes", action="store_true", help="also list every episode")
    add_sandbox_commands(sub)
    return parser


def _sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    path = os.environ.get("PATH", "/usr/bin:/bin")
    tools = ToolLimits(ripgrep=shutil.which("rg", path=path))
    return SandboxConfig(kind=args.sandbox, path_env=path, tool_limits=tools, images=image_config(args))


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    tasks = load_suite(args.suite, args.task)
    agent = AgentConfig(
        max_steps=args.max_steps,
        max_wall_s=args.max_wall_s,
        test_policy=args.test_policy,
        lenient_parsing=args.lenient,
    )
    config = RunConfig(
        out_dir=args.out,
        suite=str(args.suite),
        model=args.model,
        sandbox=args.sandbox,
        samples=args.samples,
        seed=args.seed,
        agent=agent,
        command=("agentbench", *argv),
    )
    bar = ProgressBar(sys.stderr)

    def progress(record: EpisodeRecord, done: int, total: int) -> None:
        bar.update(done, total, record.outcome == "resolved", f"{record.task_id}: {record.outcome}")

    store = run_tasks(
        config, tasks, model_factory(args.model), sandbox_factory(_sandbox_config(args)), progress
    )
    print(format_summary(summarize(store.episodes())))
    print(f"traces: {store.episodes_path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    tasks = load_suite(args.suite, args.task)
    failures = 0
    for validation in validate_tasks(tasks, sandbox_factory(_sandbox_config(args)), args.workers):
        status = "ok " if validation.ok else "BAD"
        print(f"{status} {validation.task_id}")
        for problem in validation.problems:
            print(f"    {problem}")
        failures += not validation.ok
    print(f"{len(tasks) - failures} valid, {failures} invalid")
    return 1 if failures else 0


def _report(args: argparse.Namespace) -> int:
    records = list(TraceStore(args.run_dir).episodes())
    if args.episodes:
        print(format_episodes(records))
    print(format_summary(summarize(records)))
    return 0


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Raising here unwinds the stack, so every sandbox is closed on the way out.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if args.command == "run":
            return _run(args, argv)
        if args.command == "tasks":
            return _validate(args)
        if args.command == "sandbox":
            return run_sandbox_command(args)
        return _report(args)
    except (AgentbenchError, ValueError) as exc:
        print(f"agentbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
