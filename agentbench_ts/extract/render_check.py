"""The render contract of a recorded run against a tokenizer: every assistant turn, as served, must be
a prefix of its training rendering (see models.render_contract)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agentbench_ts.models.render_contract import RenderMismatch, render_mismatches
from agentbench_ts.traces.store import TraceStore


@dataclass(frozen=True)
class EpisodeMismatch:
    task_id: str
    sample_index: int
    mismatch: RenderMismatch


@dataclass
class RenderCheck:
    episodes: int = 0
    mismatches: int = 0


def check_run(run_dir: Path, tokenizer_dir: Path, tally: RenderCheck) -> Iterator[EpisodeMismatch]:
    """Every assistant turn of the run that breaks the contract; `tally` counts as it goes."""
    from transformers import AutoTokenizer  # noqa: PLC0415 (an optional extra)

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
    for record in TraceStore(run_dir).episodes():
        tally.episodes += 1
        for mismatch in render_mismatches(tokenizer, record.messages):
            tally.mismatches += 1
            yield EpisodeMismatch(record.task_id, record.sample_index, mismatch)
