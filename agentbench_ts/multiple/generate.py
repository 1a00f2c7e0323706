"""Completion mode's first half: sample completions of each prompt from an OpenAI-compatible
completions endpoint (vLLM), with the problem's stop tokens, appended problem by problem to a jsonl
file so that a killed run resumes where it stopped."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentbench_ts.multiple.files import read_completions
from agentbench_ts.multiple.problems import MultiPLERecord, load_records
from agentbench_ts.plumbing.jsonl import AppendOnlyJsonl


@dataclass(frozen=True)
class Sampling:
    n: int = 1
    temperature: float = 0.2
    top_p: float = 0.95
    max_tokens: int = 512


def sample_completions(client: Any, model: str, record: MultiPLERecord, sampling: Sampling) -> list[str]:
    response = client.completions.create(
        model=model,
        prompt=record.prompt,
        n=sampling.n,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        max_tokens=sampling.max_tokens,
        stop=record.stop_tokens,
    )
    return [choice.text for choice in sorted(response.choices, key=lambda c: c.index)]


def generate(
    records: Sequence[MultiPLERecord],
    client: Any,
    model: str,
    out: Path,
    *,
    sampling: Sampling,
    concurrency: int = 8,
    on_problem: Callable[[str], None] | None = None,
) -> int:
    """Sample every problem not yet in `out`; returns how many were sampled now."""
    store = AppendOnlyJsonl(out)
    store.repair()  # a line half-written by a killed run is dropped; that problem is sampled again
    done = set(read_completions(out))
    todo = [r for r in records if r.name not in done]
    with ThreadPoolExecutor(max(concurrency, 1)) as pool:
        futures = {pool.submit(sample_completions, client, model, r, sampling): r for r in todo}
        for future in as_completed(futures):
            name = futures[future].name
            store.append(json.dumps({"name": name, "completions": future.result()}))
            if on_problem:
                on_problem(name)
    return len(todo)


@dataclass(frozen=True)
class GenerationJob:
    records: str
    """A jsonl/parquet file, or the hub id with `config`."""
    base_url: str
    model: str
    out: Path
    sampling: Sampling
    config: str | None = None
    api_key: str = "EMPTY"
    concurrency: int = 8
    comment_prompts: bool = False


def generate_from_server(job: GenerationJob) -> tuple[int, int]:
    """(problems sampled now, problems in the records) for an OpenAI-compatible completions server."""
    import openai  # noqa: PLC0415

    records = load_records(job.records, job.config, comment_prompts=job.comment_prompts)
    client = openai.OpenAI(base_url=job.base_url, api_key=job.api_key)
    count = generate(records, client, job.model, job.out, sampling=job.sampling, concurrency=job.concurrency)
    return count, len(records)
