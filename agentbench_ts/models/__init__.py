"""Models: the Model protocol, scripted models (replay, oracle) and the spec registry."""

from agentbench_ts.models.base import ChatMessage, Completion, Model, ModelFactory, Usage
from agentbench_ts.models.registry import model_factory
from agentbench_ts.models.scripted import ReplayModel, oracle_actions

__all__ = [
    "ChatMessage",
    "Completion",
    "Model",
    "ModelFactory",
    "ReplayModel",
    "Usage",
    "model_factory",
    "oracle_actions",
]
