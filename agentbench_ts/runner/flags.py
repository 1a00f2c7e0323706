"""Flags shared by the commands that run episodes, and the configs they become."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from pydantic import JsonValue

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.errors import ConfigError
from agentbench_ts.models.options import ModelOptions, SamplingParams
from agentbench_ts.models.registry import MODEL_SPECS
from agentbench_ts.registry import parse_query
from agentbench_ts.runner.config import ModelConfig, RetryKind, RetryPolicy, RunConfig, default_cache_dir
from agentbench_ts.sandbox.config import (
    DockerLimits,
    DockerSandboxConfig,
    ImageConfig,
    LocalSandboxConfig,
    PluginSandboxConfig,
    SandboxConfig,
)
from agentbench_ts.tasks.sources import SourceContext, TaskSourceSpec
from agentbench_ts.tools.workspace import ToolLimits


def stderr_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def add_task_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tasks",
        action="append",
        default=[],
        metavar="SPEC",
        help="task source (repeatable): suite:DIR, mswe:FILE[?languages=..&mirror=ORG/REPO=PATH], "
        "multiple:FILE[?show_tests], or package.module:factory[:ARG]",
    )
    parser.add_argument("--suite", action="append", default=[], type=Path, help="same as --tasks suite:DIR")
    parser.add_argument(
        "--task", action="append", default=[], help="only this task, by id or name (repeatable)"
    )


def add_episode_flags(parser: argparse.ArgumentParser, test_policy: str) -> None:
    """Where the traces go, how many episodes, and the agent's budgets and policies."""
    parser.add_argument("--out", type=Path, help="run directory (resumed if it exists)")
    parser.add_argument("--samples", type=int, default=1, help="episodes per task")
    parser.add_argument("--concurrency", type=int, default=None, help="episodes in flight at once (1)")
    parser.add_argument("--seed", type=int, default=0)
    agent = AgentConfig()
    parser.add_argument("--max-steps", type=int, default=agent.max_steps)
    parser.add_argument("--max-wall-s", type=float, default=agent.max_wall_s)
    parser.add_argument("--test-policy", default=test_policy, choices=["never", "on_write", "end"])
    parser.add_argument("--lenient", action="store_true", help="recover fenced or prefixed JSON")
    parser.add_argument(
        "--grader-option",
        action="append",
        default=[],
        metavar="GRADER.KEY=VALUE",
        help="an option of a grader the tasks use, e.g. mswe.timeout_s=600 (repeatable)",
    )
    retry = RetryPolicy()
    parser.add_argument(
        "--retry-on",
        action="append",
        choices=list(get_args(RetryKind)),
        help=f"what runs again, in the run and on resume (repeatable; default {', '.join(retry.on)})",
    )
    parser.add_argument(
        "--retry-attempts", type=int, default=retry.attempts, help="attempts per episode, the first included"
    )
    parser.add_argument(
        "--retry-backoff-s", type=float, default=retry.backoff_s, help="wait before a retry (doubling)"
    )
    parser.add_argument(
        "--new-task-version",
        action="store_true",
        help="resume although tasks changed: run the changed ones anew as a new version",
    )


def add_sandbox_flags(parser: argparse.ArgumentParser, default: str = "local") -> None:
    group = parser.add_argument_group("sandbox")
    group.add_argument("--sandbox", default=default, help="local, docker, or an outside backend's name")
    group.add_argument(
        "--node-image",
        help="docker: base the images on this registry image (e.g. node:20-bookworm-slim), "
        "not the offline base",
    )
    group.add_argument("--rebuild", action="store_true", help="docker: rebuild images even if current")
    group.add_argument(
        "--cold-tsc",
        action="store_true",
        help="run every `tsc` cold, also for suites that declare warm builds (the verdicts are the same)",
    )
    limits = DockerLimits()
    group.add_argument("--sandbox-cpus", type=float, default=limits.cpus, help="docker: cpus per episode")
    group.add_argument(
        "--sandbox-memory-gb",
        type=float,
        default=limits.memory_bytes / (1 << 30),
        help="docker: memory per episode",
    )
    group.add_argument(
        "--sandbox-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an outside backend's option",
    )


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", help=f"model spec: {', '.join(MODEL_SPECS)}, or package.module:factory[:ARG]"
    )
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
    group.add_argument(
        "--record-tokens", action="store_true", help="keep each step's served token ids and logprobs (vLLM)"
    )


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
        record_tokens=args.record_tokens,
    )


