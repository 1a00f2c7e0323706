"""Completion mode, end to end as a library call: records + completions -> verdicts with the chosen
evaluator (the fast one, or the per-program reference), a worker pool, `.results.json` files and
pass@k."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentbench_ts.errors import SandboxError, TaskDataError
from agentbench_ts.multiple.completion import evaluate_completions, statuses_of, write_results
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.files import read_completions
from agentbench_ts.multiple.passk import PassAtK, pass_at_k_table
from agentbench_ts.multiple.problems import load_records
from agentbench_ts.multiple.programs import ContainerPrograms, HostPrograms, ProgramLimits, Programs

EVALUATION_NODE = "node:20"
"""The Node that runs programs in the container (the verdicts of a few programs depend on it)."""


@dataclass(frozen=True)
class CompletionEvaluation:
    records: str
    """A jsonl/parquet file, or the hub id with `config`."""
    completions: Path
    out_dir: Path
    toolchain: Path
    """A folder whose node_modules holds TypeScript."""
    env: dict[str, str]
    """The environment of tsc and node (PATH at least)."""
    config: str | None = None
    evaluator: Literal["fast", "reference"] = "fast"
    timeout_s: float = 15.0
    concurrency: int = 2
    comment_prompts: bool = False
    """Make bare description lines of the prompts comments on load (the repository form)."""
    sandbox: Literal["docker", "local"] = "docker"
    """docker: programs run in one `--network none` evaluation container with limits (as MultiPL-E
    runs them in a container); local: on this host, for machines without Docker."""
    cache_dir: Path = Path(tempfile.gettempdir()) / "agentbench-cache"
    """Where the stand-in's tarballs are kept."""
    image: str | None = None
    """The evaluation container's image (needs node); None: `node:20` where docker has it, else its
    local stand-in (built once from the offline base and the npm registry)."""


@dataclass(frozen=True)
class EvaluationResult:
    problems: int
    programs: int
    written: list[Path]
    statuses: dict[str, list[str]]

    def pass_at(self, ks: Sequence[int]) -> list[PassAtK]:
        return pass_at_k_table(self.statuses, ks)


def open_programs(job: CompletionEvaluation) -> Programs:
    limits = ProgramLimits(
        timeout_s=job.timeout_s, compile_timeout_s=job.timeout_s, cpus=float(job.concurrency)
    )
    if job.sandbox == "local":
        return HostPrograms(job.toolchain, job.env, limits)
    from agentbench_ts.sandbox.config import ImageConfig  # noqa: PLC0415 (docker is needed only here)
    from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.images import image_exists  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.standins import ensure_stand_in  # noqa: PLC0415

    client = docker_client()
    image = job.image or EVALUATION_NODE
    if not image_exists(client, image):
        if job.image is not None:
            raise SandboxError(f"the evaluation image {image} is not in docker")
        base = BootstrapRecipe.load(ImageConfig().recipes / "base" / "bootstrap.json").tag()
        if not image_exists(client, base):
            raise SandboxError(
                f"the offline base image {base} is missing: run `agentbench sandbox build-base`"
            )
        image = ensure_stand_in(client, EVALUATION_NODE, base, job.cache_dir)
    return ContainerPrograms(client, image, job.toolchain, limits)


def evaluate_completion_files(job: CompletionEvaluation) -> EvaluationResult:
    records = load_records(job.records, job.config, comment_prompts=job.comment_prompts)
    completions = read_completions(job.completions)
    if unknown := sorted(set(completions) - {r.name for r in records}):
        raise TaskDataError(f"completions for problems not in the records: {unknown[:5]}")
    programs = open_programs(job)
    try:
        if job.evaluator == "fast":
            with FastEvaluator(
                job.toolchain, job.env, concurrency=job.concurrency, programs=programs
            ) as fast:
                results = evaluate_completions(records, completions, fast.evaluate)
        else:
            with ThreadPoolExecutor(job.concurrency) as pool:
                results = evaluate_completions(
                    records, completions, lambda sources: list(pool.map(programs.reference, sources))
                )
    finally:
        programs.close()
    written = write_results(results, job.out_dir)
    count = sum(len(r["results"]) for r in results.values())
    return EvaluationResult(len(results), count, written, statuses_of(results))
