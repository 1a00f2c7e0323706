"""The oracle as a reply policy for the scripted server: dry runs through a real HTTP client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from agentbench_ts.models.base import EpisodeSubject
from agentbench_ts.models.scripted import oracle_actions
from agentbench_ts.testing.scripted_server import Policy


class InstructedSubject(EpisodeSubject, Protocol):
    @property
    def instructions(self) -> str: ...


def oracle_policy(tasks: Sequence[InstructedSubject]) -> Policy:
    """A reply function for ScriptedChatServer that plays the oracle of whichever task a request is
    about (recognised by its instructions), at the step given by the replies so far."""
    by_goal = {task.instructions: oracle_actions(task) for task in tasks}

    def reply(messages: list[dict[str, Any]]) -> str:
        goal = next(m["content"] for m in messages if m["role"] == "user")
        step = sum(1 for m in messages if m["role"] == "assistant")
        return by_goal[goal][step].to_json()

    return reply