def tool_limits() -> ToolLimits:
    return ToolLimits(ripgrep=shutil.which("rg", path=os.environ.get("PATH", "/usr/bin:/bin")))


def sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    warm = not getattr(args, "cold_tsc", False)  # commands without the sandbox flags build warm
    if args.sandbox == "local":
        path = os.environ.get("PATH", "/usr/bin:/bin")
        return LocalSandboxConfig(path_env=path, tool_limits=tool_limits(), warm_tsc=warm)
    if args.sandbox == "docker":
        limits = DockerLimits(cpus=args.sandbox_cpus, memory_bytes=int(args.sandbox_memory_gb * (1 << 30)))
        images = ImageConfig(node_image=args.node_image, rebuild=args.rebuild)
        return DockerSandboxConfig(limits=limits, images=images, tool_limits=tool_limits(), warm_tsc=warm)
    options = parse_query("&".join(args.sandbox_option))
    return PluginSandboxConfig(type=args.sandbox, options=options)


def task_specs(args: argparse.Namespace) -> list[TaskSourceSpec]:
    texts = [*args.tasks, *(f"suite:{folder}" for folder in args.suite)]
    return [TaskSourceSpec.parse(text) for text in texts]


def grader_options(entries: Sequence[str]) -> dict[str, dict[str, JsonValue]]:
    options: dict[str, dict[str, JsonValue]] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        grader, dot, name = key.rpartition(".")
        if not sep or not dot or not grader or not name:
            raise ConfigError(f"--grader-option {entry!r}: write GRADER.KEY=VALUE, e.g. mswe.timeout_s=600")
        options.setdefault(grader, {})[name] = _json_or_text(value)
    return options


def _json_or_text(value: str) -> JsonValue:
    """`600` -> 600, `true` -> True, `[1, 2]` -> [1, 2]; anything else stays text."""
    try:
        parsed: JsonValue = json.loads(value)
    except ValueError:
        return value
    return parsed


def source_context(args: argparse.Namespace) -> SourceContext:
    return SourceContext(Path.cwd(), default_cache_dir(), sandbox_config(args), stderr_line)


def agent_config(args: argparse.Namespace) -> AgentConfig:
    return AgentConfig(
        max_steps=args.max_steps,
        max_wall_s=args.max_wall_s,
        test_policy=args.test_policy,
        lenient_parsing=args.lenient,
    )


def run_config(
    args: argparse.Namespace,
    argv: Sequence[str],
    specs: Sequence[TaskSourceSpec],
    graders: dict[str, dict[str, JsonValue]] | None = None,
) -> RunConfig:
    if args.model is None:
        raise ConfigError("--model is required (e.g. --model oracle)")
    if args.out is None:
        raise ConfigError("--out is required: the run directory")
    return RunConfig(
        out_dir=args.out,
        tasks=tuple(specs),
        only=tuple(args.task),
        model=ModelConfig(spec=args.model, options=model_options(args)),
        sandbox=sandbox_config(args),
        agent=agent_config(args),
        graders={**(graders or {}), **grader_options(args.grader_option)},
        samples=args.samples,
        seed=args.seed,
        concurrency=args.concurrency or 1,
        base_dir=Path.cwd(),
        command=("agentbench", *argv),
        retry=retry_policy(args),
        new_task_version=getattr(args, "new_task_version", False),
    )


def retry_policy(args: argparse.Namespace) -> RetryPolicy:
    """The flags' policy (callers whose parsers lack them, such as the pytest plugin, get the default)."""
    default = RetryPolicy()
    on = getattr(args, "retry_on", None)
    return RetryPolicy(
        on=tuple(on) if on else default.on,
        attempts=getattr(args, "retry_attempts", default.attempts),
        backoff_s=getattr(args, "retry_backoff_s", default.backoff_s),
    )
