"""Will vLLM really apply this adapter? Checked on the config before training and on the saved folder
after: a rank within the server's --max-lora-rank, target modules vLLM's LoRA layers cover for the
base's architecture, no `modules_to_save` (vLLM cannot load whole replaced modules), no resized
embeddings, no DoRA or bias terms. Users report adapters vLLM refuses or silently ignores for each."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from agentbench_ts.errors import TrainError

VLLM_MAX_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
"""The values vLLM accepts for --max-lora-rank."""
_DECODER = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
LORA_TARGETS: dict[str, tuple[str, ...]] = {
    "llama": _DECODER,
    "mistral": _DECODER,
    "qwen2": _DECODER,
    "qwen3": _DECODER,
    "gemma": _DECODER,
    "gemma2": _DECODER,
    "phi3": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
    "gpt_oss": ("q_proj", "k_proj", "v_proj", "o_proj"),
}
"""Model type -> the linear layers vLLM serves LoRA on (its packed qkv/gate_up layers take the parts).
Mixture-of-experts models (gpt_oss) take attention-only adapters."""


def target_problems(model_type: str, targets: Iterable[str]) -> list[str]:
    supported = LORA_TARGETS.get(model_type)
    if supported is None:
        known = ", ".join(LORA_TARGETS)
        return [f"vLLM LoRA support for model type {model_type!r} is not known here (known: {known})"]
    if extra := sorted(set(targets) - set(supported)):
        return [f"vLLM applies LoRA to {', '.join(supported)} of {model_type}; not to {', '.join(extra)}"]
    return []


def rank_problems(rank: int, max_lora_rank: int) -> list[str]:
    problems = []
    if max_lora_rank not in VLLM_MAX_LORA_RANKS:
        problems.append(f"--max-lora-rank {max_lora_rank} is not one vLLM accepts ({VLLM_MAX_LORA_RANKS})")
    if rank > max_lora_rank:
        problems.append(f"rank {rank} is over the server's --max-lora-rank {max_lora_rank}")
    return problems


def _tensor_names(adapter_dir: Path) -> list[str]:
    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        return []
    from safetensors import safe_open  # noqa: PLC0415 (comes with transformers)

    with safe_open(str(weights), framework="pt") as handle:
        return list(handle.keys())


def adapter_problems(adapter_dir: Path, base_config: dict[str, Any], max_lora_rank: int) -> list[str]:
    """Everything about a saved adapter folder that vLLM would refuse or ignore."""
    config_path = adapter_dir / "adapter_config.json"
    if not config_path.is_file():
        return [f"{adapter_dir} has no adapter_config.json"]
    adapter: dict[str, Any] = json.loads(config_path.read_text())
    targets = adapter.get("target_modules") or []
    targets = [targets] if isinstance(targets, str) else list(targets)
    problems = rank_problems(int(adapter.get("r", 0)), max_lora_rank)
    problems += target_problems(str(base_config.get("model_type")), targets)
    if adapter.get("modules_to_save"):
        problems.append(f"modules_to_save {adapter['modules_to_save']}: vLLM cannot load replaced modules")
    if adapter.get("use_dora"):
        problems.append("DoRA adapters are not served by vLLM")
    if adapter.get("bias", "none") != "none":
        problems.append(f"bias={adapter['bias']!r}: vLLM loads no LoRA bias terms")
    names = _tensor_names(adapter_dir)
    if resized := [name for name in names if "embed_tokens" in name or "lm_head" in name]:
        problems.append(f"the adapter carries {resized[0]} (and so on): resized vocabularies are not served")
    return problems


def require_servable(problems: Sequence[str], what: str) -> None:
    if problems:
        raise TrainError(f"vLLM would not apply {what}: " + "; ".join(problems))
