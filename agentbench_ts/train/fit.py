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


def _common(config: TrainConfig, device: str, work_dir: Path) -> dict[str, Any]:
    cuda = device == "cuda"
    return {
        "output_dir": str(work_dir / "trainer"),
        "per_device_train_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.learning_rate,
        "lr_scheduler_type": config.lr_scheduler,
        "warmup_steps": config.warmup_ratio,  # a float below 1 is a ratio of the total steps
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps,
        "seed": config.seed,
        "logging_steps": config.logging_steps,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": not cuda,
        "bf16": cuda,
        "gradient_checkpointing": config.gradient_checkpointing != "off" and cuda,
        "include_num_input_tokens_seen": "non_padding",
        "max_length": None,
        "dataset_num_proc": None,
        "disable_tqdm": True,
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
