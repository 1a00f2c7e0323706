"""Models: the Model protocol, scripted models (replay, oracle) and the model registry."""

from agentbench_ts.models.base import ChatMessage, Completion, EpisodeSubject, Model, ModelFactory, Usage
from agentbench_ts.models.registry import MODELS, model_factory
from agentbench_ts.models.scripted import ReplayModel, oracle_actions

__all__ = [
    "MODELS",
    "ChatMessage",
    "Completion",
    "EpisodeSubject",
    "Model",
    "ModelFactory",
    "ReplayModel",
    "Usage",
    "model_factory",
    "oracle_actions",
]
