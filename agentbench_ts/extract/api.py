"""The extraction entry points for research code: run directories in, a `DatasetDict` out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datasets import DatasetDict

from agentbench_ts.errors import ExtractError
from agentbench_ts.extract.corpus import Corpus, load_runs
from agentbench_ts.extract.dataset import (
    DPO_FEATURES,
    SFT_FEATURES,
    check_leakage,
    dataset_dict,
    evaluation_tasks,
)
from agentbench_ts.extract.dpo_pairs import DpoOptions, dpo_pairs, pair_conversations, pair_row
from agentbench_ts.extract.guard import drop_long_rows
from agentbench_ts.extract.report import ExtractionReport
from agentbench_ts.extract.selection import TaskSelection
from agentbench_ts.extract.sft_rows import (
    SFT_FORMATS,
    SftFilters,
    cap_per_episode,
    sft_conversation,
    sft_row,
    sft_states,
)
from agentbench_ts.models.render_contract import chat_template_sha256

Runs = Sequence[Path | str] | Corpus


@dataclass(frozen=True)
class LengthGuard:
    """Drop rows longer than max_tokens under this tokenizer's chat template (a transformers tokenizer)."""

    tokenizer: Any
    max_tokens: int


@dataclass(frozen=True)
class ExtractOptions:
    selection: TaskSelection = field(default_factory=TaskSelection)
    length_guard: LengthGuard | None = None


@dataclass(frozen=True)
class Extraction:
    dataset: DatasetDict
    report: ExtractionReport


def _corpus(runs: Runs) -> Corpus:
    return runs if isinstance(runs, Corpus) else load_runs(runs)


def _options_record(kind_options: Any, options: ExtractOptions) -> dict[str, Any]:
    selection = options.selection
    guard = options.length_guard
    return {
        **asdict(kind_options),
        "splits": dict(selection.splits.ratios),
        "salt": selection.splits.salt,
        "train_splits": list(selection.splits.train),
        "excluded_task_ids": sorted(selection.excluded_ids),
        "excluded_suite_splits": sorted(selection.excluded_suite_splits),
        "max_tokens": guard.max_tokens if guard else None,
        "tokenizer": getattr(guard.tokenizer, "name_or_path", None) if guard else None,
        "chat_template_sha256": chat_template_sha256(guard.tokenizer) if guard else None,
    }


def _finish(
    rows: list[dict[str, Any]], features: Any, options: ExtractOptions, report: ExtractionReport
) -> Extraction:
    splits = options.selection.splits
    provenance = json.dumps([report.kind, report.summary()["inputs"], report.options], sort_keys=True)
    data, report.per_split = dataset_dict(
        rows, splits, features, hashlib.sha256(provenance.encode()).hexdigest()
    )
    forbidden = evaluation_tasks(data, splits) | dict.fromkeys(
        options.selection.excluded_ids, "--exclude-tasks"
    )
    check_leakage(data, splits.train, forbidden)
    return Extraction(data, report)


def extract_sft(
    runs: Runs,
    filters: SftFilters | None = None,
    options: ExtractOptions | None = None,
    format: str = "messages",
) -> Extraction:
    """SFT rows in `format` ("messages" or "prompt-completion", see sft.SFT_FORMATS)."""
    if format not in SFT_FORMATS:
        raise ExtractError(f"unknown SFT format {format!r}; choose from {SFT_FORMATS}")
    filters, options = filters or SftFilters(), options or ExtractOptions()
    corpus = _corpus(runs)
    report = ExtractionReport("sft", corpus.inputs, {**_options_record(filters, options), "format": format})
    states = sft_states(corpus.episodes, filters, options.selection, report)
    if (guard := options.length_guard) is not None:
        states = drop_long_rows(
            states, lambda s: [sft_conversation(s)], guard.tokenizer, guard.max_tokens, report
        )
    states = cap_per_episode(states, filters.max_steps_per_episode, report)
    return _finish([sft_row(s, format) for s in states], SFT_FEATURES[format], options, report)


def extract_dpo(
    runs: Runs, dpo_options: DpoOptions | None = None, options: ExtractOptions | None = None
) -> Extraction:
    dpo_options, options = dpo_options or DpoOptions(), options or ExtractOptions()
    corpus = _corpus(runs)
    report = ExtractionReport("dpo", corpus.inputs, _options_record(dpo_options, options))
    pairs = dpo_pairs(corpus.episodes, dpo_options, options.selection, report)
    if (guard := options.length_guard) is not None:
        pairs = drop_long_rows(pairs, pair_conversations, guard.tokenizer, guard.max_tokens, report)
        report.per_source.clear()
        report.per_source.update(pair.source for pair in pairs)
    rows = [pair_row(pair, dpo_options.format) for pair in pairs]
    return _finish(rows, DPO_FEATURES[dpo_options.format], options, report)


def sft(
    runs: Runs,
    filters: SftFilters | None = None,
    options: ExtractOptions | None = None,
    format: str = "messages",
) -> DatasetDict:
    """Step-level SFT rows of the given run directories (or Corpus), one named split per task split."""
    return extract_sft(runs, filters, options, format).dataset


def dpo(
    runs: Runs, dpo_options: DpoOptions | None = None, options: ExtractOptions | None = None
) -> DatasetDict:
    """Step-level DPO pairs of the given run directories (or Corpus), one named split per task split."""
    return extract_dpo(runs, dpo_options, options).dataset
