"""`agentbench report` (a run's summary) and `agentbench render-check` (served text == training text)."""

from __future__ import annotations

import argparse
from pathlib import Path

from agentbench_ts.report import format_episodes, format_summary, summarize
from agentbench_ts.traces.store import TraceStore


def add_report_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="summarize run directories (and plot them)")
    report.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN")
    report.add_argument("--episodes", action="store_true", help="also list every episode")
    report.add_argument("--plots", type=Path, metavar="DIR", help="write PNG plots (matplotlib) there")
    check = sub.add_parser("render-check", help="check the render contract of a run against a tokenizer")
    check.add_argument("run_dir", type=Path)
    check.add_argument("--tokenizer", required=True, type=Path, help="a local tokenizer folder")


def report_command(args: argparse.Namespace) -> int:
    runs = {str(run_dir): list(TraceStore(run_dir).episodes()) for run_dir in args.run_dirs}
    for name, records in runs.items():
        if len(runs) > 1:
            print(name)
        if args.episodes:
            print(format_episodes(records))
        print(format_summary(summarize(records)))
    if args.plots:
        from agentbench_ts.view.plots import write_plots  # noqa: PLC0415 (matplotlib)

        for path in write_plots(runs, args.plots):
            print(f"plot: {path}")
    return 0


def render_check_command(args: argparse.Namespace) -> int:
    from agentbench_ts.extract.render_check import RenderCheck, check_run  # noqa: PLC0415 (transformers)

    tally = RenderCheck()
    for found in check_run(args.run_dir, args.tokenizer, tally):
        print(f"{found.task_id} #{found.sample_index}: {found.mismatch.describe()}")
    tokens = (
        f" ({tally.token_checked_steps} steps also checked token by token)"
        if tally.token_checked_steps
        else ""
    )
    print(f"{tally.episodes} episodes, {tally.mismatches} assistant turns break the render contract{tokens}")
    return 1 if tally.mismatches else 0
