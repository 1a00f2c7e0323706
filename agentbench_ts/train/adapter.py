"""The adapter folder: what PEFT and vLLM load (adapter_config.json, adapter_model.safetensors,
tokenizer files) plus agentbench_adapter.json, which says what it was made from and how."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentbench_ts.errors import TrainError
from agentbench_ts.models.render_contract import chat_template_sha256
from agentbench_ts.plumbing.jsonl import write_atomically
from agentbench_ts.train.canary import CanaryResult
from agentbench_ts.train.config import TrainConfig

METADATA_FILE = "agentbench_adapter.json"
LIBRARIES = ("agentbench-ts", "torch", "transformers", "peft", "trl", "datasets", "unsloth", "bitsandbytes")


class CheckpointScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: int
    loss: float | None
    resolved_rate: float
    valid_action_rate: float
    episodes: int


class TrainStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    wall_s: float
    train_runtime_s: float
    steps: int
    tokens_seen: int
    tokens_per_s: float
    peak_memory_bytes: int
    peak_memory_kind: str
    """'cuda' (torch's peak allocation on the GPU) or 'rss' (the process's peak resident memory)."""


class AdapterInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    created_at: str
    base: str
    base_config_sha256: str
    model_type: str
    chat_template_sha256: str | None
    tokenizer_sha256: str
    dataset: dict[str, Any]
    parent_adapter: dict[str, Any] | None
    config: TrainConfig
    backend: str
    device: str
    trainer: str = ""
    """The trainer class that trained it (Unsloth's patched one on a GPU)."""
    trainer_arguments: dict[str, Any] = {}
    """The trainer's arguments as it held them: what both backends were checked to agree on."""
    versions: dict[str, str | None]
    git_sha: str | None
    curves: dict[str, list[tuple[int, float]]]
    stats: TrainStats
    canary: CanaryResult | None = None
    served_canaries: list[CanaryResult] = []
    """`agentbench adapters verify --adapter-dir` results: whether servers applied it."""
    selection: list[CheckpointScore] = []
    chosen_step: int | None = None
    command: list[str] = []


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tokenizer_sha256(folder: Path) -> str:
    """One hash over the tokenizer files a folder holds."""
    digest = hashlib.sha256()
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (folder / name).is_file():
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def parent_record(parent: Path | None) -> dict[str, Any] | None:
    if parent is None:
        return None
    record: dict[str, Any] = {"path": str(parent.resolve())}
    if (parent / "adapter_model.safetensors").is_file():
        record["weights_sha256"] = file_sha256(parent / "adapter_model.safetensors")
    if (parent / METADATA_FILE).is_file():
        record["metadata_sha256"] = file_sha256(parent / METADATA_FILE)
    return record


def check_template(tokenizer: Any, recorded: str | None, dataset: Path) -> None:
    """The dataset's recorded template (where the extraction measured with one) is the base's."""
    mine = chat_template_sha256(tokenizer)
    if recorded is not None and recorded != mine:
        raise TrainError(
            f"{dataset} was extracted with chat template {recorded[:12]}, but the base renders with "
            f"{(mine or 'none')[:12]}: the rows would not be what the served model sees; extract again "
            "with this base's tokenizer or train the base the data was made for"
        )


def save_adapter(model: Any, tokenizer: Any, out_dir: Path) -> None:
    """The PEFT adapter and the tokenizer files, as `hf:BASE+DIR` and vLLM's --lora-modules load them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))


def write_info(out_dir: Path, info: AdapterInfo) -> Path:
    path = out_dir / METADATA_FILE
    write_atomically(path, info.model_dump_json(indent=2) + "\n")
    return path


def read_info(adapter_dir: Path) -> AdapterInfo:
    path = adapter_dir / METADATA_FILE
    if not path.is_file():
        raise TrainError(f"{adapter_dir} has no {METADATA_FILE}: it was not made by agentbench train")
    return AdapterInfo.model_validate(json.loads(path.read_text()))


def describe(info: AdapterInfo) -> str:
    """The adapter's metadata, most useful first."""
    stats, config = info.stats, info.config
    loss = info.curves.get("loss", [])
    parent = info.parent_adapter["path"] if info.parent_adapter else "- (fresh from the base)"
    loss_text = f"{loss[0][1]:.4f} -> {loss[-1][1]:.4f} over {stats.steps} steps" if loss else "-"
    rate = f"{stats.tokens_per_s:.0f} tokens/s ({stats.tokens_seen} tokens in {stats.train_runtime_s:.1f} s)"
    lines = [
        f"base            {info.base} ({info.model_type}, config {info.base_config_sha256[:12]})",
        f"method          {config.method} on {info.dataset.get('rows')} {info.dataset.get('format')} rows "
        f"({info.dataset.get('split')} of {info.dataset.get('path')})",
        f"backend         {info.backend} on {info.device}, {config.quantization} quantization, "
        f"LoRA r={config.lora.r} alpha={config.lora.alpha} on {', '.join(config.lora.target_modules)}",
        f"parent          {parent}",
        f"chat template   {(info.chat_template_sha256 or 'none')[:12]}",
        f"loss            {loss_text}",
        f"throughput      {rate}",
        f"peak memory     {stats.peak_memory_bytes / (1 << 30):.2f} GiB ({stats.peak_memory_kind})",
    ]
    if (canary := info.canary) is not None:
        verdict = "applied" if canary.applied else "NOT APPLIED"
        lines.append(
            f"canary          {verdict} (max |dlogp| {canary.max_abs_diff:.4g} over {canary.tokens} tokens)"
        )
    for served in info.served_canaries:
        verdict = "applied" if served.applied else "NOT APPLIED"
        lines.append(f"served          {verdict} by {served.where} (max |dlogp| {served.max_abs_diff:.4g})")
    if info.selection:
        curve = ", ".join(
            f"{s.step}: {s.resolved_rate:.2f}/{s.valid_action_rate:.2f}" for s in info.selection
        )
        lines.append(f"selection       step {info.chosen_step} chosen (resolved/valid by step: {curve})")
    lines.append(f"versions        {', '.join(f'{k} {v}' for k, v in info.versions.items() if v)}")
    lines.append(f"command         {' '.join(info.command) or '-'}")
    return "\n".join(lines)
