"""Model specs usable everywhere, found in the model registry.

oracle                  the gold fix through the protocol
replay:PATH             a JSON list of replies, or the replies of an episodes.jsonl per task
openai:URL#MODEL        an OpenAI-compatible server (vLLM); MODEL may be a LoRA adapter's name
hf:PATH[+ADAPTER]       an in-process transformers model, optionally with a PEFT adapter
package.module:factory[:ARG]  a model from outside this package
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agentbench_ts.errors import ConfigError
from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.registry import Registry

MODEL_SPECS = ("oracle", "replay:PATH", "openai:URL#MODEL", "hf:PATH[+ADAPTER]")
MODELS: Registry[Callable[[str, ModelOptions], ModelFactory]] = Registry(
    "model",
    {
        "oracle": "agentbench_ts.models.scripted:oracle_model",
        "replay": "agentbench_ts.models.scripted:replay_model",
        "openai": "agentbench_ts.models.registry:openai_model",
        "hf": "agentbench_ts.models.registry:hf_model",
    },
)
"""Model name -> (argument, options -> a factory of the model for each episode)."""


def openai_model(argument: str, options: ModelOptions) -> ModelFactory:
    from agentbench_ts.models.openai_chat import OpenAIChatModel  # noqa: PLC0415

    url, _, name = argument.partition("#")
    if not url.startswith(("http://", "https://")) or not name:
        raise ConfigError(
            f"expected openai:URL#MODEL, e.g. openai:http://127.0.0.1:8000/v1#qwen; got openai:{argument}"
        )
    model = OpenAIChatModel(url, name, options)  # one client, shared by every episode and thread
    return lambda task: model


def hf_model(argument: str, options: ModelOptions) -> ModelFactory:
    from agentbench_ts.models.hf_local import SHARED_POOL, HFChatModel  # noqa: PLC0415 (torch is optional)

    if not argument:
        raise ConfigError("expected hf:PATH[+ADAPTER] (a local model folder)")
    base, _, adapter = argument.partition("+")
    model = HFChatModel(SHARED_POOL, Path(base), Path(adapter) if adapter else None, options.sampling)
    return lambda task: model


def model_factory(spec: str, options: ModelOptions | None = None) -> ModelFactory:
    """The factory of the model a spec names (built once; it makes one model per episode)."""
    factory, _, argument = MODELS.resolve(spec)
    return factory(argument, options or ModelOptions())
