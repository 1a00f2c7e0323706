"""`agentbench serve`: vLLM for a base model with LoRA adapters."""

from __future__ import annotations

import argparse
import os
import shlex
import time
from pathlib import Path

from agentbench_ts.models.vllm_serve import ServeConfig, VLLMServer, vllm_command


def adapter_pair(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, path


def add_serve_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="launch vLLM for a base model and LoRA adapters")
    serve.add_argument("base_model")
    serve.add_argument("--lora", action="append", type=adapter_pair, default=[], metavar="NAME=PATH")
    defaults = ServeConfig(base_model="-")
    serve.add_argument("--served-model-name")
    serve.add_argument("--host", default=defaults.host)
    serve.add_argument("--port", type=int, default=defaults.port)
    serve.add_argument("--max-lora-rank", type=int, default=defaults.max_lora_rank)
    serve.add_argument("--max-loras", type=int)
    serve.add_argument("--max-model-len", type=int)
    serve.add_argument("--gpu-memory-utilization", type=float, default=defaults.gpu_memory_utilization)
    serve.add_argument("--runtime-lora", action="store_true", help="allow loading adapters while serving")
    serve.add_argument("--vllm", default=defaults.executable, help="the vllm executable")
    serve.add_argument("--log", type=Path, default=Path("vllm.log"))
    serve.add_argument("--ready-timeout", type=float, default=900.0)
    serve.add_argument("--dry-run", action="store_true", help="print the vllm command and exit")


def serve_config(args: argparse.Namespace) -> ServeConfig:
    return ServeConfig(
        base_model=args.base_model,
        adapters=dict(args.lora),
        served_model_name=args.served_model_name,
        host=args.host,
        port=args.port,
        max_lora_rank=args.max_lora_rank,
        max_loras=args.max_loras,
        max_model_len=args.max_model_len,
        gpu_memory_utilization=args.gpu_memory_utilization,
        runtime_lora=args.runtime_lora,
        executable=args.vllm,
    )


def serve_command(args: argparse.Namespace) -> int:
    config = serve_config(args)
    if args.dry_run:
        print(shlex.join(vllm_command(config)))
        return 0
    with VLLMServer(config, args.log, environment=dict(os.environ)).start(args.ready_timeout):
        names = ", ".join([config.model_name, *config.adapters])
        print(f"serving {names} at {config.base_url} (Ctrl-C stops)", flush=True)
        while True:
            time.sleep(3600)
