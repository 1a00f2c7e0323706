"""The Model protocol: chat messages in, one completion out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypedDict


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class ServedTokens:
    """What the server tokenized and sampled (where it was asked and could say): for the render check
    at the token level, and for later RL work."""

    prompt_ids: tuple[int, ...]
    completion_ids: tuple[int, ...]
    completion_logprobs: tuple[float, ...] = ()


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None = "stop"
    usage: Usage = Usage()
    latency_s: float = 0.0
    retries: int = 0
    tokens: ServedTokens | None = None


class Model(Protocol):
    """One model serving one episode. Raise ModelError when no completion can be had."""

    @property
    def name(self) -> str: ...

    def complete(self, messages: Sequence[ChatMessage]) -> Completion: ...


class EpisodeSubject(Protocol):
    """What a model may know of the task of its episode (the oracle plays its gold fix; served models
    ignore it). Tasks are this; models never import them."""

    @property
    def task_id(self) -> str: ...
    @property
    def repo_dir(self) -> Path: ...
    @property
    def gold_dir(self) -> Path | None: ...
    def gold_files(self) -> dict[str, str]: ...


ModelFactory = Callable[[EpisodeSubject], Model]
"""Builds the model for one episode of a task."""
