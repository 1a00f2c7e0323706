"""`agentbench run`: flags -> RunConfig + model and sandbox factories -> traces."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.cli.progress import ProgressBar
from agentbench_ts.cli.sandbox_cmd import add_image_flags, image_config
from agentbench_ts.models.options import ModelOptions, SamplingParams
from agentbench_ts.models.registry import MODEL_SPECS, model_factory
from agentbench_ts.report import format_summary, summarize
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.sandbox.config import SandboxConfig
from agentbench_ts.sandbox.registry import SANDBOX_KINDS, sandbox_factory
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tools.workspace import ToolLimits
from agentbench_ts.traces.records import EpisodeRecord


def add_run_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a model on a suite and record traces")
    run.add_argument("--suite", required=True, type=Path, help="suite folder, e.g. tasks/quixbugs-ts")
    run.add_argument("--model", required=True, help=f"model spec: {', '.join(MODEL_SPECS)}")
    run.add_argument("--task", action="append", help="only this task (repeatable)")
    add_sandbox_flags(run)
    add_episode_flags(run, AgentConfig().test_policy)
    add_model_flags(run)


def add_episode_flags(parser: argparse.ArgumentParser, test_policy: str) -> None:
    """Where the traces go, how many episodes, and the agent's budgets and policies."""
    parser.add_argument("--out", required=True, type=Path, help="run directory (resumed if it exists)")
    parser.add_argument("--samples", type=int, default=1, help="episodes per task")
    parser.add_argument("--concurrency", type=int, default=1, help="episodes in flight at once")
    parser.add_argument("--seed", type=int, default=0)
    agent = AgentConfig()
    parser.add_argument("--max-steps", type=int, default=agent.max_steps)
    parser.add_argument("--max-wall-s", type=float, default=agent.max_wall_s)
    parser.add_argument("--test-policy", default=test_policy, choices=["never", "on_write", "end"])
    parser.add_argument("--lenient", action="store_true", help="recover fenced or prefixed JSON")


def add_sandbox_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sandbox", default="local", choices=sorted(SANDBOX_KINDS))
    add_image_flags(parser)


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    sampling, options = SamplingParams(), ModelOptions()
    group = parser.add_argument_group("model requests (openai: and hf: models)")
    group.add_argument("--temperature", type=float, default=sampling.temperature)
    group.add_argument("--top-p", type=float, default=sampling.top_p)
    group.add_argument("--max-tokens", type=int, default=sampling.max_tokens)
    group.add_argument("--sampling-seed", type=int, default=None, help="seed sent with every request")
    group.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    group.add_argument("--request-timeout", type=float, default=options.timeout_s)
    group.add_argument("--max-retries", type=int, default=options.max_retries)
    group.add_argument("--structured-output", action="store_true", help="constrain replies to the schema")
    group.add_argument("--tool-protocol", choices=["json", "native"], default=options.tool_protocol)


def model_options(args: argparse.Namespace) -> ModelOptions:
    sampling = SamplingParams(
        temperature=args.temperature,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        seed=args.sampling_seed,
        stop=tuple(args.stop),
    )
    return ModelOptions(
        sampling=sampling,
        timeout_s=args.request_timeout,
        max_retries=args.max_retries,
        structured_output=args.structured_output,
        tool_protocol=args.tool_protocol,
    )


def sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    path = os.environ.get("PATH", "/usr/bin:/bin")
    tools = ToolLimits(ripgrep=shutil.which("rg", path=path))
    return SandboxConfig(kind=args.sandbox, path_env=path, tool_limits=tools, images=image_config(args))


def run_config(args: argparse.Namespace, argv: Sequence[str], suite: str) -> RunConfig:
    agent = AgentConfig(
        max_steps=args.max_steps,
        max_wall_s=args.max_wall_s,
        test_policy=args.test_policy,
        lenient_parsing=args.lenient,
    )
    return RunConfig(
        out_dir=args.out,
        suite=suite,
        model=args.model,
        sandbox=args.sandbox,
        samples=args.samples,
        seed=args.seed,
        agent=agent,
        model_options=model_options(args),
        concurrency=args.concurrency,
        command=("agentbench", *argv),
    )


def progress_bar() -> Callable[[EpisodeRecord, int, int], None]:
    bar = ProgressBar(sys.stderr)

    def progress(record: EpisodeRecord, done: int, total: int) -> None:
        bar.update(done, total, record.outcome == "resolved", f"{record.task_id}: {record.outcome}")

    return progress


def run_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    tasks = load_suite(args.suite, args.task)
    config = run_config(args, argv, str(args.suite))
    make_model = model_factory(args.model, config.model_options)
    store = run_tasks(config, tasks, make_model, sandbox_factory(sandbox_config(args)), progress_bar())
    print(format_summary(summarize(store.episodes())))
    print(f"traces: {store.episodes_path}")
    return 0
