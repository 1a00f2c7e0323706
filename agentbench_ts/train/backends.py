"""The two training backends behind one config: Unsloth's FastLanguageModel, or transformers + PEFT
(+ bitsandbytes for 4-bit). Both give a PEFT model with a LoRA adapter and its tokenizer; everything
after that (TRL trainers, the adapter folder, metadata, canary) is the same code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentbench_ts.errors import TrainError
from agentbench_ts.train.config import TrainConfig

ChosenBackend = Literal["unsloth", "hf"]
_UNSLOTH_CHECKPOINTING: dict[str, bool | str] = {"off": False, "on": True, "offload": "unsloth"}
PEAK_OVER_WEIGHTS = {"none": 1.25, "4bit": 1.9}
"""Peak training memory of the transformers+PEFT backend over its weights' bytes at sequence 2048,
batch 2 (benchmarks/train_gpu.py): used to tell whether it fits before choosing it."""


@dataclass
class Loaded:
    model: Any
    """A peft.PeftModel whose adapter is trainable."""
    tokenizer: Any
    backend: ChosenBackend
    device: str


def cuda_available() -> bool:
    import torch  # noqa: PLC0415 (an optional extra)

    return bool(torch.cuda.is_available())


def base_config(base: str) -> dict[str, Any]:
    path = Path(base) / "config.json"
    if not path.is_file():
        raise TrainError(f"no model config at {path}: --base must be a local model folder here")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def weight_bytes(config: dict[str, Any], quantization: str) -> int:
    """The base's weights in bytes, from its config (decoder-only transformer shapes)."""
    hidden, layers = int(config["hidden_size"]), int(config["num_hidden_layers"])
    inter, vocab = int(config.get("intermediate_size", 4 * hidden)), int(config["vocab_size"])
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads", heads))
    head_dim = int(config.get("head_dim") or hidden // heads)
    attention = hidden * head_dim * (2 * heads + 2 * kv_heads)
    per_layer = attention + 3 * hidden * inter
    embeddings = vocab * hidden * (1 if config.get("tie_word_embeddings") else 2)
    linear_bytes = 0.5 if quantization == "4bit" else 2.0
    return int(layers * per_layer * linear_bytes + embeddings * 2)


def choose_backend(config: TrainConfig, *, cuda: bool, gpu_bytes: int = 0) -> ChosenBackend:
    """The backend asked for, or by measurement: transformers+PEFT was the faster one in every mode
    measured (16-bit LoRA and 4-bit QLoRA, 1.5B and 7B shapes), Unsloth the leaner; so transformers+PEFT
    unless it would not fit on the GPU, then Unsloth."""
    if config.backend != "auto":
        return config.backend
    if not cuda:
        return "hf"
    needed = (
        weight_bytes(base_config(config.base), config.quantization) * PEAK_OVER_WEIGHTS[config.quantization]
    )
    return "hf" if needed < 0.9 * gpu_bytes else "unsloth"


def _lora(config: TrainConfig) -> Any:
    from peft import LoraConfig  # noqa: PLC0415

    lora = config.lora
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


def _attach(model: Any, config: TrainConfig) -> Any:
    from peft import PeftModel, get_peft_model  # noqa: PLC0415

    if config.parent_adapter is not None:
        if not (config.parent_adapter / "adapter_config.json").is_file():
            raise TrainError(f"{config.parent_adapter} is not an adapter folder (no adapter_config.json)")
        return PeftModel.from_pretrained(model, str(config.parent_adapter), is_trainable=True)
    return get_peft_model(model, _lora(config))


def _load_hf(config: TrainConfig, cuda: bool) -> Loaded:
    import torch  # noqa: PLC0415
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig  # noqa: PLC0415

    dtype = torch.bfloat16 if cuda else torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype, "local_files_only": True}
    if config.quantization == "4bit":
        kwargs["quantization_config"] = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True,
        )
    if cuda:
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(config.base, **kwargs)
    if config.quantization == "4bit":
        from peft import prepare_model_for_kbit_training  # noqa: PLC0415

        model = prepare_model_for_kbit_training(  # type: ignore[no-untyped-call]
            model, use_gradient_checkpointing=config.gradient_checkpointing != "off"
        )
    tokenizer = AutoTokenizer.from_pretrained(config.base, local_files_only=True)
    return Loaded(_attach(model, config), tokenizer, "hf", "cuda" if cuda else "cpu")


def _load_unsloth(config: TrainConfig, cuda: bool) -> Loaded:
    from unsloth import FastLanguageModel  # noqa: PLC0415

    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=config.base,
        max_seq_length=config.max_length,
        load_in_4bit=config.quantization == "4bit",
        dtype=None,
        local_files_only=True,
    )
    if config.parent_adapter is not None:
        return Loaded(_attach(model, config), tokenizer, "unsloth", "cuda" if cuda else "cpu")
    lora = config.lora
    model = FastLanguageModel.get_peft_model(
        model,
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        bias="none",
        use_gradient_checkpointing=_UNSLOTH_CHECKPOINTING[config.gradient_checkpointing] if cuda else False,
        random_state=config.seed,
    )
    return Loaded(model, tokenizer, "unsloth", "cuda" if cuda else "cpu")


def load_for_training(config: TrainConfig) -> Loaded:
    """The base with a trainable LoRA adapter (fresh, or the parent's), on the chosen backend."""
    cuda = cuda_available() and config.device != "cpu"
    if config.device == "cuda" and not cuda:
        raise TrainError("--device cuda was asked for, but no CUDA GPU is visible")
    if config.quantization == "4bit" and not cuda:
        raise TrainError("4-bit QLoRA needs a CUDA GPU (bitsandbytes); train 16-bit LoRA on this machine")
    gpu_bytes = 0
    if cuda:
        import torch  # noqa: PLC0415

        gpu_bytes = int(torch.cuda.get_device_properties(0).total_memory)
    backend = choose_backend(config, cuda=cuda, gpu_bytes=gpu_bytes)
    if config.gradient_checkpointing == "offload" and backend != "unsloth":
        raise TrainError("--gradient-checkpointing offload is Unsloth's: use --backend unsloth (or on)")
    if backend == "unsloth" or not cuda:
        # Unsloth patches transformers and TRL when imported; without a GPU its CPU backend also gives
        # TRL the plain-torch loss it needs (TRL 1.15's fused loss is a Triton kernel).
        import unsloth  # noqa: F401, PLC0415
    return _load_unsloth(config, cuda) if backend == "unsloth" else _load_hf(config, cuda)
