"""The two training backends behind one config: Unsloth's FastLanguageModel, or transformers + PEFT
(+ bitsandbytes for 4-bit). Both give a PEFT model with a LoRA adapter and its tokenizer; everything
after that (TRL trainers, the adapter folder, metadata, canary) is the same code."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentbench_ts.errors import TrainError
from agentbench_ts.train.config import TrainConfig

ChosenBackend = Literal["unsloth", "hf"]
_UNSLOTH_CHECKPOINTING: dict[str, bool | str] = {"off": False, "on": True, "offload": "unsloth"}


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


def choose_backend(config: TrainConfig, *, cuda: bool) -> ChosenBackend:
    """The backend asked for, or the one the measurements favour (benchmarks/README.md, H200, TRL 1.15,
    transformers 5.17, torch 2.11): on a GPU Unsloth was both faster and leaner in every mode measured
    (7B shape: 1.30x the tokens/s in 16-bit LoRA at 0.94x the memory, 1.66x in 4-bit QLoRA at 0.65x),
    so Unsloth where it is installed; without a GPU transformers + PEFT (Unsloth's CPU backend is only
    the fallback TRL's loss needs there)."""
    if config.backend != "auto":
        return config.backend
    return "unsloth" if cuda and importlib.util.find_spec("unsloth") is not None else "hf"


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
    from transformers import set_seed  # noqa: PLC0415

    set_seed(config.seed)  # the adapter's initial weights too: the same config trains the same adapter
    backend = choose_backend(config, cuda=cuda)
    if config.gradient_checkpointing == "offload" and backend != "unsloth":
        raise TrainError("--gradient-checkpointing offload is Unsloth's: use --backend unsloth (or on)")
    if backend == "unsloth" or not cuda:
        # Unsloth patches transformers and TRL when imported; without a GPU its CPU backend also gives
        # TRL the plain-torch loss it needs (TRL 1.15's fused loss is a Triton kernel).
        import unsloth  # noqa: F401, PLC0415
    return _load_unsloth(config, cuda) if backend == "unsloth" else _load_hf(config, cuda)
