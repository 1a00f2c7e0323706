"""`agentbench`: run suites, validate tasks, report on runs."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from agentbench_ts.cli.extract_cmd import add_extract_commands, extract_command
from agentbench_ts.cli.mswe_cmd import add_mswe_commands, mswe_command
from agentbench_ts.cli.multiple_cmd import add_multiple_commands, multiple_command
from agentbench_ts.cli.run_cmd import add_run_command, add_sandbox_flags, run_command, sandbox_config
from agentbench_ts.cli.sandbox_cmd import (
    add_sandbox_commands,
    run_sandbox_command,
)
from agentbench_ts.cli.serve_cmd import adapters_command, add_serve_commands, serve_command
from agentbench_ts.errors import AgentbenchError
from agentbench_ts.report import format_episodes, format_summary, summarize
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.validate import validate_tasks
from agentbench_ts.traces.store import TraceStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_run_command(sub)
    tasks = sub.add_parser("tasks", help="task suites").add_subparsers(dest="tasks_command", required=True)
    validate = tasks.add_parser("validate", help="prove every task: fails before, passes after gold")
    validate.add_argument("suite", type=Path)
    validate.add_argument("--task", action="append")
    validate.add_argument("--workers", type=int, default=2)
    add_sandbox_flags(validate)
    report = sub.add_parser("report", help="summarize a run directory")
    report.add_argument("run_dir", type=Path)
    report.add_argument("--episodes", action="store_true", help="also list every episode")
    check = sub.add_parser("render-check", help="check the render contract of a run against a tokenizer")
    check.add_argument("run_dir", type=Path)
    check.add_argument("--tokenizer", required=True, type=Path, help="a local tokenizer folder")
    add_sandbox_commands(sub)
    add_serve_commands(sub)
    add_extract_commands(sub)
    add_multiple_commands(sub)
    add_mswe_commands(sub)
    return parser


def _validate(args: argparse.Namespace) -> int:
    tasks = load_suite(args.suite, args.task)
    failures = 0
    for validation in validate_tasks(tasks, sandbox_factory(sandbox_config(args)), args.workers):
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


def _render_check(args: argparse.Namespace) -> int:
    from transformers import AutoTokenizer  # noqa: PLC0415 (an optional extra)

    from agentbench_ts.models.render_contract import render_mismatches  # noqa: PLC0415

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer, local_files_only=True)
    episodes = bad = 0
    for record in TraceStore(args.run_dir).episodes():
        episodes += 1
        for mismatch in render_mismatches(tokenizer, record.messages):
            bad += 1
            print(f"{record.task_id} #{record.sample_index}: {mismatch.describe()}")
    print(f"{episodes} episodes, {bad} assistant turns break the render contract")
    return 1 if bad else 0


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
            return run_command(args, argv)
        if args.command == "serve":
            return serve_command(args)
        if args.command == "adapters":
            return adapters_command(args)
        if args.command == "tasks":
            return _validate(args)
        if args.command == "render-check":
            return _render_check(args)
        if args.command == "mswe":
            return mswe_command(args, argv)
        if args.command == "multiple":
            return multiple_command(args)
        if args.command == "extract":
            return extract_command(args, argv)
        if args.command == "sandbox":
            return run_sandbox_command(args)
        return _report(args)
    except (AgentbenchError, ValueError) as exc:
        print(f"agentbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
