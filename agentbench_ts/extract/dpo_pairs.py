"""DPO pairs: at one state (same task, same exact prefix), a better next action and a worse one.

Sources:
- rollouts: episodes of a task that share a prefix and then diverge; an action from an episode that
  ended resolved is preferred over one from an episode that failed (failed, budget or timeout).
- validity: a clean action (parsed strictly, accepted by its tool) is preferred over an invalid
  answer (a parse error, an unknown tool, a refused path). The clean action is the step's own
  recovered action, the episode's next clean action (an invalid step changes nothing, so the state
  is the same), or another rollout's clean action at the same prefix.
- loops: an action that moves on is preferred over repeating the previous action, from the
  episode's own next different action or another rollout's at the same prefix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from agentbench_ts.errors import ExtractError
from agentbench_ts.extract.report import ExtractionReport
from agentbench_ts.extract.selection import TaskSelection, selected_states
from agentbench_ts.extract.states import StepState
from agentbench_ts.traces.records import EpisodeRecord

DPO_SOURCES = ("rollouts", "validity", "loops")
DPO_FORMATS = ("trl", "together")
DPO_DROP_REASONS = ("excluded_task", "too_long")
_FAILED_OUTCOMES = {"failed", "budget", "timeout"}


@dataclass(frozen=True)
class DpoOptions:
    sources: tuple[str, ...] = DPO_SOURCES
    max_pairs_per_state: int = 4
    format: str = "trl"

    def __post_init__(self) -> None:
        if unknown := set(self.sources) - set(DPO_SOURCES):
            raise ExtractError(f"unknown DPO source(s) {sorted(unknown)}; choose from {DPO_SOURCES}")
        if self.format not in DPO_FORMATS:
            raise ExtractError(f"unknown DPO format {self.format!r}; choose from {DPO_FORMATS}")
        if self.max_pairs_per_state < 1:
            raise ExtractError("max_pairs_per_state must be at least 1")


@dataclass(frozen=True)
class Pair:
    source: str
    rejected_from: StepState
    rejected: str
    chosen_from: StepState
    chosen: str


Groups = dict[tuple[str, str], list[StepState]]


def _progressing(state: StepState) -> bool:
    return state.clean and not state.repeat


def rollout_pairs(states: list[StepState]) -> Iterator[Pair]:
    winners = {s.target: s for s in states if _progressing(s) and s.episode.outcome == "resolved"}
    for loser in states:
        if _progressing(loser) and loser.episode.outcome in _FAILED_OUTCOMES and loser.target not in winners:
            for target, winner in winners.items():
                assert loser.target is not None and target is not None
                yield Pair("rollouts", loser, loser.target, winner, target)


def _next_clean(states: list[StepState], after: int, skip_target: str | None = None) -> StepState | None:
    """The episode's next clean step, passing over steps that change nothing (invalid ones, and
    repeats of `skip_target`)."""
    for state in states[after + 1 :]:
        if state.clean and state.target != skip_target:
            return state
        if state.clean and not state.repeat:
            return None
    return None


def validity_pairs(states: list[StepState], position: int, groups: Groups) -> Iterator[Pair]:
    bad = states[position]
    candidates: list[StepState] = []
    if bad.target is not None and bad.parse_error is not None and not bad.tool_error:
        candidates.append(bad)
    changed_nothing = bad.target is None or bad.tool_error
    if changed_nothing and (recovery := _next_clean(states, position)) is not None:
        candidates.append(recovery)
    candidates += [s for s in groups[bad.state_key] if s.clean and s.episode is not bad.episode]
    for good in candidates:
        assert good.target is not None
        yield Pair("validity", bad, bad.rejected_text(), good, good.target)


def loop_pairs(states: list[StepState], position: int, groups: Groups) -> Iterator[Pair]:
    repeat = states[position]
    assert repeat.target is not None
    candidates: list[StepState] = []
    if (moved_on := _next_clean(states, position, skip_target=repeat.target)) is not None:
        candidates.append(moved_on)
    candidates += [s for s in groups[repeat.state_key] if _progressing(s) and s.target != repeat.target]
    for good in candidates:
        assert good.target is not None
        yield Pair("loops", repeat, repeat.target, good, good.target)


def dpo_pairs(
    episodes: Iterable[EpisodeRecord], options: DpoOptions, selection: TaskSelection, report: ExtractionReport
) -> list[Pair]:
    """Every distinct pair of the chosen sources, at most max_pairs_per_state per state and source."""
    by_episode: list[list[StepState]] = []
    groups: Groups = defaultdict(list)
    for states in selected_states(episodes, selection, report):
        by_episode.append(states)
        for state in states:
            groups[state.state_key].append(state)
    found: list[Iterator[Pair]] = []
    if "rollouts" in options.sources:
        found += [rollout_pairs(states) for states in groups.values()]
    for states in by_episode:
        for position, state in enumerate(states):
            if "validity" in options.sources and not state.clean:
                found.append(validity_pairs(states, position, groups))
            if "loops" in options.sources and state.repeat and state.clean:
                found.append(loop_pairs(states, position, groups))
    return _distinct(found, options.max_pairs_per_state, report)


def _distinct(found: list[Iterator[Pair]], per_state: int, report: ExtractionReport) -> list[Pair]:
    seen: set[tuple[str, str, str, str]] = set()
    taken: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    pairs: list[Pair] = []
    for pairs_of_state in found:
        for pair in pairs_of_state:
            task, prefix = pair.rejected_from.state_key
            key = (task, prefix, pair.chosen, pair.rejected)
            if pair.chosen == pair.rejected or key in seen or taken[(task, prefix, pair.source)] >= per_state:
                continue
            seen.add(key)
            taken[(task, prefix, pair.source)] += 1
            pairs.append(pair)
            report.per_source[pair.source] += 1
    return pairs


def pair_conversations(pair: Pair) -> list[list[dict[str, str]]]:
    prompt = pair.rejected_from.prefix
    return [
        [*prompt, {"role": "assistant", "content": pair.chosen}],
        [*prompt, {"role": "assistant", "content": pair.rejected}],
    ]


def pair_row(pair: Pair, format: str) -> dict[str, Any]:
    prompt = pair.rejected_from.prefix
    chosen = [{"role": "assistant", "content": pair.chosen}]
    rejected = [{"role": "assistant", "content": pair.rejected}]
    episode = pair.rejected_from.episode
    metadata = {
        "task_id": episode.task_id,
        "step": pair.rejected_from.index,
        "source": pair.source,
        "run_id": episode.run_id,
        "model": episode.model,
        "chosen_episode_id": pair.chosen_from.episode.episode_id,
        "rejected_episode_id": episode.episode_id,
    }
    if format == "together":
        return {
            "input": {"messages": prompt},
            "preferred_output": chosen,
            "non_preferred_output": rejected,
            **metadata,
        }
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected, **metadata}
