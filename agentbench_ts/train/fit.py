"""TRL's trainers on the loaded model: SFT with the loss on the completion (prompt-completion rows) or
on assistant turns (messages rows), DPO against the base with the adapter disabled (no second copy).
No row is truncated: rows are counted before training (Unsloth's patched trainer would cut them to the
model's max_seq_length without a word) and again as TRL tokenized them; a row over `max_length` is an
error."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from transformers import PrinterCallback, TrainerCallback

from agentbench_ts.errors import TrainError
from agentbench_ts.train.adapter import TrainStats
from agentbench_ts.train.config import TrainConfig
from agentbench_ts.train.data import TrainingData

_LENGTH_COLUMNS = ("input_ids", "prompt_ids", "chosen_ids", "rejected_ids", "prompt_input_ids")


def recipe_arguments(config: TrainConfig) -> dict[str, Any]:
    """The trainer arguments that make the optimisation recipe, checked on the built trainer."""
    return {
        "per_device_train_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.learning_rate,
        "optim": config.optimizer,
        "weight_decay": config.weight_decay,
        "max_grad_norm": config.max_grad_norm,
        "adam_beta1": config.adam_beta1,
        "adam_beta2": config.adam_beta2,
        "adam_epsilon": config.adam_epsilon,
        "lr_scheduler_type": config.lr_scheduler,
        "warmup_steps": config.warmup_ratio,  # a float below 1 is a ratio of the total steps
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps,
        "seed": config.seed,
        "data_seed": config.seed,
        "auto_find_batch_size": False,
    }


def _common(config: TrainConfig, device: str, work_dir: Path) -> dict[str, Any]:
    """Every trainer argument, given explicitly: on a GPU, Unsloth replaces TRL's config class with
    its own, whose defaults differ (adamw_8bit, weight decay 0.001, seed 3407, an empty-cache step,
    padding-free batches, ...), so a field left unset would train another recipe on that backend. The
    recipe's are checked once the trainer holds them; precision, memory and batching choices a backend
    may adjust (Unsloth's CPU path turns bf16 off where the CPU lacks it) are recorded."""
    cuda = device == "cuda"
    return {
        **recipe_arguments(config),
        "bf16": cuda,
        "fp16": False,
        "gradient_checkpointing": config.gradient_checkpointing != "off" and cuda,
        "max_length": None,
        "padding_free": False,
        "torch_empty_cache_steps": None,
        "output_dir": str(work_dir / "trainer"),
        "logging_steps": config.logging_steps,
        "logging_nan_inf_filter": True,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": device != "cuda",
        "dataloader_pin_memory": device == "cuda",
        "include_num_input_tokens_seen": "non_padding",
        "dataset_num_proc": None,
        "disable_tqdm": True,
    }


SAME_UPDATE = {"adamw_torch": "adamw", "adamw_torch_fused": "adamw"}
"""Optimizer names a backend may put in for one another without changing the update: the fused AdamW
kernel for the plain one (Unsloth's CPU path does, as its kernel is the faster there)."""


def _same(key: str, wanted: Any, held: Any) -> bool:
    if key == "optim":
        return SAME_UPDATE.get(str(wanted), str(wanted)) == SAME_UPDATE.get(str(held), str(held))
    return bool(held == wanted)


def check_recipe(trainer: Any, config: TrainConfig) -> None:
    """A TrainError where the trainer holds another value than the recipe gave it (a backend that
    swapped the config and lost a field)."""
    held = effective_arguments(trainer)
    changed = {
        key: (wanted, held.get(key))
        for key, wanted in recipe_arguments(config).items()
        if key not in held or not _same(key, wanted, held[key])
    }
    if changed:
        shown = ", ".join(f"{key} {wanted!r} -> {got!r}" for key, (wanted, got) in sorted(changed.items()))
        raise TrainError(f"the {type(trainer).__name__} does not train the recipe it was given: {shown}")


def effective_arguments(trainer: Any) -> dict[str, Any]:
    """The trainer's arguments as it holds them (after any backend replaced its config), JSON-safe,
    without the folders of this machine."""
    held = trainer.args.to_dict()
    return {
        key: value if isinstance(value, bool | int | float | str | type(None)) else str(value)
        for key, value in sorted(held.items())
        if key not in ("output_dir", "logging_dir")
    }


class LogLines(TrainerCallback):
    """Training progress as short lines to `log` (instead of transformers' printed dictionaries)."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if logs and "loss" in logs and "train_loss" not in logs:
            shown = ", ".join(
                f"{key} {float(logs[key]):.4g}" for key in ("loss", "rewards/margins") if key in logs
            )
            self.log(f"step {state.global_step}/{state.max_steps}: {shown}")


def build_trainer(
    config: TrainConfig,
    data: TrainingData,
    model: Any,
    tokenizer: Any,
    *,
    device: str,
    work_dir: Path,
    log: Callable[[str], None] = lambda _: None,
) -> Any:
    trainer = _trainer(config, data, model, tokenizer, device=device, work_dir=work_dir)
    check_recipe(trainer, config)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(LogLines(log))
    return trainer


def _trainer(
    config: TrainConfig, data: TrainingData, model: Any, tokenizer: Any, *, device: str, work_dir: Path
) -> Any:
    if config.method == "sft":
        from trl.trainer.sft_config import SFTConfig  # noqa: PLC0415 (an optional extra)
        from trl.trainer.sft_trainer import SFTTrainer  # noqa: PLC0415

        sft = SFTConfig(**_common(config, device, work_dir), assistant_only_loss=data.format == "messages")
        return SFTTrainer(model=model, args=sft, train_dataset=data.rows, processing_class=tokenizer)
    from trl.trainer.dpo_config import DPOConfig  # noqa: PLC0415
    from trl.trainer.dpo_trainer import DPOTrainer  # noqa: PLC0415

    dpo = DPOConfig(**_common(config, device, work_dir), beta=config.beta)
    return DPOTrainer(model=model, args=dpo, train_dataset=data.rows, processing_class=tokenizer)


def row_lengths(processed: Any) -> list[int]:
    """Tokens per row as TRL tokenized it (a DPO row counts its prompt with its longer answer)."""
    columns = [c for c in _LENGTH_COLUMNS if c in processed.column_names]
    if "input_ids" in columns:
        return [len(ids) for ids in processed["input_ids"]]
    prompts = processed["prompt_ids" if "prompt_ids" in columns else "prompt_input_ids"]
    answers = [
        max(len(c), len(r)) for c, r in zip(processed["chosen_ids"], processed["rejected_ids"], strict=True)
    ]
    return [len(p) + a for p, a in zip(prompts, answers, strict=True)]


def check_lengths(lengths: Sequence[int], max_length: int) -> None:
    over = [n for n in lengths if n > max_length]
    if over:
        raise TrainError(
            f"{len(over)} of {len(lengths)} rows are longer than max_length {max_length} tokens (the longest "
            f"has {max(over)}); rows are never truncated: drop them at extraction (agentbench extract "
            "--tokenizer BASE --max-tokens N) or raise --max-length"
        )


def _peak_memory(device: str) -> tuple[int, str]:
    if device == "cuda":
        import torch  # noqa: PLC0415

        return int(torch.cuda.max_memory_allocated()), "cuda"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "rss"


def train(trainer: Any, device: str) -> tuple[TrainStats, dict[str, list[tuple[int, float]]]]:
    """Run the trainer; its statistics and the logged curves (loss, and DPO's reward margins)."""
    if device == "cuda":
        import torch  # noqa: PLC0415

        torch.cuda.reset_peak_memory_stats()
    started = time.monotonic()
    output = trainer.train()
    wall = time.monotonic() - started
    runtime = float(output.metrics.get("train_runtime", wall))
    tokens = int(getattr(trainer.state, "num_input_tokens_seen", 0) or 0)
    peak, kind = _peak_memory(device)
    curves: dict[str, list[tuple[int, float]]] = {}
    for entry in trainer.state.log_history:
        for key in ("loss", "rewards/margins", "rewards/accuracies", "learning_rate", "grad_norm"):
            if key in entry and "train_loss" not in entry:  # that one is the summary
                curves.setdefault(key, []).append((int(entry["step"]), float(entry[key])))
    stats = TrainStats(
        wall_s=wall,
        train_runtime_s=runtime,
        steps=int(trainer.state.global_step),
        tokens_seen=tokens,
        tokens_per_s=tokens / runtime if runtime > 0 else 0.0,
        peak_memory_bytes=peak,
        peak_memory_kind=kind,
    )
    return stats, curves
