"""The render contract of a recorded run against a tokenizer: every assistant turn, as served, must be
a prefix of its training rendering (see models.render_contract); where the run recorded the token ids
the server used, they must begin the trainer's tokenization of the same row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentbench_ts.models.render_contract import RenderMismatch, render_mismatches
from agentbench_ts.traces.records import EpisodeRecord
from agentbench_ts.traces.store import TraceStore


@dataclass(frozen=True)
class TokenMismatch:
    step: int
    offset: int
    served: list[int]
    trained: list[int]

    def describe(self, context: int = 8) -> str:
        start = max(self.offset - context, 0)
        return (
            f"step {self.step}: served token ids differ from the training tokenization at {self.offset}\n"
            f"  served : {self.served[start : self.offset + context]}\n"
            f"  trained: {self.trained[start : self.offset + context]}"
        )


@dataclass(frozen=True)
class EpisodeMismatch:
    task_id: str
    sample_index: int
    mismatch: RenderMismatch | TokenMismatch


@dataclass
class RenderCheck:
    episodes: int = 0
    mismatches: int = 0
    token_checked_steps: int = 0


def _ids(encoded: Any) -> list[int]:
    ids = encoded["input_ids"] if isinstance(encoded, Mapping) else encoded
    return [int(token) for token in ids]


def token_mismatches(tokenizer: Any, record: EpisodeRecord) -> Iterator[TokenMismatch]:
    """Steps whose served prompt + completion ids do not begin the row's training tokenization."""
    for step in record.steps:
        if step.prompt_token_ids is None or step.completion_token_ids is None:
            continue
        conversation: Sequence[dict[str, str]] = record.messages[: 2 + 2 * step.index + 1]
        trained = _ids(tokenizer.apply_chat_template(list(conversation), tokenize=True))
        served = [*step.prompt_token_ids, *step.completion_token_ids]
        if trained[: len(served)] != served:
            offset = next(
                (i for i, (a, b) in enumerate(zip(served, trained, strict=False)) if a != b), len(trained)
            )
            yield TokenMismatch(step.index, offset, served, trained)


def check_run(run_dir: Path, tokenizer_dir: Path, tally: RenderCheck) -> Iterator[EpisodeMismatch]:
    """Every assistant turn of the run that breaks the contract; `tally` counts as it goes."""
    from transformers import AutoTokenizer  # noqa: PLC0415 (an optional extra)

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
    for record in TraceStore(run_dir).episodes():
        tally.episodes += 1
        tally.token_checked_steps += sum(s.prompt_token_ids is not None for s in record.steps)
        found: list[RenderMismatch | TokenMismatch] = list(render_mismatches(tokenizer, record.messages))
        found += token_mismatches(tokenizer, record)
        for mismatch in found:
            tally.mismatches += 1
            yield EpisodeMismatch(record.task_id, record.sample_index, mismatch)
