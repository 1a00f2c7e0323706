"""Completion mode, end to end as a library call: records + completions -> verdicts with the chosen
evaluator (the fast one, or the per-program reference), a worker pool, `.results.json` files and
pass@k."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from agentbench_ts.errors import TaskDataError
from agentbench_ts.multiple.completion import evaluate_completions, statuses_of, write_results
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.files import read_completions
from agentbench_ts.multiple.passk import PassAtK, pass_at_k_table
from agentbench_ts.multiple.problems import load_records
from agentbench_ts.multiple.reference import evaluate_reference


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


@dataclass(frozen=True)
class EvaluationResult:
    problems: int
    programs: int
    written: list[Path]
    statuses: dict[str, list[str]]

    def pass_at(self, ks: Sequence[int]) -> list[PassAtK]:
        return pass_at_k_table(self.statuses, ks)


def evaluate_completion_files(job: CompletionEvaluation) -> EvaluationResult:
    records = load_records(job.records, job.config)
    completions = read_completions(job.completions)
    if unknown := sorted(set(completions) - {r.name for r in records}):
        raise TaskDataError(f"completions for problems not in the records: {unknown[:5]}")
    if job.evaluator == "fast":
        with FastEvaluator(job.toolchain, job.env, job.timeout_s, job.timeout_s, job.concurrency) as fast:
            results = evaluate_completions(records, completions, fast.evaluate)
    else:
        judge = partial(
            evaluate_reference,
            toolchain=job.toolchain,
            env=job.env,
            timeout_s=job.timeout_s,
            compile_timeout_s=job.timeout_s,
        )
        with ThreadPoolExecutor(job.concurrency) as pool:
            results = evaluate_completions(
                records, completions, lambda programs: list(pool.map(judge, programs))
            )
    written = write_results(results, job.out_dir)
    programs = sum(len(r["results"]) for r in results.values())
    return EvaluationResult(len(results), programs, written, statuses_of(results))
