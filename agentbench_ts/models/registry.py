"""Model spec strings usable everywhere: `oracle`, `replay:PATH`."""

from __future__ import annotations

from pathlib import Path

from agentbench_ts.models.base import ModelFactory
from agentbench_ts.models.scripted import oracle_factory, replay_factory

MODEL_SPECS = ("oracle", "replay:PATH")


def model_factory(spec: str) -> ModelFactory:
    if spec == "oracle":
        return oracle_factory()
    if spec.startswith("replay:"):
        return replay_factory(Path(spec.removeprefix("replay:")))
    raise ValueError(f"unknown model spec {spec!r}; expected one of: {', '.join(MODEL_SPECS)}")
