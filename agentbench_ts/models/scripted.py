"""Models that play back fixed replies: the replay model and the oracle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from agentbench_ts.errors import ConfigError, TaskDataError
from agentbench_ts.models.base import ChatMessage, Completion, EpisodeSubject, ModelFactory
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.protocol.actions import Action, Final, ToolCall

EXHAUSTED = Final("give_up", "the script has no more replies")


class ReplayModel:
    """Replies with the given raw completions, in order, then gives up."""

    def __init__(self, replies: Sequence[str], name: str = "replay") -> None:
        self._replies = list(replies)
        self._next = 0
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def complete(self, messages: Sequence[ChatMessage]) -> Completion:
        if self._next >= len(self._replies):
            return Completion(EXHAUSTED.to_json(), finish_reason="script_exhausted")
        reply = self._replies[self._next]
        self._next += 1
        return Completion(reply)


def oracle_actions(task: EpisodeSubject) -> list[Action]:
    """Read each file the gold fix touches, write its fixed content, finish."""
    actions: list[Action] = [ToolCall("list_files", {"rel_dir": "."})]
    for rel_path, content in task.gold_files().items():
        if (task.repo_dir / rel_path).exists():
            actions.append(ToolCall("read_file", {"rel_path": rel_path, "max_chars": 100000}))
        actions.append(ToolCall("write_file", {"rel_path": rel_path, "content": content}))
    actions.append(Final("done", "applied the reference fix"))
    return actions


def oracle_factory() -> ModelFactory:
    def build(task: EpisodeSubject) -> ReplayModel:
        if task.gold_dir is None:
            raise TaskDataError(f"task {task.task_id} has no gold fix; the oracle cannot play it")
        return ReplayModel([a.to_json() for a in oracle_actions(task)], name="oracle")

    return build


def _replies_from_trace(path: Path) -> dict[str, list[str]]:
    by_task: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            episode = json.loads(line)
            by_task.setdefault(episode["task_id"], [s["raw_completion"] for s in episode["steps"]])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise TaskDataError(f"{path}:{number} is not an episode record: {exc}") from exc
    return by_task


def oracle_model(argument: str, options: ModelOptions) -> ModelFactory:
    """`oracle`: the gold fix through the protocol."""
    if argument:
        raise ConfigError(f"the oracle takes no argument (got oracle:{argument})")
    return oracle_factory()


def replay_model(argument: str, options: ModelOptions) -> ModelFactory:
    """`replay:FILE`."""
    if not argument:
        raise ConfigError("expected replay:FILE (a JSON list of replies, or an episodes.jsonl trace)")
    return replay_factory(Path(argument))


def replay_factory(path: Path) -> ModelFactory:
    """From a JSON list of replies (every task gets them) or an episodes.jsonl trace (per task)."""
    if not path.exists():
        raise TaskDataError(f"replay file {path} does not exist")
    if path.suffix == ".jsonl":
        by_task = _replies_from_trace(path)
        return lambda task: ReplayModel(by_task.get(task.task_id, []), name=f"replay:{path}")
    try:
        replies = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TaskDataError(f"replay file {path} is not JSON: {exc}") from exc
    if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
        raise TaskDataError(f"replay file {path} must hold a JSON list of strings")
    return lambda task: ReplayModel(replies, name=f"replay:{path}")
