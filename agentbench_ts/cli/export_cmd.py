"""`agentbench export atif RUN --out DIR`: a run's episodes as ATIF trajectories in Harbor's job layout."""

from __future__ import annotations

import argparse
from pathlib import Path

from agentbench_ts.interop.atif import ATIF_VERSION, export_atif


def add_export_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="write a run in another tool's format")
    formats = export.add_subparsers(dest="format", required=True)
    atif = formats.add_parser(
        "atif", help=f"{ATIF_VERSION} trajectories, one Harbor trial folder per episode"
    )
    atif.add_argument("run_dir", type=Path, metavar="RUN")
    atif.add_argument("--out", type=Path, required=True, help="a new folder (the job)")


def export_command(args: argparse.Namespace) -> int:
    trials = export_atif(args.run_dir, args.out)
    print(f"{len(trials)} trials ({ATIF_VERSION}) -> {args.out}")
    return 0
