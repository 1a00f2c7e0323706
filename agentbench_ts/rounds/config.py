"""The experiment config: one TOML file (EXP/experiment.toml) read into one typed tree."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.errors import ConfigError
from agentbench_ts.extract.dpo_pairs import DPO_SOURCES
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.sandbox.config import LocalSandboxConfig, SandboxConfig
from agentbench_ts.train.config import LoraSettings

CONFIG_FILE = "experiment.toml"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServeSettings(_Section):
    """How each round's model is served to its eval: in-process (`hf`), by `agentbench serve` starting
    vLLM with the round's adapter (`vllm`), or by a running OpenAI-compatible server that loads adapters
    at runtime (`openai`)."""

    kind: Literal["hf", "vllm", "openai"] = "hf"
    url: str | None = None
    """openai: the server's /v1 URL."""
    base_name: str | None = None
    """vllm/openai: the base model's served name (vllm default: the base path)."""
    executable: str = "vllm"
    host: str = "127.0.0.1"
    port: int = 8000
    max_lora_rank: int = 64
    ready_timeout_s: float = 900.0
    extra_args: tuple[str, ...] = ()


class TaskSettings(_Section):
    train: tuple[str, ...] = Field(min_length=1)
    """Task specs of the training pool: each round's model runs them, and the traces are learned from."""
    eval: tuple[str, ...] = Field(min_length=1)
    """Task specs of the held-out evaluation: never in training data (the extract stage checks)."""


class RunSettings(_Section):
    samples: int = Field(default=1, ge=1)
    concurrency: int = Field(default=1, ge=1)
    agent: AgentConfig = AgentConfig()
    model: ModelOptions = ModelOptions()
    sandbox: SandboxConfig = LocalSandboxConfig()


class TeacherSettings(_Section):
    models: tuple[str, ...] = ()
    """Model specs run once on the training pool in round 0 (e.g. "oracle"); their traces are learned from."""
    runs: tuple[Path, ...] = ()
    """Recorded run directories to learn from as well."""


class ExtractSettings(_Section):
    method: Literal["sft", "dpo"] = "sft"
    format: str = "prompt-completion"
    require_success: bool = False
    require_valid_action: bool = True
    drop_tool_errors: bool = False
    drop_loops: bool = False
    dedupe: bool = False
    max_steps_per_episode: int | None = None
    dpo_sources: tuple[str, ...] = DPO_SOURCES
    max_pairs_per_state: int = 4
    max_tokens: int | None = None
    """Drop rows longer than this under the base's chat template (never truncated)."""


class TrainSettings(_Section):
    backend: Literal["auto", "unsloth", "hf"] = "auto"
    quantization: Literal["none", "4bit"] = "none"
    lora: LoraSettings = LoraSettings()
    max_length: int = 8192
    learning_rate: float = 1e-4
    optimizer: str = "adamw_torch_fused"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 2
    grad_accum: int = 8
    seed: int = 0
    beta: float = 0.1
    gradient_checkpointing: Literal["off", "on", "offload"] = "on"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    continue_previous: bool = True
    """Round N trains on from round N-1's adapter (else fresh from the base each round)."""


class ExperimentConfig(_Section):
    schema_version: int = 1
    name: str
    base: Path
    """The base model's folder (relative paths resolve against the experiment folder)."""
    rounds: int = Field(default=1, ge=0)
    """Rounds after round 0 (the base's own evaluation)."""
    serve: ServeSettings = ServeSettings()
    tasks: TaskSettings
    run: RunSettings = RunSettings()
    teachers: TeacherSettings = TeacherSettings()
    extract: ExtractSettings = ExtractSettings()
    train: TrainSettings = TrainSettings()


def load_experiment(exp_dir: Path) -> ExperimentConfig:
    """EXP/experiment.toml, with relative paths made absolute against EXP."""
    path = exp_dir / CONFIG_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{exp_dir} has no {CONFIG_FILE}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        config = ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ConfigError(f"{path}: {where}: {error['msg']}") from None
    root = exp_dir.resolve()
    teachers = config.teachers.model_copy(update={"runs": tuple(root / run for run in config.teachers.runs)})
    return config.model_copy(update={"base": root / config.base, "teachers": teachers})
