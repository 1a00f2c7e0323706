"""Policies for the scripted OpenAI-compatible server: what a 'model' replies in tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentbench_ts.models import oracle_actions
from agentbench_ts.tasks.task import Task


def oracle_policy(tasks: Sequence[Task]):  # type: ignore[no-untyped-def]
    """Plays the oracle of whichever task the request is about (found by its instructions)."""
    by_goal = {task.instructions: oracle_actions(task) for task in tasks}

    def reply(messages: list[dict[str, Any]]) -> str:
        goal = next(m["content"] for m in messages if m["role"] == "user")
        step = sum(1 for m in messages if m["role"] in ("assistant",))
        return by_goal[goal][step].to_json()

    return reply
