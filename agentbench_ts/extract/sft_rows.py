"""SFT rows: one per assistant step, the exact prefix the model saw plus its action as the target."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentbench_ts.extract.report import ExtractionReport
from agentbench_ts.extract.selection import TaskSelection, selected_states
from agentbench_ts.extract.states import StepState
from agentbench_ts.traces.records import EpisodeRecord

# The order in which filters are tried; a dropped step is counted under the first that applies.
SFT_DROP_REASONS = (
    "excluded_task",
    "no_action",
    "not_resolved",
    "invalid_action",
    "tool_error",
    "loop",
    "duplicate",
    "too_long",
    "over_max_steps",
)


# "messages": the design's row, {"messages": prefix + [action]}. Under assistant_only_loss a trainer learns
# every assistant turn of it, earlier (possibly invalid) ones included. "prompt-completion" puts the prefix
# in "prompt" and the action in "completion", so a completion-only loss learns exactly this step's action.
SFT_FORMATS = ("messages", "prompt-completion")


@dataclass(frozen=True)
class SftFilters:
    require_success: bool = False
    require_valid_action: bool = False
    drop_tool_errors: bool = False
    drop_loops: bool = False
    dedupe: bool = False
    max_steps_per_episode: int | None = None

    @classmethod
    def taken_from(cls, settings: object) -> SftFilters:
        """The filters named alike on `settings` (parsed flags, an experiment's extract section)."""
        return cls(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(cls)})


def _drop_reason(state: StepState, filters: SftFilters) -> str | None:
    if state.target is None:
        return "no_action"
    if filters.require_success and state.episode.outcome != "resolved":
        return "not_resolved"
    if filters.require_valid_action and state.parse_error is not None:
        return "invalid_action"
    if filters.drop_tool_errors and state.tool_error:
        return "tool_error"
    if filters.drop_loops and state.repeat:
        return "loop"
    return None


def sft_states(
    episodes: Iterable[EpisodeRecord], filters: SftFilters, selection: TaskSelection, report: ExtractionReport
) -> list[StepState]:
    """The steps that pass every filter but the length guard and the per-episode cap, in trace order."""
    seen: set[tuple[str, str, str]] = set()
    kept: list[StepState] = []
    for states in selected_states(episodes, selection, report):
        for state in states:
            reason = _drop_reason(state, filters)
            if reason is None and filters.dedupe:
                key = (*state.state_key, state.target or "")
                reason = "duplicate" if key in seen else None
                seen.add(key)
            if reason is None:
                kept.append(state)
            else:
                report.dropped[reason] += 1
    return kept


def cap_per_episode(states: list[StepState], limit: int | None, report: ExtractionReport) -> list[StepState]:
    """Keep each episode's first `limit` rows, so long episodes do not dominate the data."""
    if limit is None:
        return states
    taken: Counter[str] = Counter()
    kept = []
    for state in states:
        taken[state.episode.episode_id] += 1
        if taken[state.episode.episode_id] <= limit:
            kept.append(state)
        else:
            report.dropped["over_max_steps"] += 1
    return kept


def sft_conversation(state: StepState) -> list[dict[str, str]]:
    assert state.target is not None
    return [*state.prefix, {"role": "assistant", "content": state.target}]


def sft_row(state: StepState, format: str = "messages") -> dict[str, Any]:
    episode = state.episode
    if format == "messages":
        text: dict[str, Any] = {"messages": sft_conversation(state)}
    else:
        text = {"prompt": state.prefix, "completion": sft_conversation(state)[-1:]}
    return {
        **text,
        "task_id": episode.task_id,
        "episode_id": episode.episode_id,
        "step": state.index,
        "run_id": episode.run_id,
        "model": episode.model,
        "outcome": episode.outcome,
        "suite": episode.suite,
    }
