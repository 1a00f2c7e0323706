"""`train_adapter(TrainConfig)`: an extraction split in, an adapter folder out (atomically), with its
metadata, its vLLM compatibility checked and its canary run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agentbench_ts.errors import TrainError
from agentbench_ts.models.render_contract import chat_template_sha256, render_mismatches
from agentbench_ts.plumbing.git import head_commit
from agentbench_ts.train.adapter import (
    AdapterInfo,
    check_template,
    file_sha256,
    library_versions,
    parent_record,
    save_adapter,
    tokenizer_sha256,
    write_info,
)
from agentbench_ts.train.backends import base_config, load_for_training
from agentbench_ts.train.canary import in_process_canary
from agentbench_ts.train.config import TrainConfig
from agentbench_ts.train.data import conversations, load_training_data
from agentbench_ts.train.data import row_lengths as conversation_lengths
from agentbench_ts.train.fit import build_trainer, check_lengths, effective_arguments, row_lengths, train
from agentbench_ts.train.selection import CheckpointSelector, task_evaluator
from agentbench_ts.train.vllm_compat import adapter_problems, rank_problems, require_servable, target_problems

RENDER_CHECKED_ROWS = 16


@dataclass(frozen=True)
class TrainResult:
    adapter_dir: Path
    info: AdapterInfo


def _fresh(out_dir: Path) -> Path:
    if out_dir.exists() and any(out_dir.iterdir()):
        raise TrainError(f"{out_dir} is not empty: give a new --out for the adapter")
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)  # what a killed run left
    staging.mkdir(parents=True)
    return staging


def _check_render(tokenizer: object, data_rows: list[list[dict[str, str]]]) -> None:
    for messages in data_rows:
        if mismatches := render_mismatches(tokenizer, messages):
            raise TrainError(
                "the base's chat template does not render the rows as the served model sees them "
                f"(the render contract): {mismatches[0].describe()}"
            )


def train_adapter(config: TrainConfig, *, log: Callable[[str], None] = lambda _: None) -> TrainResult:
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    base = base_config(config.base)
    model_type = str(base.get("model_type"))
    if config.parent_adapter is None:
        problems = rank_problems(config.lora.r, config.max_lora_rank)
        require_servable(problems + target_problems(model_type, config.lora.target_modules), "this adapter")
    data = load_training_data(config.dataset, config.split, config.method)
    staging = _fresh(config.out_dir)
    loaded = load_for_training(config)
    rows, backend = data.rows.num_rows, loaded.backend
    log(f"training {config.method} on {rows} rows with the {backend} backend on {loaded.device}")
    check_template(loaded.tokenizer, data.chat_template_sha256, config.dataset)
    check_lengths(conversation_lengths(data, loaded.tokenizer), config.max_length)
    _check_render(loaded.tokenizer, conversations(data, RENDER_CHECKED_ROWS))
    trainer = build_trainer(
        config, data, loaded.model, loaded.tokenizer, device=loaded.device, work_dir=staging, log=log
    )
    check_lengths(row_lengths(trainer.train_dataset), config.max_length)
    selector = None
    if config.selection is not None:
        evaluate = task_evaluator(config.selection, config.base, staging / "selection")
        selector = CheckpointSelector(
            config.selection.every, staging / "checkpoints", loaded.tokenizer, evaluate
        )
        trainer.add_callback(selector)
    stats, curves = train(trainer, loaded.device)
    model = loaded.model
    chosen = None
    if selector is not None:
        chosen = selector.best().step
        log(f"checkpoint of step {chosen} chosen by task results")
        _load_weights(model, selector.checkpoint(chosen))
    adapter_dir = staging / "adapter"
    save_adapter(model, loaded.tokenizer, adapter_dir)
    require_servable(
        adapter_problems(adapter_dir, base, config.max_lora_rank), f"the adapter in {config.out_dir}"
    )
    canary = in_process_canary(model, loaded.tokenizer) if config.canary else None
    info = AdapterInfo(
        created_at=created_at,
        base=config.base,
        base_config_sha256=file_sha256(Path(config.base) / "config.json"),
        model_type=model_type,
        chat_template_sha256=chat_template_sha256(loaded.tokenizer),
        tokenizer_sha256=tokenizer_sha256(adapter_dir),
        dataset=data.fingerprint,
        parent_adapter=parent_record(config.parent_adapter),
        config=config,
        backend=loaded.backend,
        device=loaded.device,
        trainer=type(trainer).__name__,
        trainer_arguments=effective_arguments(trainer),
        versions=library_versions(),
        git_sha=head_commit(Path(__file__).resolve().parent),
        curves=curves,
        stats=stats,
        canary=canary,
        selection=selector.scores if selector else [],
        chosen_step=chosen,
        command=list(config.command),
    )
    write_info(adapter_dir, info)
    for extra in ("checkpoints", "selection"):
        if (staging / extra).is_dir():
            (staging / extra).rename(adapter_dir / extra)
    config.out_dir.parent.mkdir(parents=True, exist_ok=True)
    if config.out_dir.exists():
        config.out_dir.rmdir()  # empty: checked above
    adapter_dir.rename(config.out_dir)
    shutil.rmtree(staging, ignore_errors=True)
    return TrainResult(config.out_dir, info)


def _load_weights(model: object, checkpoint: Path) -> None:
    """Put a saved checkpoint's adapter weights back into the live model."""
    from peft import set_peft_model_state_dict  # noqa: PLC0415
    from safetensors.torch import load_file  # noqa: PLC0415

    set_peft_model_state_dict(model, load_file(str(checkpoint / "adapter_model.safetensors")))
