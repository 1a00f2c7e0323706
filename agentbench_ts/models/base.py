"""The Model protocol: chat messages in, one completion out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypedDict

from agentbench_ts.tasks.task import Task


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None = "stop"
    usage: Usage = Usage()
    latency_s: float = 0.0
    retries: int = 0


class Model(Protocol):
    """One model serving one episode. Raise ModelError when no completion can be had."""

    @property
    def name(self) -> str: ...

    def complete(self, messages: Sequence[ChatMessage]) -> Completion: ...


ModelFactory = Callable[[Task], Model]
"""Builds the model for one episode of a task (the oracle needs the task; servers ignore it)."""
