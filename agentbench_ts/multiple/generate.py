"""Completion mode's first half: sample completions of each prompt from an OpenAI-compatible
completions endpoint (vLLM), with the problem's stop tokens, appended problem by problem to a jsonl
file so that a killed run resumes where it stopped."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentbench_ts.multiple.files import read_completions
from agentbench_ts.multiple.records import MultiPLERecord


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


def _cut_torn_tail(out: Path) -> None:
    """A line half-written by a killed run is dropped; that problem is sampled again."""
    if out.exists() and (data := out.read_bytes()) and not data.endswith(b"\n"):
        out.write_bytes(data[: data.rfind(b"\n") + 1])


def _append(out: Path, name: str, completions: list[str]) -> None:
    with out.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps({"name": name, "completions": completions}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


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
    _cut_torn_tail(out)
    done = set(read_completions(out)) if out.exists() else set()
    todo = [r for r in records if r.name not in done]
    with ThreadPoolExecutor(max(concurrency, 1)) as pool:
        futures = {pool.submit(sample_completions, client, model, r, sampling): r for r in todo}
        for future in as_completed(futures):
            name = futures[future].name
            _append(out, name, future.result())
            if on_problem:
                on_problem(name)
    return len(todo)
