"""An in-process transformers model (+ PEFT adapters), for small models and quick adapter checks.

The base model is loaded once per path; adapters are attached to it by name and switched per
request, so cycling through freshly trained adapters never reloads the base. Generation is
serialized by a lock (adapter switching is not thread-safe).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench_ts.errors import ModelError
from agentbench_ts.models.base import ChatMessage, Completion, Usage
from agentbench_ts.models.options import SamplingParams


def _import_stack() -> tuple[Any, Any, Any]:
    try:
        import peft  # noqa: PLC0415 (torch, transformers and peft are an optional extra)
        import torch  # noqa: PLC0415
        import transformers  # noqa: PLC0415
    except ImportError as exc:
        raise ModelError(
            "the hf: backend needs torch, transformers and peft: pip install 'agentbench-ts[hf]'"
        ) from exc
    return torch, transformers, peft


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    adapters: dict[str, str] = field(default_factory=dict)  # adapter path -> adapter name


class HFModelPool:
    """Base models by path, each loaded once, with their adapters."""

    def __init__(self) -> None:
        self._loaded: dict[str, _Loaded] = {}
        self.lock = threading.Lock()
        self.base_loads = 0

    def load(self, base: Path, adapter: Path | None) -> tuple[_Loaded, str | None]:
        torch, transformers, peft = _import_stack()
        key = str(base.resolve())
        with self.lock:
            if key not in self._loaded:
                if not base.is_dir():
                    raise ModelError(f"no model at {base}")
                tokenizer = transformers.AutoTokenizer.from_pretrained(base, local_files_only=True)
                model = transformers.AutoModelForCausalLM.from_pretrained(
                    base, local_files_only=True, dtype=torch.float32
                )
                self._loaded[key] = _Loaded(model.eval(), tokenizer)
                self.base_loads += 1
            loaded = self._loaded[key]
            if adapter is None:
                return loaded, None
            path = str(adapter.resolve())
            if path not in loaded.adapters:
                name = f"adapter{len(loaded.adapters)}"
                if isinstance(loaded.model, peft.PeftModel):
                    loaded.model.load_adapter(path, adapter_name=name)
                else:
                    loaded.model = peft.PeftModel.from_pretrained(
                        loaded.model, path, adapter_name=name
                    ).eval()
                loaded.adapters[path] = name
            return loaded, loaded.adapters[path]


SHARED_POOL = HFModelPool()
"""The pool `hf:` specs use, so that every spec naming the same base shares one loaded copy."""


class HFChatModel:
    def __init__(
        self,
        pool: HFModelPool,
        base: Path,
        adapter: Path | None = None,
        sampling: SamplingParams | None = None,
    ) -> None:
        self._pool, self._base, self._adapter = pool, base, adapter
        self._sampling = sampling or SamplingParams()
        pool.load(base, adapter)  # fail early, not in the middle of an episode

    @property
    def name(self) -> str:
        return f"hf:{self._base}" + (f"+{self._adapter}" if self._adapter else "")

    def complete(self, messages: Sequence[ChatMessage]) -> Completion:
        torch, _, peft = _import_stack()
        loaded, adapter = self._pool.load(self._base, self._adapter)
        tokenizer, sampling = loaded.tokenizer, self._sampling
        prompt = tokenizer.apply_chat_template(
            [dict(m) for m in messages], add_generation_prompt=True, tokenize=False
        )
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        started = time.monotonic()
        with self._pool.lock, torch.no_grad():
            model = loaded.model
            if sampling.seed is not None:
                torch.manual_seed(sampling.seed)
            generate = dict(
                max_new_tokens=sampling.max_tokens,
                do_sample=sampling.temperature > 0,
                pad_token_id=tokenizer.pad_token_id
                if tokenizer.pad_token_id is not None
                else tokenizer.eos_token_id,
            )
            if sampling.temperature > 0:
                generate.update(temperature=sampling.temperature, top_p=sampling.top_p)
            if isinstance(model, peft.PeftModel) and adapter is None:
                with model.disable_adapter():
                    output = model.generate(**inputs, **generate)
            else:
                if isinstance(model, peft.PeftModel):
                    model.set_adapter(adapter)
                output = model.generate(**inputs, **generate)
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        hit_eos = tokenizer.eos_token_id is not None and bool((new_tokens == tokenizer.eos_token_id).any())
        return Completion(
            text=tokenizer.decode(new_tokens, skip_special_tokens=True),
            finish_reason="stop" if hit_eos or len(new_tokens) < sampling.max_tokens else "length",
            usage=Usage(int(inputs["input_ids"].shape[1]), len(new_tokens)),
            latency_s=time.monotonic() - started,
        )
