"""`agentbench train sft|dpo` and `agentbench adapters load|inspect|check|verify`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from agentbench_ts.cli.serve_cmd import adapter_pair
from agentbench_ts.errors import TrainError
from agentbench_ts.runner.flags import sandbox_config, stderr_line


def add_train_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = sub.add_parser("train", help="train the next LoRA adapter on an extracted dataset")
    methods = train.add_subparsers(dest="train_method", required=True)
    for method in ("sft", "dpo"):
        _add_train_flags(
            methods.add_parser(method, help=f"{method.upper()} with TRL on an extraction's split")
        )
    _add_adapters_commands(sub)


def _add_train_flags(command: argparse.ArgumentParser) -> None:
    from agentbench_ts.train.config import ALL_LINEAR, LoraSettings, TrainConfig  # noqa: PLC0415

    defaults, lora = TrainConfig.model_fields, LoraSettings()
    command.add_argument("dataset", type=Path, help="an extraction folder (agentbench extract --out)")
    command.add_argument("--base", required=True, help="the base model folder")
    command.add_argument("--out", required=True, type=Path, help="the adapter folder to create")
    command.add_argument("--split", default="train")
    command.add_argument("--backend", choices=["auto", "unsloth", "hf"], default="auto")
    command.add_argument("--quantization", choices=["none", "4bit"], default="none", help="4bit: QLoRA")
    command.add_argument("--parent-adapter", type=Path, help="continue this adapter (the last round's)")
    command.add_argument("--lora-r", type=int, default=lora.r)
    command.add_argument("--lora-alpha", type=int, default=lora.alpha)
    command.add_argument("--lora-dropout", type=float, default=lora.dropout)
    command.add_argument("--target-modules", default=",".join(ALL_LINEAR))
    command.add_argument("--max-length", type=int, default=defaults["max_length"].default)
    command.add_argument("--learning-rate", type=float, default=defaults["learning_rate"].default)
    command.add_argument(
        "--optimizer", default=defaults["optimizer"].default, help="transformers' optim name"
    )
    command.add_argument("--weight-decay", type=float, default=defaults["weight_decay"].default)
    command.add_argument("--max-grad-norm", type=float, default=defaults["max_grad_norm"].default)
    command.add_argument("--lr-scheduler", default=defaults["lr_scheduler"].default)
    command.add_argument("--warmup-ratio", type=float, default=defaults["warmup_ratio"].default)
    command.add_argument("--epochs", type=float, default=defaults["epochs"].default)
    command.add_argument("--max-steps", type=int, default=-1, help="optimizer steps (overrides --epochs)")
    command.add_argument("--batch-size", type=int, default=defaults["batch_size"].default)
    command.add_argument("--grad-accum", type=int, default=defaults["grad_accum"].default)
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--beta", type=float, default=defaults["beta"].default, help="DPO's beta")
    command.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    command.add_argument(
        "--gradient-checkpointing",
        choices=["off", "on", "offload"],
        default="on",
        help="offload: Unsloth's",
    )
    command.add_argument("--max-lora-rank", type=int, default=defaults["max_lora_rank"].default)
    command.add_argument("--no-canary", action="store_true", help="skip the adapter-applied canary")
    command.add_argument(
        "--select-by",
        action="append",
        default=[],
        metavar="TASK_SPEC",
        help="choose the checkpoint by task results on these held-out tasks",
    )
    command.add_argument("--eval-every", type=int, help="steps between checkpoint evaluations")
    command.add_argument("--select-model", default="hf:{base}+{adapter}", help="how a checkpoint is served")
    command.add_argument("--select-max-steps", type=int, default=10, help="agent steps per evaluation")


def _add_adapters_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    adapters = sub.add_parser("adapters", help="LoRA adapters: load into a server, inspect, check, verify")
    commands = adapters.add_subparsers(dest="adapters_command", required=True)
    load = commands.add_parser("load", help="load an adapter into a running vLLM (needs --runtime-lora)")
    load.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8000/v1")
    load.add_argument("adapter", type=adapter_pair, metavar="NAME=PATH")
    inspect = commands.add_parser("inspect", help="print an adapter's agentbench_adapter.json")
    inspect.add_argument("adapter_dir", type=Path)
    inspect.add_argument("--json", action="store_true", help="the whole record as JSON")
    check = commands.add_parser("check", help="would vLLM apply this adapter? (rank, targets, modules)")
    check.add_argument("adapter_dir", type=Path)
    check.add_argument("--base", type=Path, help="the base folder (default: the one in the metadata)")
    check.add_argument("--max-lora-rank", type=int, default=64)
    verify = commands.add_parser("verify", help="does a running server apply the adapter? (logprob canary)")
    verify.add_argument(
        "--url", required=True, help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"
    )
    verify.add_argument("name", help="the adapter's served name")
    verify.add_argument("--base-name", required=True, help="the base model's served name")
    verify.add_argument("--adapter-dir", type=Path, help="also record the result in this adapter's metadata")


def train_config(args: argparse.Namespace, argv: Sequence[str]) -> object:
    from agentbench_ts.train.config import LoraSettings, Selection, TrainConfig  # noqa: PLC0415

    selection = None
    if args.select_by:
        if args.eval_every is None:
            raise TrainError("--select-by needs --eval-every N")
        args.sandbox = "local"
        selection = Selection(
            tasks=tuple(args.select_by),
            every=args.eval_every,
            model=args.select_model,
            max_steps=args.select_max_steps,
            sandbox=sandbox_config(args),
        )
    return TrainConfig(
        method=args.train_method,
        dataset=args.dataset,
        split=args.split,
        base=args.base,
        out_dir=args.out,
        backend=args.backend,
        quantization=args.quantization,
        lora=LoraSettings(
            r=args.lora_r,
            alpha=args.lora_alpha,
            dropout=args.lora_dropout,
            target_modules=tuple(m.strip() for m in args.target_modules.split(",") if m.strip()),
        ),
        parent_adapter=args.parent_adapter,
        max_length=args.max_length,
        learning_rate=args.learning_rate,
        optimizer=args.optimizer,
        weight_decay=args.weight_decay,
        max_grad_norm=args.max_grad_norm,
        lr_scheduler=args.lr_scheduler,
        warmup_ratio=args.warmup_ratio,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        seed=args.seed,
        beta=args.beta,
        device=args.device,
        gradient_checkpointing=args.gradient_checkpointing,
        max_lora_rank=args.max_lora_rank,
        canary=not args.no_canary,
        selection=selection,
        command=("agentbench", *argv),
    )


def train_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    # Unsloth (imported by either backend where no GPU is) checks for torchvision unless told not to.
    os.environ.setdefault("UNSLOTH_SKIP_TORCHVISION_CHECK", "1")
    from agentbench_ts.train.adapter import describe  # noqa: PLC0415
    from agentbench_ts.train.api import train_adapter  # noqa: PLC0415
    from agentbench_ts.train.config import TrainConfig  # noqa: PLC0415

    config = train_config(args, argv)
    assert isinstance(config, TrainConfig)
    result = train_adapter(config, log=stderr_line)
    print(describe(result.info))
    print(f"adapter: {result.adapter_dir}")
    if result.info.canary is not None and not result.info.canary.applied:
        print("agentbench: error: the canary finds the adapter changes nothing", file=sys.stderr)
        return 1
    return 0


def adapters_command(args: argparse.Namespace) -> int:
    if args.adapters_command == "load":
        from agentbench_ts.models.vllm_serve import load_lora_adapter  # noqa: PLC0415

        name, path = args.adapter
        load_lora_adapter(args.url, name, path)
        print(f"loaded {name} from {path}")
        return 0
    if args.adapters_command == "verify":
        from agentbench_ts.train.canary import openai_prompt_scorer, server_canary  # noqa: PLC0415

        where = f"{args.url} {args.name}"
        result = server_canary(openai_prompt_scorer(args.url), args.base_name, args.name, where)
        if args.adapter_dir is not None:
            from agentbench_ts.train.adapter import read_info, write_info  # noqa: PLC0415

            info = read_info(args.adapter_dir)
            write_info(
                args.adapter_dir, info.model_copy(update={"served_canaries": [*info.served_canaries, result]})
            )
        verdict = "applied" if result.applied else "NOT APPLIED"
        shown = f"max |dlogp| {result.max_abs_diff:.4g} over {result.tokens} tokens"
        print(f"{args.name} at {args.url}: {verdict} ({shown})")
        return 0 if result.applied else 1
    from agentbench_ts.train.adapter import describe, read_info  # noqa: PLC0415

    if args.adapters_command == "inspect":
        info = read_info(args.adapter_dir)
        print(info.model_dump_json(indent=2) if args.json else describe(info))
        return 0
    from agentbench_ts.train.backends import base_config  # noqa: PLC0415
    from agentbench_ts.train.vllm_compat import adapter_problems  # noqa: PLC0415

    base = str(args.base) if args.base else read_info(args.adapter_dir).base
    problems = adapter_problems(args.adapter_dir, base_config(base), args.max_lora_rank)
    for problem in problems:
        print(f"BAD {problem}")
    print(
        "vLLM would apply it"
        if not problems
        else f"{len(problems)} problem(s): vLLM would not apply it as trained"
    )
    return 1 if problems else 0
