"""Model spec strings usable everywhere.

oracle                  the gold fix through the protocol
replay:PATH             a JSON list of replies, or the replies of an episodes.jsonl per task
openai:URL#MODEL        an OpenAI-compatible server (vLLM); MODEL may be a LoRA adapter's name
hf:PATH[+ADAPTER]       an in-process transformers model, optionally with a PEFT adapter
"""

from __future__ import annotations

from pathlib import Path

from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.models.scripted import oracle_factory, replay_factory

MODEL_SPECS = ("oracle", "replay:PATH", "openai:URL#MODEL", "hf:PATH[+ADAPTER]")


def _openai(rest: str, options: ModelOptions) -> ModelFactory:
    from agentbench_ts.models.openai_chat import OpenAIChatModel  # noqa: PLC0415 (openai is optional)

    url, _, name = rest.partition("#")
    if not url.startswith(("http://", "https://")) or not name:
        raise ValueError(
            f"expected openai:URL#MODEL, e.g. openai:http://127.0.0.1:8000/v1#qwen; got {rest!r}"
        )
    model = OpenAIChatModel(url, name, options)  # one client, shared by every episode and thread
    return lambda task: model


def _hf(rest: str, options: ModelOptions) -> ModelFactory:
    from agentbench_ts.models.hf_local import SHARED_POOL, HFChatModel  # noqa: PLC0415 (torch is optional)

    base, _, adapter = rest.partition("+")
    model = HFChatModel(SHARED_POOL, Path(base), Path(adapter) if adapter else None, options.sampling)
    return lambda task: model


def model_factory(spec: str, options: ModelOptions | None = None) -> ModelFactory:
    options = options or ModelOptions()
    if spec == "oracle":
        return oracle_factory()
    kind, _, rest = spec.partition(":")
    if kind == "replay" and rest:
        return replay_factory(Path(rest))
    if kind == "openai" and rest:
        return _openai(rest, options)
    if kind == "hf" and rest:
        return _hf(rest, options)
    raise ValueError(f"unknown model spec {spec!r}; expected one of: {', '.join(MODEL_SPECS)}")
