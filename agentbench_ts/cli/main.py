"""`agentbench`: run tasks, validate them, regrade runs, report; build datasets; benchmarks' own tools."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from agentbench_ts.cli.export_cmd import add_export_commands, export_command
from agentbench_ts.cli.extract_cmd import add_extract_commands, extract_command
from agentbench_ts.cli.mswe_cmd import add_mswe_commands, mswe_command
from agentbench_ts.cli.multiple_cmd import add_multiple_commands, multiple_command
from agentbench_ts.cli.report_cmd import add_report_commands, render_check_command, report_command
from agentbench_ts.cli.round_cmd import add_round_commands, round_command
from agentbench_ts.cli.run_cmd import add_run_commands, regrade_command, run_command
from agentbench_ts.cli.sandbox_cmd import add_sandbox_commands, sandbox_command
from agentbench_ts.cli.serve_cmd import add_serve_commands, serve_command
from agentbench_ts.cli.tasks_cmd import add_tasks_commands, tasks_command
from agentbench_ts.cli.train_cmd import adapters_command, add_train_commands, train_command
from agentbench_ts.cli.view_cmd import add_view_commands, view_command
from agentbench_ts.errors import AgentbenchError

Command = Callable[[argparse.Namespace, Sequence[str]], int]
COMMANDS: dict[str, Command] = {
    "run": run_command,
    "regrade": lambda args, argv: regrade_command(args),
    "tasks": lambda args, argv: tasks_command(args),
    "report": lambda args, argv: report_command(args),
    "render-check": lambda args, argv: render_check_command(args),
    "sandbox": lambda args, argv: sandbox_command(args),
    "serve": lambda args, argv: serve_command(args),
    "adapters": lambda args, argv: adapters_command(args),
    "extract": extract_command,
    "multiple": lambda args, argv: multiple_command(args),
    "mswe": mswe_command,
    "train": train_command,
    "round": lambda args, argv: round_command(args),
    "view": lambda args, argv: view_command(args),
    "export": lambda args, argv: export_command(args),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_run_commands(sub)
    add_tasks_commands(sub)
    add_report_commands(sub)
    add_sandbox_commands(sub)
    add_serve_commands(sub)
    add_extract_commands(sub)
    add_multiple_commands(sub)
    add_mswe_commands(sub)
    add_train_commands(sub)
    add_round_commands(sub)
    add_view_commands(sub)
    add_export_commands(sub)
    return parser


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Raising here unwinds the stack, so every sandbox is closed on the way out.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return COMMANDS[args.command](args, argv)
    except (AgentbenchError, ValueError) as exc:  # ValueError: pydantic's, with its message
        print(f"agentbench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
