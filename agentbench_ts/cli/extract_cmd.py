"""`agentbench extract sft|dpo|check`: traces -> datasets, and the cross-dataset leakage check."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentbench_ts.extract.dpo_pairs import DPO_SOURCES


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dirs", nargs="+", type=Path, help="run directories (agentbench run --out)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    parser.add_argument("--splits", default="train=0.9,eval=0.1", help="NAME=RATIO,... by hash of task_id")
    parser.add_argument("--split-salt", default="agentbench-v1", help="salt of the split hash")
    parser.add_argument("--train-split", action="append", help="training split name(s); default train")
    parser.add_argument(
        "--exclude-tasks",
        action="append",
        default=[],
        metavar="FILE|SPLIT",
        help="leave out the task ids listed in FILE, or the tasks their suite puts in SPLIT (repeatable)",
    )
    parser.add_argument("--tokenizer", type=Path, help="local tokenizer folder for --max-tokens")
    parser.add_argument("--max-tokens", type=int, help="drop (never truncate) rows longer than this")
    parser.add_argument("--export", default="", help="also write each split as: parquet,jsonl")


def add_extract_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    extract = sub.add_parser("extract", help="turn traces into SFT/DPO datasets")
    commands = extract.add_subparsers(dest="extract_command", required=True)
    sft = commands.add_parser("sft", help="one row per assistant step")
    _add_common(sft)
    sft.add_argument("--require-success", action="store_true", help="only episodes that were resolved")
    sft.add_argument("--require-valid-action", action="store_true", help="drop steps that failed to parse")
    sft.add_argument("--drop-tool-errors", action="store_true", help="drop steps whose tool refused them")
    sft.add_argument("--drop-loops", action="store_true", help="drop steps repeating the previous action")
    sft.add_argument("--dedupe", action="store_true", help="one row per (prefix, action)")
    sft.add_argument("--max-steps-per-episode", type=int, help="keep each episode's first N rows")
    sft.add_argument(
        "--format",
        default="messages",
        choices=["messages", "prompt-completion"],
        help="prompt-completion lets a completion-only loss learn just this step's action",
    )
    dpo = commands.add_parser("dpo", help="pairs of next actions at the same prefix")
    _add_common(dpo)
    dpo.add_argument("--sources", default=",".join(DPO_SOURCES), help="rollouts,validity,loops")
    dpo.add_argument("--max-pairs-per-state", type=int, default=4)
    dpo.add_argument("--format", default="trl", choices=["trl", "together"])
    check = commands.add_parser("check", help="fail when evaluation tasks appear in training data")
    check.add_argument("dataset", type=Path, help="an extraction folder (or a saved DatasetDict)")
    check.add_argument(
        "--against",
        action="append",
        required=True,
        type=Path,
        help="a task-id file, or an extraction whose evaluation splits hold the forbidden tasks",
    )
    check.add_argument("--train-split", action="append", help="training split name(s); default train")


def _options(args: argparse.Namespace) -> Any:
    from agentbench_ts.extract import ExtractOptions, LengthGuard, SplitSpec, TaskSelection  # noqa: PLC0415

    splits = SplitSpec.parse(args.splits, args.split_salt, tuple(args.train_split or ["train"]))
    guard = None
    if (args.tokenizer is None) != (args.max_tokens is None):
        raise ValueError("--tokenizer and --max-tokens go together")
    if args.tokenizer is not None:
        from transformers import AutoTokenizer  # noqa: PLC0415 (an optional extra)

        tokenizer = AutoTokenizer.from_pretrained(args.tokenizer, local_files_only=True)
        guard = LengthGuard(tokenizer, args.max_tokens)
    return ExtractOptions(TaskSelection.build(splits, args.exclude_tasks), guard)


def _extract(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from agentbench_ts.extract import (  # noqa: PLC0415 (datasets is an optional extra)
        DpoOptions,
        SftFilters,
        extract_dpo,
        extract_sft,
        write_extraction,
    )

    options = _options(args)
    if args.extract_command == "sft":
        filters = SftFilters.taken_from(args)
        extraction = extract_sft(args.run_dirs, filters, options, args.format)
    else:
        sources = tuple(s.strip() for s in args.sources.split(",") if s.strip())
        extraction = extract_dpo(
            args.run_dirs, DpoOptions(sources, args.max_pairs_per_state, args.format), options
        )
    exports = [e.strip() for e in args.export.split(",") if e.strip()]
    command = ["agentbench", *argv]
    write_extraction(
        extraction.dataset,
        extraction.report,
        args.out,
        exports=exports,
        command=command,
        overwrite=args.overwrite,
    )
    report = extraction.report
    splits = ", ".join(f"{name} {count}" for name, count in report.per_split.items())
    dropped = ", ".join(f"{reason} {count}" for reason, count in report.dropped.items() if count)
    print(f"{report.kept} {report.kind} rows ({splits}) from {report.candidates} steps -> {args.out}")
    print(f"dropped: {dropped or 'none'}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from agentbench_ts.errors import LeakageError  # noqa: PLC0415
    from agentbench_ts.extract.dataset import check_leakage  # noqa: PLC0415
    from agentbench_ts.extract.leakage import forbidden_tasks, load_extraction  # noqa: PLC0415

    train = tuple(args.train_split or ["train"])
    forbidden: dict[str, str] = {}
    for source in args.against:
        forbidden |= forbidden_tasks(source, train)
    try:
        check_leakage(load_extraction(args.dataset), train, forbidden)
    except LeakageError as exc:
        print(f"LEAK: {exc}", file=sys.stderr)
        return 1
    print(f"ok: none of {len(forbidden)} evaluation task(s) appear in {args.dataset}'s training split(s)")
    return 0


def extract_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    import datasets  # noqa: PLC0415 (an optional extra)

    datasets.disable_progress_bars()
    if args.extract_command == "check":
        return _check(args)
    return _extract(args, argv)
