"""The length guard against a real tokenizer, and TRL's trainers consuming the datasets as they are.
The model is a tiny random Qwen2 (tests/tiny_models.py): this checks plumbing, never quality."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from mixed_traces import record_mixed_runs
from tiny_models import build_tiny_qwen2

from agentbench_ts.extract import (
    ExtractOptions,
    LengthGuard,
    SftFilters,
    SplitSpec,
    TaskSelection,
    extract_dpo,
    extract_sft,
)
from agentbench_ts.extract.card import dataset_card
from agentbench_ts.extract.tokens import TokenLengths
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory

ALL_TRAIN = TaskSelection(SplitSpec((("train", 1.0),)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    make_sandbox = sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"]))
    return list(record_mixed_runs(tmp_path_factory.mktemp("mixed"), make_sandbox))


@pytest.fixture(scope="module", autouse=True)
def unsloth_cpu_backend() -> None:
    """TRL 1.15 computes its loss with Triton kernels (GPU only). Unsloth's CPU backend, loaded by
    importing unsloth on a machine without a GPU, swaps in plain torch, as users train on CPU."""
    os.environ.setdefault("UNSLOTH_SKIP_TORCHVISION_CHECK", "1")
    import unsloth  # noqa: F401


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen2(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tokenizer(tiny: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny, local_files_only=True)


def exact_length(tokenizer: Any, messages: list[dict[str, str]]) -> int:
    encoded = tokenizer.apply_chat_template(messages, tokenize=True)
    ids = encoded["input_ids"] if isinstance(encoded, Mapping) else encoded
    return len(ids)


def test_piecewise_counts_equal_the_chat_template_tokenization(runs: list[Path], tokenizer: Any) -> None:
    rows = extract_sft(runs, options=ExtractOptions(ALL_TRAIN)).dataset["train"]
    counter = TokenLengths(tokenizer, checked_rows=0)
    assert counter.method == "pieces"
    assert counter.lengths(rows["messages"]) == [exact_length(tokenizer, m) for m in rows["messages"]]


def test_added_tokens_that_eat_whitespace_fall_back_to_plain_counting(tokenizer: Any) -> None:
    from tokenizers import AddedToken

    stripping = tokenizer.__class__.from_pretrained(tokenizer.name_or_path)
    stripping.add_tokens([AddedToken("<|tool|>", lstrip=True)])
    assert TokenLengths(stripping).method == "plain"


def test_rows_over_the_budget_are_dropped_never_cut(runs: list[Path], tokenizer: Any) -> None:
    rows = extract_sft(runs, options=ExtractOptions(ALL_TRAIN)).dataset["train"]
    lengths = {(r["episode_id"], r["step"]): exact_length(tokenizer, r["messages"]) for r in rows}
    budget = sorted(lengths.values())[len(lengths) // 2]
    guarded = extract_sft(runs, options=ExtractOptions(ALL_TRAIN, LengthGuard(tokenizer, budget)))
    kept = guarded.dataset["train"]
    assert {(r["episode_id"], r["step"]) for r in kept} == {k for k, n in lengths.items() if n <= budget}
    assert guarded.report.dropped["too_long"] == sum(n > budget for n in lengths.values()) > 0
    assert sorted(guarded.report.token_lengths) == sorted(n for n in lengths.values() if n <= budget)
    assert all(r["messages"] in rows["messages"] for r in kept)  # whole rows, targets untouched
    assert "| tokens | rows |" in dataset_card(guarded.report, None)


def test_dpo_pairs_are_guarded_on_both_sides(runs: list[Path], tokenizer: Any) -> None:
    pairs = extract_dpo(runs, options=ExtractOptions(ALL_TRAIN)).dataset["train"]
    longest = [
        max(
            exact_length(tokenizer, p["prompt"] + p["chosen"]),
            exact_length(tokenizer, p["prompt"] + p["rejected"]),
        )
        for p in pairs
    ]
    budget = sorted(longest)[len(longest) // 2]
    guarded = extract_dpo(runs, options=ExtractOptions(ALL_TRAIN, LengthGuard(tokenizer, budget)))
    assert guarded.dataset["train"].num_rows == sum(n <= budget for n in longest)
    assert sum(guarded.report.per_source.values()) == guarded.dataset["train"].num_rows


TRAINING = {
    "max_steps": 2,
    "per_device_train_batch_size": 2,
    "learning_rate": 1e-3,
    "logging_steps": 1,
    "save_strategy": "no",
    "report_to": "none",
    "use_cpu": True,
}


def sft_config(out: Path, **overrides: Any) -> Any:
    from trl import SFTConfig

    return SFTConfig(output_dir=str(out), max_length=None, **TRAINING, **overrides)


def trained_text(tokenizer: Any, example: Mapping[str, Any]) -> str:
    """The text of the tokens that carry loss in TRL's processed example."""
    return str(tokenizer.decode([label for label in example["labels"] if label != -100]))


def assistant_turns(messages: list[dict[str, str]]) -> str:
    return "".join(m["content"] + "<|im_end|>" for m in messages if m["role"] == "assistant")


@pytest.mark.slow
def test_sft_trainer_with_assistant_only_loss_takes_the_messages_rows(
    runs: list[Path], tiny: Path, tokenizer: Any, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM
    from trl import SFTTrainer

    data = extract_sft(runs, SftFilters(require_success=True), ExtractOptions(ALL_TRAIN)).dataset["train"]
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(tiny),
        args=sft_config(tmp_path, assistant_only_loss=True),
        train_dataset=data,
        processing_class=tokenizer,
    )
    for example, row in zip(trainer.train_dataset, data, strict=True):
        # every assistant turn of the row is learned, the earlier ones too (see sft.SFT_FORMATS)
        assert trained_text(tokenizer, example) == assistant_turns(row["messages"])
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses and all(math.isfinite(loss) for loss in losses)


@pytest.mark.slow
def test_sft_trainer_learns_only_the_step_action_from_prompt_completion_rows(
    runs: list[Path], tiny: Path, tokenizer: Any, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM
    from trl import SFTTrainer

    extraction = extract_sft(runs, options=ExtractOptions(ALL_TRAIN), format="prompt-completion")
    data = extraction.dataset["train"]
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(tiny),
        args=sft_config(tmp_path, assistant_only_loss=True),
        train_dataset=data,
        processing_class=tokenizer,
    )
    for example, row in zip(trainer.train_dataset, data, strict=True):
        assert trained_text(tokenizer, example) == row["completion"][0]["content"] + "<|im_end|>"
    trainer.train()
    assert any("loss" in entry for entry in trainer.state.log_history)


@pytest.mark.slow
def test_dpo_trainer_takes_the_pairs(runs: list[Path], tiny: Path, tokenizer: Any, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM
    from trl import DPOConfig, DPOTrainer

    data = extract_dpo(runs, options=ExtractOptions(ALL_TRAIN)).dataset["train"]
    trainer = DPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(tiny),
        args=DPOConfig(output_dir=str(tmp_path), **TRAINING),
        train_dataset=data,
        processing_class=tokenizer,
    )
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses and all(math.isfinite(loss) for loss in losses)


@pytest.mark.slow
def test_the_extraction_benchmark_runs_on_a_small_corpus() -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "extract.py"
    done = subprocess.run(
        [sys.executable, str(script), "--steps", "600", "--sample", "50"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sft + length guard" in done.stdout and "pieces vs plain" in done.stdout
