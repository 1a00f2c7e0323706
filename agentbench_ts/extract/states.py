"""Every assistant step of an episode seen as a decision: the exact prefix the model was shown and
what it answered. SFT rows and DPO pairs are both built from these."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from agentbench_ts.errors import ExtractError
from agentbench_ts.protocol.actions import canonical_json
from agentbench_ts.traces.records import EpisodeRecord, StepRecord

FIRST_STEP_PREFIX = 2  # the system prompt and the task's user message


@dataclass(frozen=True)
class StepState:
    episode: EpisodeRecord
    index: int
    prefix: list[dict[str, str]]
    prefix_key: str
    raw: str
    target: str | None
    parse_error: str | None
    tool_error: bool
    repeat: bool

    @property
    def clean(self) -> bool:
        """Parsed strictly, and the tool (if any) accepted it."""
        return self.target is not None and self.parse_error is None and not self.tool_error

    @property
    def state_key(self) -> tuple[str, str]:
        return (self.episode.task_id, self.prefix_key)

    def rejected_text(self) -> str:
        """How a bad answer enters a DPO pair: verbatim when its form was the problem."""
        if self.target is None or self.parse_error is not None:
            return self.raw
        return self.target


def _signature(action: dict[str, object]) -> str:
    return json.dumps(action, sort_keys=True, ensure_ascii=False)


def _is_tool_call(step: StepRecord) -> bool:
    return step.action is not None and step.action.get("type") == "tool_call"


def _check_turn(episode: EpisodeRecord, step: StepRecord, position: int) -> None:
    messages = episode.messages
    if (
        step.index != (position - FIRST_STEP_PREFIX) // 2
        or position >= len(messages)
        or messages[position] != {"role": "assistant", "content": step.raw_completion}
    ):
        raise ExtractError(
            f"episode {episode.episode_id} ({episode.task_id}): message {position} is not the reply of "
            f"step {step.index}; the trace is inconsistent"
        )


def episode_states(episode: EpisodeRecord) -> list[StepState]:
    """One state per step; step i was prompted with messages[:2 + 2i] (see agent/loop.py)."""
    digest = hashlib.sha256()
    hashed = 0
    states: list[StepState] = []
    last_action: str | None = None
    for number, step in enumerate(episode.steps):
        position = FIRST_STEP_PREFIX + 2 * number
        _check_turn(episode, step, position)
        for message in episode.messages[hashed:position]:
            for part in (message["role"], message["content"]):
                encoded = part.encode()
                digest.update(len(encoded).to_bytes(8, "little") + encoded)
        hashed = position
        signature = _signature(step.action) if step.action else None
        states.append(
            StepState(
                episode=episode,
                index=step.index,
                prefix=episode.messages[:position],
                prefix_key=digest.copy().hexdigest(),
                raw=step.raw_completion,
                target=canonical_json(step.action) if step.action else None,
                parse_error=step.parse_error.kind if step.parse_error else None,
                tool_error=step.tool_result is not None and not step.tool_result.ok,
                repeat=signature == last_action and _is_tool_call(step),
            )
        )
        last_action = signature or last_action
    return states
