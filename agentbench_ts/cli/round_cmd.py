"""`agentbench round run|status|lineage|datasets|report EXP`: an experiment of rounds."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_round_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rounds = sub.add_parser("round", help="rounds of eval -> traces -> datasets -> adapter -> eval")
    commands = rounds.add_subparsers(dest="round_command", required=True)
    for name, text in (
        ("run", "advance the experiment: run every stage not done yet"),
        ("status", "where the experiment stands, stage by stage"),
        ("lineage", "eval results <- model <- adapter <- dataset <- traces, checked against the files"),
        ("datasets", "extract the training data again from every round's traces; say what changed"),
        ("report", "the round-over-round table (Markdown and PNG plots under EXP/report)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("experiment", type=Path, help="the experiment folder (with experiment.toml)")
        if name == "lineage":
            command.add_argument("--round", type=int, help="default: the last round with a finished eval")


def round_command(args: argparse.Namespace) -> int:
    from agentbench_ts.rounds.engine import advance, status  # noqa: PLC0415
    from agentbench_ts.rounds.experiment import Experiment  # noqa: PLC0415
    from agentbench_ts.runner.flags import stderr_line  # noqa: PLC0415

    os.environ.setdefault("UNSLOTH_SKIP_TORCHVISION_CHECK", "1")  # the train stage may import Unsloth
    exp = Experiment.open(args.experiment, dict(os.environ), stderr_line)
    if args.round_command == "run":
        ran = advance(exp)
        print(
            f"{len(ran)} stage(s) ran: "
            + (", ".join(f"r{r} {stage}" for r, stage in ran) or "none (up to date)")
        )
        return 0
    if args.round_command == "status":
        for state in status(exp):
            print(f"r{state.round} {state.stage:<8} {state.state:<8} {state.finished_at or ''}")
        return 0
    if args.round_command == "lineage":
        from agentbench_ts.rounds.lineage import lineage  # noqa: PLC0415

        done = [s.round for s in status(exp) if s.stage == "eval" and s.state == "done"]
        found = lineage(exp, args.round if args.round is not None else max(done, default=0))
        print("\n".join(found.lines))
        for problem in found.problems:
            print(f"PROBLEM: {problem}")
        return 1 if found.problems else 0
    if args.round_command == "datasets":
        from agentbench_ts.rounds.regenerate import regenerate  # noqa: PLC0415

        target, lines = regenerate(exp)
        print(f"{target}:")
        print("\n".join(f"  {line}" for line in lines))
        return 0
    from agentbench_ts.rounds.report import write_report  # noqa: PLC0415

    text, written = write_report(exp)
    print(text)
    print("\n".join(str(path) for path in written))
    return 0
