"""The one typed training config: everything a training run did, recorded in the adapter's metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentbench_ts.sandbox.config import LocalSandboxConfig, SandboxConfig

Method = Literal["sft", "dpo"]
Backend = Literal["auto", "unsloth", "hf"]
Quantization = Literal["none", "4bit"]
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
"""The attention and MLP projections of Llama/Qwen/Mistral-style decoders: LoRA on all of them."""


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoraSettings(_Config):
    r: int = Field(default=16, ge=1)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    target_modules: tuple[str, ...] = ALL_LINEAR


class Selection(_Config):
    """Checkpoints chosen by task results: every `every` steps the adapter so far is run on held-out
    tasks (in-process `hf:` model) and the best one by resolved rate, then valid-action rate, is kept."""

    tasks: tuple[str, ...]
    """Task source specs of the held-out tasks (see `agentbench run --tasks`)."""
    every: int = Field(ge=1)
    model: str = "hf:{base}+{adapter}"
    """The model each checkpoint is evaluated as; {base} and {adapter} are filled in."""
    max_steps: int = Field(default=10, ge=1)
    """The agent's step budget per evaluation episode."""
    samples: int = Field(default=1, ge=1)
    sandbox: SandboxConfig = LocalSandboxConfig()


class TrainConfig(_Config):
    schema_version: int = 1
    method: Method
    dataset: Path
    """An extraction folder (`agentbench extract ... --out`) or a saved DatasetDict."""
    split: str = "train"
    base: str
    """The base model: a local folder (or a hub id where a hub is reachable)."""
    out_dir: Path
    backend: Backend = "auto"
    """auto: chosen by measurement (see train.backends.choose_backend)."""
    quantization: Quantization = "none"
    """none: 16-bit LoRA; 4bit: QLoRA (bitsandbytes NF4; GPU only)."""
    lora: LoraSettings = LoraSettings()
    parent_adapter: Path | None = None
    """Continue training this adapter (the previous round's) instead of starting from the base."""
    max_length: int = Field(default=8192, ge=16)
    """Tokens per row; a longer row is an error, never truncated."""
    learning_rate: float = Field(default=1e-4, gt=0)
    optimizer: str = "adamw_torch_fused"
    """transformers' optimizer name (its default). Given to the trainer explicitly: Unsloth's trainer
    config would otherwise put its own default (adamw_8bit) in."""
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    adam_beta1: float = Field(default=0.9, ge=0, lt=1)
    adam_beta2: float = Field(default=0.999, ge=0, lt=1)
    adam_epsilon: float = Field(default=1e-8, gt=0)
    lr_scheduler: str = "cosine"
    warmup_ratio: float = Field(default=0.03, ge=0, lt=1)
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int = Field(default=-1, ge=-1)
    """-1: train for `epochs`; otherwise exactly this many optimizer steps."""
    batch_size: int = Field(default=2, ge=1)
    grad_accum: int = Field(default=8, ge=1)
    seed: int = 0
    beta: float = Field(default=0.1, gt=0)
    """DPO's beta."""
    gradient_checkpointing: Literal["off", "on", "offload"] = "on"
    """on: recompute activations in the backward pass (GPU only); offload: Unsloth's variant that also
    moves them to host memory (less GPU memory, slower; Unsloth backend only)."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    max_lora_rank: int = Field(default=64, ge=1)
    """The serving vLLM's --max-lora-rank: a larger rank is refused before training."""
    canary: bool = True
    selection: Selection | None = None
    logging_steps: int = Field(default=1, ge=1)
    command: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _valid_rank(self) -> TrainConfig:
        if self.lora.r > self.max_lora_rank:
            raise ValueError(
                f"LoRA rank {self.lora.r} is over the served --max-lora-rank {self.max_lora_rank}: vLLM "
                "would refuse the adapter (lower --lora-r or raise --max-lora-rank)"
            )
        return self
