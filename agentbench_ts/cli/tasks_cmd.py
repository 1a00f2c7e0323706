"""`agentbench tasks validate`: every task fails before its gold fix and passes after."""

from __future__ import annotations

import argparse
from pathlib import Path

from agentbench_ts.runner.flags import (
    add_sandbox_flags,
    add_task_flags,
    grader_options,
    source_context,
    task_specs,
)
from agentbench_ts.tasks.validate import validate_sources


def add_tasks_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tasks = sub.add_parser("tasks", help="task sources").add_subparsers(dest="tasks_command", required=True)
    validate = tasks.add_parser("validate", help="prove every task: fails before, passes after gold")
    validate.add_argument("suites", nargs="*", type=Path, help="suite folders (same as --tasks suite:DIR)")
    add_task_flags(validate)
    validate.add_argument("--concurrency", type=int, default=2)
    validate.add_argument("--grader-option", action="append", default=[], metavar="GRADER.KEY=VALUE")
    add_sandbox_flags(validate)


def tasks_command(args: argparse.Namespace) -> int:
    args.suite = [*args.suites, *args.suite]
    tasks, validations = validate_sources(
        task_specs(args),
        source_context(args),
        only=args.task,
        grader_options=grader_options(args.grader_option),
        concurrency=args.concurrency,
    )
    failures = 0
    for validation in validations:
        print(f"{'ok ' if validation.ok else 'BAD'} {validation.task_id}")
        for problem in validation.problems:
            print(f"    {problem}")
        failures += not validation.ok
    print(f"{len(tasks) - failures} valid, {failures} invalid")
    return 1 if failures else 0
